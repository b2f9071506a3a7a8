"""Where the settings file is when none is named: its own module, since the scan service's client
(leakwatch.scan_service.wire) needs the path without the settings' code."""

from pathlib import Path


def _default_config_dir() -> Path:
    """config/ of a checkout (an editable install), or the copy shipped in the wheel (leakwatch/config)."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "config", here / "config"):
        if (folder / "leakwatch.yaml").is_file():
            return folder
    return here / "config"


DEFAULT_CONFIG = _default_config_dir() / "leakwatch.yaml"
