"""leakwatch: early warning for leaks of an institution's own data."""

__version__ = "0.1.0"
