"""The one exception of the package, and what to run when tor is missing."""

from leakwatch.matchers.errors import LeakwatchError

INSTALL_HINT = "install it with: sudo apt-get install -y tor"


class TorNetworkError(LeakwatchError, RuntimeError):
    """tor or tor-gencert is missing, a tor process would not start, or the network did not get ready in time."""
