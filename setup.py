"""What pyproject.toml cannot declare without setuptools' experimental tables:

- the packages under their one import name: matchers/ and crawler/ keep their folders at the top
  of the tree (the stages of the data flow) and install as leakwatch.matchers and leakwatch.crawler
  (pyproject.toml maps the folders); config/ ships as leakwatch/config (the default settings and
  an example of every source kind);
- the scan's hot loops in C. The tokenizer (matchers/fingerprint/_tokenize.c) is linked against
  libb2, the BLAKE2 authors' library (Debian: libb2-dev); tokens.py keeps the Python reference it
  must agree with.
"""

from setuptools import Extension, find_packages, setup

_FLAGS = ["-O2", "-Wall", "-Werror=implicit-function-declaration"]


def _packages(folder: str, name: str) -> list[str]:
    return [name] + [f"{name}.{sub}" for sub in find_packages(folder)]


setup(
    packages=(_packages("leakwatch", "leakwatch") + _packages("matchers", "leakwatch.matchers")
              + _packages("crawler", "leakwatch.crawler") + ["leakwatch.config"]),
    ext_modules=[
        Extension("leakwatch.matchers.fingerprint._tokenize", sources=["matchers/fingerprint/_tokenize.c"],
                  depends=["matchers/fingerprint/_blake2b_lanes.h"], libraries=["b2"], extra_compile_args=_FLAGS),
        # The MinHash update of a scan's sampled tokens (matchers/fingerprint/_sketch.c); -O3 vectorises
        # its loop over the permutations. sketch._update_numpy is its reference.
        Extension("leakwatch.matchers.fingerprint._sketch", sources=["matchers/fingerprint/_sketch.c"],
                  include_dirs=["matchers"], depends=["matchers/_uint64_buffer.h"], extra_compile_args=["-O3"] + _FLAGS[1:]),
        # The index lookup's inner loop (matchers/match/_find.c); index._find_numpy is its reference.
        Extension("leakwatch.matchers.match._find", sources=["matchers/match/_find.c"], include_dirs=["matchers"],
                  depends=["matchers/_uint64_buffer.h"], extra_compile_args=_FLAGS),
        # read_text's loop over the lines of a paste's block (matchers/extract/readers/_text.c).
        Extension("leakwatch.matchers.extract.readers._text", sources=["matchers/extract/readers/_text.c"],
                  depends=["matchers/extract/readers/_offsets.h"], extra_compile_args=_FLAGS),
        # delimited lines cut into cell spans, for the tokenizer (matchers/extract/readers/_spans.c).
        Extension("leakwatch.matchers.extract.readers._spans", sources=["matchers/extract/readers/_spans.c"],
                  depends=["matchers/extract/readers/_offsets.h"], extra_compile_args=_FLAGS),
    ],
)
