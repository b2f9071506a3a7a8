"""Resolve a source's credentials reference: `env:USER_VAR/PASSWORD_VAR` or `file:PATH`.

The sources file holds only the reference. `file:PATH` (relative to the sources file) is a YAML
mapping with `username` and `password`; it should be readable by its owner only, and a warning says
so when it is not. Resolution happens when a crawl starts, not at load, so `scrapy list` works on a
machine without the secrets.
"""

import logging
import os
import stat
from pathlib import Path

import yaml

from leakwatch.matchers.errors import LeakwatchError

logger = logging.getLogger(__name__)


class CredentialsError(LeakwatchError, ValueError):
    """A credentials reference that does not resolve; the message never holds the secret."""


def resolve_credentials(reference: str, base_dir: str = ".", environ=None) -> tuple[str, str]:
    environ = os.environ if environ is None else environ
    scheme, _, rest = reference.partition(":")
    if scheme == "env":
        user_var, _, password_var = rest.partition("/")
        missing = [var for var in (user_var, password_var) if not environ.get(var)]
        if missing:
            raise CredentialsError(f"credentials {reference}: environment variable(s) {', '.join(missing)} not set")
        return environ[user_var], environ[password_var]
    if scheme == "file":
        path = Path(os.path.expanduser(rest))
        if not path.is_absolute():
            path = Path(base_dir) / path
        try:
            mode = path.stat().st_mode
            data = yaml.safe_load(path.read_text())
        except FileNotFoundError:
            raise CredentialsError(f"credentials {reference}: {path} does not exist") from None
        except yaml.YAMLError:
            raise CredentialsError(f"credentials {reference}: {path} is not valid YAML") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning("credentials file %s is readable by others than its owner (chmod 600 it)", path)
        if not isinstance(data, dict) or not data.get("username") or not data.get("password"):
            raise CredentialsError(f"credentials {reference}: {path} must be a mapping with username: and password:")
        return str(data["username"]), str(data["password"])
    raise CredentialsError(f"credentials {reference!r}: expected env:USER_VAR/PASSWORD_VAR or file:PATH")
