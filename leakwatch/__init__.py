"""leakwatch: early warning for leaks of an institution's own data."""

import os

__version__ = "0.1.0"

# leakwatch does no linear algebra; OpenBLAS (numpy's, and SciPy's, which datasketch imports)
# would otherwise start a thread per core in every process, scan workers included, and those
# threads spin: measured as 4 % of a scan's CPU on 2 cores. Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The base of every error leakwatch raises on purpose; defined in matchers, the lowest package.
from leakwatch.matchers.errors import LeakwatchError  # noqa: E402

__all__ = ["LeakwatchError", "__version__"]
