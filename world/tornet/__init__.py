"""A private Tor network on 127.0.0.1, for the tests and the demo.

    with TorNetwork(workdir, onion_targets={"forum": 8701}) as net:
        net.socks_port                  # the client's SocksPort (remote name resolution: send hostnames)
        net.control_port, net.cookie_path
        net.onion_address("forum")      # "xxxx.onion", serving 127.0.0.1:8701 on port 80
        net.exit_fingerprint

Built the way chutney builds its networks (TestingTorNetwork, three authorities), with the settings
found reliable with Debian's tor 0.4.9 on a 2-core machine.
"""

from world.tornet.errors import INSTALL_HINT, TorNetworkError
from world.tornet.network import TorNetwork
from world.tornet.socks import SocksError, http_get, socks_connect

__all__ = ["INSTALL_HINT", "SocksError", "TorNetwork", "TorNetworkError", "http_get", "socks_connect"]
