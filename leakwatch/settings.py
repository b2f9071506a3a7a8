"""Settings: declared once, read from defaults < config file < LEAKWATCH_* environment < CLI flags.

Every component gets plain values from the one frozen `Settings`; nothing else reads
os.environ or a config file (the scan service's client hashes them to find its service: it
does not read a value from them, see scan_service/wire.py).
"""

import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from leakwatch.default_config import DEFAULT_CONFIG
from leakwatch.matchers.errors import LeakwatchError


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    type: type = str
    # Bounds checked when the value is read (None: unbounded), so an out-of-range value is a
    # SettingsError naming where it came from, not a failure deep in the component that uses it.
    low: float | None = None
    high: float | None = None
    choices: tuple = ()


def networks(value) -> tuple:
    """CIDR ranges from a YAML list or a comma/space-separated string, each checked."""
    import ipaddress

    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return tuple(str(ipaddress.ip_network(str(item).strip(), strict=False)) for item in items if str(item).strip())


networks.__name__ = "list of CIDR ranges (10.20.0.0/16,fd00::/8)"  # what a bad value's message asks for


SETTINGS = (
    Setting("redis_url", "", "Redis URL of the store (redis://host:port/db). Empty: leakwatch starts its own redis-server under home."),
    Setting("home", "~/.local/share/leakwatch", "Directory of local state: the deployment key and the local Redis data."),
    Setting("key_file", "", "Deployment key file (32 bytes, hex). Empty: <home>/deployment.key."),
    Setting("namespace", "lw", "Prefix of every Redis key, so several deployments can share one Redis."),
    Setting("lsh_threshold", 0.1, "MinHashLSH threshold for repost candidates (Jaccard); low, since a repost with half the columns has a Jaccard near 0.3: candidates are then checked by containment. At 0.1 datasketch bands all 128 hash values (64 bands of 2): a repost at Jaccard 0.27 is missed 0.8 % of the time (2.1 % at 0.15).", float, low=0.0, high=1.0),
    Setting("link_threshold", 0.6, "Jaccard or containment above which a dump is linked to an earlier sighting.", float, low=0.0, high=1.0),
    Setting("extract_max_total_bytes", 8 << 30, "Most decompressed bytes read from one input.", int, low=1),
    Setting("extract_max_ratio", 200, "Most decompressed/compressed ratio of an archive member (zip bombs).", int, low=1),
    Setting("extract_max_depth", 5, "Deepest nesting of archives followed.", int, low=1),
    Setting("extract_max_seconds", 600, "Longest time spent scanning one input (extraction, matching, its SHA-256).",
            int, low=1),
    Setting("extract_max_depth_json", 256, "Deepest JSON nesting read; deeper values are skipped and counted.", int,
            low=1),
    Setting("extract_max_members", 10_000, "Most archive members and documents opened from one input.", int, low=1),
    Setting("tor_control", "", "ControlPort of the tor to route through (host:port). Empty: leakwatch launches its own tor when a route: tor source is crawled."),
    Setting("tor_cookie", "", "Control cookie file of that tor (cookie authentication)."),
    Setting("tor_password", "", "Control password of that tor (password authentication)."),
    Setting("tor_http_tunnel", "", "HTTPTunnelPort of that tor (host:port): Scrapy's requests."),
    Setting("tor_socks", "", "SocksPort of that tor (host:port): the browser's pages."),
    Setting("tor_bootstrap_seconds", 120, "How long a crawl waits for its own tor to bootstrap before failing closed.", int, low=1),
    Setting("sources_file", "", "Sources to crawl (YAML). Empty: config/sources.yaml of the repository."),
    Setting("scan_workers", 0, "Processes scanning one big file (8 MiB and more) from the CLI; 0: one per CPU.", int, low=0),
    Setting("retention_days", 90, "Days after which sightings that matched nothing are purged.", int, low=0),
    Setting("log_level", "WARNING", "Log level of the CLI (DEBUG, INFO, WARNING, ERROR).",
            choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    Setting("serve_host", "127.0.0.1", "Address `leakwatch serve` listens on."),
    Setting("serve_port", 8080, "Port `leakwatch serve` listens on.", int, low=0, high=65535),
    Setting("session_hours", 12, "Hours an analyst's login session lasts.", int, low=1),
    Setting("public_url", "", "URL of the web app as analysts reach it, used in alert links. Empty: http://serve_host:serve_port."),
    Setting("smtp_host", "127.0.0.1", "SMTP server that sends alert e-mails."),
    Setting("smtp_port", 25, "Port of that SMTP server.", int, low=1, high=65535),
    Setting("smtp_from", "leakwatch@localhost", "Sender address of alert e-mails."),
    Setting("smtp_user", "", "SMTP login, if the server needs one."),
    Setting("smtp_password", "", "SMTP password, if the server needs one."),
    Setting("smtp_starttls", 0, "1: upgrade SMTP connections with STARTTLS.", int, low=0, high=1),
    Setting("alert_max_attempts", 8, "Attempts to deliver one alert before it is marked failed.", int, low=1),
    Setting("alert_backoff_seconds", 30, "Wait before the first retry of an alert; doubled at each further attempt.", int, low=0),
    Setting("webhook_timeout_seconds", 10, "Longest wait for a webhook receiver to answer.", int, low=1),
    Setting("alert_webhook_allow", (), "Internal address ranges (CIDR, comma-separated) webhooks may reach although loopback, private, link-local, CGNAT, multicast or reserved, e.g. a SOC's receiver at 10.20.0.0/16; empty: only public addresses.", networks),
    Setting("redis_wait_replicas", 1, "On a Redis Cluster: replicas that must hold a sighting, match, registration or triage decision before its command returns (WAIT), so a failover loses none; 0: do not wait.", int, low=0),
    Setting("redis_wait_ms", 1000, "Longest wait for those replicas; past it the commit rests on its master alone (logged).", int, low=0),
    Setting("redis_cluster_retry_seconds", 30, "On a Redis Cluster: how long a command keeps retrying while a node does not answer (a replica takes over cluster-node-timeout after its master died: 15 s by default).", float, low=0),
    Setting("crawl_workers", 1, "Crawler processes one `leakwatch crawl` runs (--workers); they share each source's request queue in Redis.", int, low=1),
    Setting("crawl_lease_seconds", 120, "How long a request taken by a crawler process stays its own without being renewed; a killed process's requests go back to the queue after this.", int, low=1),
    Setting("crawl_store_wait_seconds", 300, "How long a crawl waits for an unreachable Redis (a restart) before the source fails.", int, low=0),
    Setting("crawl_done_retention_days", 30, "Days a crawled item stays in its source's done record after the last listing that showed it (listing page, API list, forum thread page); then it is forgotten, so the record stays bounded. An item shown again after that is fetched again and linked to its first sighting as a repost. 0: keep every item for ever.", int, low=0),
)
_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(LeakwatchError, ValueError):
    """A setting with a value of the wrong type, an unknown setting, or a broken config file."""


class Settings:
    """The effective settings and where each value came from."""

    def __init__(self, values: dict, origins: dict, config_path: Path | None = None):
        self._values = MappingProxyType(dict(values))
        self.origins = MappingProxyType(dict(origins))
        self.config_path = config_path  # the settings file read, if any

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def items(self):
        return self._values.items()

    def as_dict(self) -> dict:
        """Plain values, e.g. to hand to Scrapy as the LEAKWATCH_SETTINGS setting."""
        return dict(self._values)

    @classmethod
    def from_dict(cls, values: dict, origin: str = "scrapy settings") -> "Settings":
        """The settings a parent process resolved and passed on (no file or environment read)."""
        merged = {s.name: s.default for s in SETTINGS}
        merged.update({k: _coerce(k, v, origin) for k, v in values.items()})
        return cls(merged, {name: origin for name in merged})

    @property
    def home_path(self) -> Path:
        # Absolute: redis-server is given paths under it and runs from its own directory.
        return Path(os.path.expanduser(self.home)).absolute()

    @property
    def sources_path(self) -> Path:
        return Path(os.path.expanduser(self.sources_file)) if self.sources_file else DEFAULT_CONFIG.parent / "sources.yaml"

    @property
    def key_path(self) -> Path:
        return Path(os.path.expanduser(self.key_file)) if self.key_file else self.home_path / "deployment.key"

    @classmethod
    def load(cls, flags: dict | None = None, environ=None, config_path=None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {s.name: s.default for s in SETTINGS}
        origins = {s.name: "default" for s in SETTINGS}
        path = config_path or environ.get("LEAKWATCH_CONFIG") or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
        if path:
            for name, value in _read_config(Path(path)).items():
                values[name] = _coerce(name, value, f"{path}")
                origins[name] = f"file {path}"
        for setting in SETTINGS:
            env_name = f"LEAKWATCH_{setting.name.upper()}"
            if env_name in environ:
                values[setting.name] = _coerce(setting.name, environ[env_name], env_name)
                origins[setting.name] = f"env {env_name}"
        for name, value in (flags or {}).items():
            if value is not None:
                values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
                origins[name] = "flag"
        return cls(values, origins, Path(path).absolute() if path else None)


def _read_config(path: Path) -> dict:
    # Imported here: `leakwatch --help` and a deployment configured by its environment alone
    # read no file, and PyYAML takes 15 ms to import.
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of setting names to values")
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_BY_NAME)}")
    return data


def _coerce(name: str, value, origin: str):
    setting = _BY_NAME.get(name)
    if setting is None:
        raise SettingsError(f"unknown setting {name!r}")
    try:
        coerced = setting.type(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{origin}: {name} must be a {setting.type.__name__}, got {value!r}") from None
    if setting.low is not None and coerced < setting.low:
        raise SettingsError(f"{origin}: {name} must be {setting.low:g} or more, got {value!r}")
    if setting.high is not None and coerced > setting.high:
        raise SettingsError(f"{origin}: {name} must be {setting.high:g} or less, got {value!r}")
    if setting.choices and str(coerced).upper() not in setting.choices:
        raise SettingsError(f"{origin}: {name} must be one of {', '.join(setting.choices)}, got {value!r}")
    return coerced
