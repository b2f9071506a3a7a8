"""The one thing pyproject.toml cannot declare without setuptools' experimental ext-modules table:
the scan's hot loop (matchers/fingerprint/_tokenize.c), linked against libb2, the BLAKE2 authors'
library (Debian: libb2-dev). tokens.py keeps the Python reference it must agree with."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "matchers.fingerprint._tokenize",
    sources=["matchers/fingerprint/_tokenize.c"],
    libraries=["b2"],
    extra_compile_args=["-O2", "-Wall", "-Werror=implicit-function-declaration"],
)])
