"""`kaze-policy decide egress`: may an agent of a tenant call this URL? (KZ-EGR-04)

The URL is parsed here, strictly, so that the Rego rule judges only a scheme, a host and a
port: whatever a lenient parser and the HTTP client could read differently (userinfo,
backslashes, percent-encoded or non-ASCII hosts) is denied before the allowlist is asked.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

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
    is_ip = _is_ip(host)
    if not is_ip and not _HOST.match(host):
        raise UnsafeUrl(f"host {host!r} is not a valid DNS name")
    return ParsedUrl(scheme, host, port if port is not None else DEFAULT_PORTS[scheme], is_ip)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def decide(engine: Engine, tenant: str, url: str) -> dict[str, Any]:
    """The decision for one URL; the engine must hold the policies and the configuration."""
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
