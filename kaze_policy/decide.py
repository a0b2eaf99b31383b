"""`kaze-policy decide egress`: may an agent of a tenant call this URL? (KZ-EGR-04)

The URL is parsed here, strictly, so that the Rego rule judges only a scheme, a host and a
port: whatever a lenient parser and the HTTP client could read differently (userinfo,
backslashes, percent-encoded or non-ASCII hosts, a name ending in a number that clients read
as an IPv4 address) is denied before the allowlist is asked. The allowlist comes with what
each entry opens (analysis/allowlist.py): an entry on the node itself, its metadata service
or a public suffix never lets a URL through.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kaze_policy.analysis.allowlist import allowlist_facts, ends_in_a_number
from kaze_policy.engine.base import UNDEFINED, Engine
from kaze_policy.errors import EngineError

DECISION_RULE = "data.kaze.egress.url_allowlist.decision"
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class ParsedUrl:
    scheme: str
    host: str
    port: int
    is_ip: bool


class UnsafeUrl(ValueError):
    """A URL whose host could be read two ways: never allowed."""


def parse_url(url: str) -> ParsedUrl:
    if any(ch in url for ch in "\\\t\r\n ") or not url.isascii():
        raise UnsafeUrl("the URL holds a backslash, whitespace or non-ASCII character")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise UnsafeUrl(f"the URL does not parse ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl(f"scheme {scheme or '(none)'!r} is not http(s)")
    if "@" in parts.netloc:
        raise UnsafeUrl("the URL carries userinfo (user@host)")
    host = (parts.hostname or "").lower()
    if "%" in parts.netloc:
        raise UnsafeUrl("the host is percent-encoded")
    address = _address(host)
    if address is None and not _HOST.match(host):
        raise UnsafeUrl(f"host {host!r} is not a valid DNS name")
    if address is None and ends_in_a_number(host):
        raise UnsafeUrl(f"host {host!r} ends in a number: clients read it as an IPv4 address")
    if address is not None:
        host = str(address)
    return ParsedUrl(scheme, host, port if port is not None else DEFAULT_PORTS[scheme], address is not None)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address the host is, if any; an IPv4-mapped IPv6 address is the IPv4 address
    the socket connects to (and OPA and regorus would otherwise disagree on its CIDRs)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def egress_data(config: dict[str, Any]) -> dict[str, Any]:
    """What the decision reads as `data.inventory`: the configuration and what each of its
    allowlist entries opens (an entry without these facts never lets a URL through)."""
    return {"config": config, "facts": {"allowlist": allowlist_facts(config)}}


def decide(engine: Engine, tenant: str, url: str) -> dict[str, Any]:
    """The decision for one URL; the engine must hold the policies and egress_data(config)."""
    try:
        parsed = parse_url(url)
    except UnsafeUrl as err:
        return {"tenant": tenant, "url": url, "allow": False, "reason": str(err)}
    request = {"tenant": tenant, "url": url, "scheme": parsed.scheme, "host": parsed.host,
               "port": parsed.port, "is_ip": parsed.is_ip}
    decision = engine.query(DECISION_RULE, request)
    if decision is UNDEFINED or not isinstance(decision, dict):
        raise EngineError(f"{DECISION_RULE} gave no decision for {url}")
    return {"tenant": tenant, "url": url, "allow": decision.get("allow") is True,
            "reason": decision.get("reason", ""), "entry": decision.get("entry")}
