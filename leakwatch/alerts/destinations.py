"""Where a webhook may point: never into the monitor's own network.

A webhook URL is written by whoever holds an institution's token, and the monitor POSTs
signed alerts to it. Pointed at 127.0.0.1:6379, 169.254.169.254 or a private range, that
POST reaches services that trust the monitor's network (server-side request forgery). So an
address is refused when it is loopback, private (RFC 1918, fc00::/7), link-local, shared
(CGNAT, 100.64.0.0/10), multicast, reserved, unspecified or otherwise not public, or an
IPv6 form of one (IPv4-mapped, 6to4, NAT64), unless the operator allows its range
(setting `alert_webhook_allow`). A host spelled as an integer, in hex or in octal
(`0x7f000001`, `2130706433`, `0177.0.0.1`, `127.1`) is refused whatever it stands for:
resolvers read such spellings differently, and nobody needs them.

It is checked twice: when the channel is set (literal addresses, odd spellings, the
`localhost` names) and at each delivery, after the host name is resolved once; the
connection then goes to the address checked (webhook.post), so a DNS answer that changes
between the check and the connection cannot reach a refused address.
"""

import ipaddress
import re
import socket

from .errors import AlertError, DeliveryError

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The last label of a host is a number: WHATWG URL parsers (and inet_aton) read the host as
# an IPv4 address then, in any of its spellings.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.I)
_DOTTED_QUAD = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")
# Names that resolve to loopback by definition (RFC 6761), refused before any resolution.
_LOOPBACK_NAMES = re.compile(r"(?:.+\.)?localhost\.?", re.I)


def parse_allow(ranges) -> tuple:
    """The operator's allowed networks, from CIDR strings (setting alert_webhook_allow)."""
    if isinstance(ranges, str):
        ranges = ranges.replace(",", " ").split()
    return tuple(r if isinstance(r, (ipaddress.IPv4Network, ipaddress.IPv6Network))
                 else ipaddress.ip_network(str(r).strip(), strict=False) for r in ranges or () if str(r).strip())


def literal_address(host: str):
    """The address a URL's host names literally, or None for a host name.

    Raises AlertError for an address in another spelling than a.b.c.d or IPv6.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if _NUMERIC_LABEL.fullmatch(last):
        if _DOTTED_QUAD.fullmatch(host.rstrip(".")):
            return ipaddress.ip_address(host.rstrip("."))
        raise AlertError("webhook host is an IP address in an unusual spelling (an integer, hex or octal): "
                         "write it as a.b.c.d, or use a host name")
    return None


def _embedded(address):
    """The address, and the IPv4 address an IPv6 one carries (mapped, 6to4, NAT64)."""
    yield address
    if address.version == 6:
        if address.ipv4_mapped:
            yield address.ipv4_mapped
        if address.sixtofour:
            yield address.sixtofour
        if address in _NAT64:
            yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _special(address) -> str | None:
    """Why an address is not a public one, or None."""
    for name, test in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                       ("shared (CGNAT)", address.version == 4 and address in _CGNAT),
                       ("private", address.is_private), ("reserved", address.is_reserved),
                       ("not public", not address.is_global)):
        if test:
            return name
    return None


def refusal(address, allow: tuple) -> str | None:
    """Why a webhook may not reach `address` (e.g. "a loopback address"), or None when it may."""
    forms = list(_embedded(address))
    if any(form in network for form in forms for network in allow if network.version == form.version):
        return None  # the operator allows this range
    for form in reversed(forms):  # the IPv4 address an IPv6 form carries says best what it is
        reason = _special(form)
        if reason:
            return f"{'an' if reason[0] in 'aeiou' else 'a'} {reason} address"
    return None


def check_host(host: str, allow: tuple) -> None:
    """When a channel is set: refuse a host that names a refused address without resolving it.

    Host names are resolved at each delivery instead (a name may move, or not exist yet).
    """
    address = literal_address(host)
    if address is None and _LOOPBACK_NAMES.fullmatch(host):
        address = ipaddress.ip_address("127.0.0.1")
    if address is not None:
        reason = refusal(address, allow)
        if reason:
            raise AlertError(f"webhook host is {reason}: alerts go to a public address "
                             "(an operator can allow a range with the setting alert_webhook_allow)")


def system_resolver(host: str, port: int) -> list:
    """Every address the system resolver gives for host (IPv4 and IPv6), as strings."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def delivery_addresses(host: str, port: int, allow: tuple, resolver=None) -> list:
    """At delivery: the host's addresses, resolved once, each of them checked.

    Raises DeliveryError when the name does not resolve or any address is refused: a name
    that also answers with an internal address is not delivered to at all. The caller
    connects to one of the addresses returned, never to the name.
    """
    allow = parse_allow(allow)
    try:
        address = literal_address(host)
    except AlertError as exc:
        raise DeliveryError(str(exc)) from None
    if address is not None:
        addresses = [address]
    else:
        try:
            found = (resolver or system_resolver)(host, port)
        except (OSError, UnicodeError):
            raise DeliveryError("webhook host name does not resolve") from None
        addresses = []
        for text in found:
            parsed = ipaddress.ip_address(text.split("%", 1)[0])
            if parsed not in addresses:
                addresses.append(parsed)
        if not addresses:
            raise DeliveryError("webhook host name does not resolve")
    for candidate in addresses:
        reason = refusal(candidate, allow)
        if reason:
            raise DeliveryError(f"webhook host resolves to {reason}: not delivered (setting alert_webhook_allow)")
    return addresses
