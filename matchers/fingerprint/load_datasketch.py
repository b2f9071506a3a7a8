"""datasketch, imported without the SciPy modules it only needs to choose LSH parameters.

datasketch imports `scipy.integrate` with its LSH modules, for one function: `quad`, which
integrates false positive and negative rates when a MinHashLSH is made from a threshold
rather than given its bands (`params`). SciPy 1.17 takes 0.6-1.0 s of CPU here to import
that module (optimize, sparse.linalg, spatial, special, numpy.f2py...): a third of the CPU
of scanning a 200,000-row file. leakwatch gives its MinHashLSH the bands for its default
threshold (`lsh_params`), so it needs none of that.

`datasketch()` imports datasketch with a stand-in for `scipy.integrate` whose `quad` imports
the real module on its first call (a MinHashLSH made from a threshold other than the
default). The stand-in is only in `sys.modules` during that import: whatever imports
`scipy.integrate` later gets the real one. If datasketch ever takes more from the module at
import time than `quad`, the stand-in is dropped and datasketch imported as it is.
"""

import importlib
import sys
import threading
import types

# (threshold, num_perm) -> (bands, rows) that datasketch's MinHashLSH chooses for them with
# its default weights; tests/fingerprint/test_load_datasketch.py checks them against it.
_KNOWN_PARAMS = {(0.1, 128): (64, 2)}
_STAND_IN = "scipy.integrate"
_lock = threading.Lock()
_module = None  # datasketch, once imported whole


def _quad(*args, **kwargs):
    from scipy.integrate import quad

    return quad(*args, **kwargs)


def datasketch() -> types.ModuleType:
    """The datasketch package, imported once (see the module's docstring).

    Threads wait for the one import: the crawler scans items of several sources in threads, and
    a module half-way through its import is already in `sys.modules`, without its names.
    """
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                _module = _import()
    return _module


def _import() -> types.ModuleType:
    if "datasketch" in sys.modules or _STAND_IN in sys.modules:
        return importlib.import_module("datasketch")  # waits for an import under way elsewhere
    stand_in = types.ModuleType(_STAND_IN, "leakwatch's stand-in while datasketch is imported")
    stand_in.quad = _quad
    sys.modules[_STAND_IN] = stand_in
    try:
        return importlib.import_module("datasketch")
    except ImportError:
        # datasketch wanted more of scipy.integrate: forget its half-imported modules.
        for name in [n for n in sys.modules if n == "datasketch" or n.startswith("datasketch.")]:
            del sys.modules[name]
    finally:
        if sys.modules.get(_STAND_IN) is stand_in:
            del sys.modules[_STAND_IN]
    return importlib.import_module("datasketch")


def minhash_classes() -> tuple:
    """(MinHash, LeanMinHash), datasketch's own classes, without the rest of the package.

    A scan needs only these two: importing the whole package (its LSH, HNSW, HyperLogLog and
    asyncio modules, SciPy's core) took 100-120 ms of CPU, a sixth of a lab file's scan, in the
    process that also hands the workers their blocks. The two modules are loaded with the
    package's `__init__` left unrun, which is run as usual when the package itself is imported
    (`datasketch()`, or `import datasketch` elsewhere): the classes are the same objects then.
    """
    global _classes
    if _classes is None:
        with _lock:
            if _classes is None:
                _classes = _import_classes()
    return _classes


_classes = None


def _import_classes() -> tuple:
    if "datasketch" in sys.modules or _module is not None:  # the whole package is there (or coming)
        whole = _module or importlib.import_module("datasketch")
        return whole.MinHash, whole.LeanMinHash
    import importlib.util

    spec = importlib.util.find_spec("datasketch")
    package = importlib.util.module_from_spec(spec)  # the package, its __init__ not run
    sys.modules["datasketch"] = package
    try:
        minhash = importlib.import_module("datasketch.minhash")
        lean = importlib.import_module("datasketch.lean_minhash")
    finally:
        # Whoever imports datasketch later runs its __init__, which finds these two modules loaded.
        if sys.modules.get("datasketch") is package:
            del sys.modules["datasketch"]
    return minhash.MinHash, lean.LeanMinHash


def lsh_params(threshold: float, num_perm: int):
    """The (bands, rows) datasketch would choose for a threshold, if known without SciPy; or
    None: then MinHashLSH computes them (and imports scipy.integrate)."""
    return _KNOWN_PARAMS.get((threshold, num_perm))
