"""The one thing pyproject.toml cannot declare without setuptools' experimental ext-modules table:
the scan's hot loops in C. The tokenizer (matchers/fingerprint/_tokenize.c) is linked against
libb2, the BLAKE2 authors' library (Debian: libb2-dev); tokens.py keeps the Python reference it
must agree with."""

from setuptools import Extension, setup

_FLAGS = ["-O2", "-Wall", "-Werror=implicit-function-declaration"]

setup(ext_modules=[
    Extension("matchers.fingerprint._tokenize", sources=["matchers/fingerprint/_tokenize.c"],
              libraries=["b2"], extra_compile_args=_FLAGS),
    # The index lookup's inner loop (matchers/match/_find.c); index._find_numpy is its reference.
    Extension("matchers.match._find", sources=["matchers/match/_find.c"], extra_compile_args=_FLAGS),
])
