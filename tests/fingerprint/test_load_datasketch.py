"""datasketch imported without scipy.integrate, and LSH bands that are the ones it chooses."""

import json
import subprocess
import sys

import pytest

from leakwatch.matchers.fingerprint.load_datasketch import _KNOWN_PARAMS, lsh_params


def _in_fresh_process(code: str) -> dict:
    """Run `code` in a new interpreter (sys.modules as a scan's parent has it) and return the
    JSON it prints."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_scan_parent_never_imports_scipy_integrate():
    seen = _in_fresh_process(
        "import json, sys\n"
        "from leakwatch.matchers.fingerprint import TokenSketch\n"
        "from leakwatch.matchers.registry.sightings import SightingStore\n"
        "import numpy as np\n"
        "sketch = TokenSketch()\n"
        "sketch.update(np.random.default_rng(7).integers(0, 2**63, 4000).astype(np.uint64))\n"
        "lsh = SightingStore(None)._lsh\n"
        "lsh.insert('s1', sketch.minhash.hashvalues)\n"
        "print(json.dumps({'integrate': 'scipy.integrate' in sys.modules, 'bands': [lsh.bands, lsh.rows],\n"
        "                  'found': lsh.query(sketch.minhash.hashvalues), 'count': sketch.cardinality}))\n"
    )
    assert seen["integrate"] is False
    assert seen["bands"] == [64, 2]
    assert seen["found"] == ["s1"]
    assert 3000 <= seen["count"] <= 5000  # 4,000 distinct tokens


def test_another_threshold_gets_the_real_scipy_integrate_and_datasketchs_own_choice():
    seen = _in_fresh_process(
        "import json, sys\n"
        "from leakwatch.matchers.registry.sightings import SightingStore\n"
        "from leakwatch.matchers.fingerprint.load_datasketch import datasketch\n"
        "lsh = SightingStore(None, lsh_threshold=0.5)._lsh\n"
        "integrate = sys.modules['scipy.integrate']\n"
        "from datasketch.lsh import _optimal_param\n"
        "print(json.dumps({'bands': [lsh.bands, lsh.rows], 'theirs': _optimal_param(0.5, 128, 0.5, 0.5),\n"
        "                  'real': hasattr(integrate, 'solve_ivp')}))\n"
    )
    assert seen["bands"] == seen["theirs"]
    assert seen["real"] is True


@pytest.mark.parametrize("threshold, num_perm", sorted(_KNOWN_PARAMS))
def test_known_bands_are_datasketchs_choice(threshold, num_perm):
    from datasketch.lsh import _optimal_param

    assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_unknown_thresholds_are_left_to_datasketch():
    assert lsh_params(0.37, 128) is None
    assert lsh_params(0.1, 256) is None


def test_a_datasketch_that_takes_more_from_scipy_integrate_is_imported_as_it_is(tmp_path):
    package = tmp_path / "datasketch"
    package.mkdir()
    (package / "__init__.py").write_text("from scipy.integrate import quad, simpson\n")
    seen = _in_fresh_process(
        f"import json, sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
        "from leakwatch.matchers.fingerprint.load_datasketch import datasketch\n"
        "module = datasketch()\n"
        "print(json.dumps({'simpson': callable(module.simpson),\n"
        "                  'real': hasattr(sys.modules['scipy.integrate'], 'solve_ivp')}))\n"
    )
    assert seen == {"simpson": True, "real": True}


def test_threads_wait_for_the_one_import_and_never_see_a_half_imported_datasketch(tmp_path):
    # A slow datasketch: its names appear only at the end of its import, as in a real one.
    package = tmp_path / "datasketch"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import time\nfrom scipy.integrate import quad\ntime.sleep(0.5)\nMinHashLSH = 'complete'\n")
    seen = _in_fresh_process(
        f"import json, sys, threading, time\nsys.path.insert(0, {str(tmp_path)!r})\n"
        "from leakwatch.matchers.fingerprint.load_datasketch import datasketch\n"
        "got = []\n"
        "def use():\n"
        "    got.append(getattr(datasketch(), 'MinHashLSH', 'half-imported'))\n"
        "threads = [threading.Thread(target=use) for _ in range(4)]\n"
        "for thread in threads:\n"
        "    thread.start()\n"
        "    time.sleep(0.1)\n"
        "for thread in threads:\n"
        "    thread.join()\n"
        "print(json.dumps({'got': got, 'integrate': 'scipy.integrate' in sys.modules}))\n"
    )
    assert seen == {"got": ["complete"] * 4, "integrate": False}
