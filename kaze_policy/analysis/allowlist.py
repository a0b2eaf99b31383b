"""What each egress allowlist entry really opens, for KZ-EGR-03 and `decide egress` (KZ-EGR-04).

An entry can look narrow and still open what no allowlist may: a /24 around 169.254.169.254
hands agents the cloud's instance credentials, `::ffff:127.0.0.1/128` is the node itself,
and `*.co.uk` or `*.amazonaws.com` let anyone who registers a name (or a bucket) there
through. Rego can neither overlap networks across IPv4-in-IPv6 forms nor read the Public
Suffix List, so this module computes the facts and the policies judge them
(rego/lib/allowlist.rego): `facts.allowlist` mirrors the configuration, one fact per entry,

    {"tenants": [[fact, ...] per tenant, in order], "verticals": {name: [fact, ...]}}

and a fact holds only what was found against the entry ({} when nothing was):
`unjudged` why the entry cannot be read, `reaches` the reserved networks or names it
overlaps ({range, what}), `is_public_suffix` the public suffix a name is (`com`),
`covers_public_suffix` the one a wildcard covers whole (`*.co.uk`), `covers_suffix_below` a
rule of the list under a wildcard's domain (`*.amazonaws.com` covers `s3.amazonaws.com`),
`ends_in_a_number` true for a name whose last label is a number (read as an IPv4 address).
The list is the one the `publicsuffixlist` package ships, private section included: a
provider's namespace is on it because its customers register names there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import publicsuffixlist

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Destinations on the node itself or its link: never outside the cell, whatever a team says.
_RESERVED_V4 = (
    ("0.0.0.0/8", "this network: 0.0.0.0 connects to the machine itself"),
    ("127.0.0.0/8", "loopback: the node or the pod itself"),
    ("169.254.0.0/16", "link-local: the node's own link, where the cloud metadata service answers"),
    ("169.254.169.254/32", "the cloud metadata service (AWS, GCP, Azure, OCI): instance credentials"),
    ("100.100.100.200/32", "the Alibaba Cloud metadata service: instance credentials"),
    ("168.63.129.16/32", "the Azure platform endpoint (WireServer, metadata, DNS) of the node"),
)
_RESERVED_V6 = (
    ("::/128", "the unspecified address: connects to the machine itself"),
    ("::1/128", "loopback: the node or the pod itself"),
    ("fe80::/10", "link-local: the node's own link"),
    ("fd00:ec2::254/128", "the AWS metadata service over IPv6: instance credentials"),
)
# IPv6 forms that carry an IPv4 address: the stack (mapped) or a NAT64 gateway connects to it.
_EMBEDDING = (("::ffff:", "IPv4-mapped"), ("64:ff9b::", "NAT64"))  # the /96 prefixes

# Names that resolve to the machine or its metadata service, whoever answers DNS.
_RESERVED_NAMES = {
    "localhost": "loopback (RFC 6761: localhost and every name under it are the machine itself)",
    "metadata.google.internal": "the GCP metadata service: instance credentials",
    "instance-data.ec2.internal": "the AWS metadata service: instance credentials",
}


def _embedded(prefix: str, network: ipaddress.IPv4Network) -> tuple[ipaddress.IPv6Network, str]:
    """An IPv4 network in an IPv6 form, and how to write it (`::ffff:169.254.0.0/112`)."""
    shown = f"{prefix}{network.network_address}/{96 + network.prefixlen}"
    return ipaddress.IPv6Network(shown), shown


@lru_cache(maxsize=1)
def reserved_networks() -> tuple[tuple[Network, str, str], ...]:
    """Every reserved network, as written, with what it is; the IPv4 ones in their IPv6 forms too."""
    v4 = [(ipaddress.IPv4Network(r), r, what) for r, what in _RESERVED_V4]
    v6 = [(ipaddress.IPv6Network(r), r, what) for r, what in _RESERVED_V6]
    embedded = [(*_embedded(prefix, net), f"{what}, in its {form} IPv6 form")
                for prefix, form in _EMBEDDING for net, _, what in v4]
    return tuple(v4 + v6 + embedded)


@lru_cache(maxsize=1)
def _rules() -> tuple[str, ...]:
    """The rules of the list the package ships, internationalised ones in punycode (allowlist
    names are ASCII), exceptions (`!city.kobe.jp`) with their mark."""
    rules = []
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as handle:
        for line in handle:
            rule = line.strip().lower().split(" ")[0]
            if rule and not rule.startswith("//"):
                rules.append(_ascii(rule))
    return tuple(rules)


def _ascii(rule: str) -> str:
    if rule.isascii():
        return rule
    mark = "!" if rule.startswith("!") else ""
    try:
        return mark + publicsuffixlist.encode_idn(rule.removeprefix("!"))
    except UnicodeError:
        return rule


@lru_cache(maxsize=1)
def _psl() -> publicsuffixlist.PublicSuffixList:
    # The package's own matching (wildcards, exceptions) over its list. accept_unknown: a label
    # the list does not know (`internal`, `corp`) is a top-level domain, so `*.internal` is
    # refused rather than trusted.
    return publicsuffixlist.PublicSuffixList(_rules(), accept_unknown=True, accept_encoded_idn=False)


@lru_cache(maxsize=1)
def rules_below() -> dict[str, str]:
    """Every domain that has a rule of the list strictly under it → the shortest such rule.

    `amazonaws.com` → `s3.amazonaws.com`: a wildcard over such a domain covers a public
    suffix. The package's parser keeps no such index.
    """
    below: dict[str, str] = {}
    for rule in _rules():
        # An exception (!city.kobe.jp) is no suffix; the wildcard it excepts from is.
        if rule.startswith("!"):
            continue
        labels = rule.split(".")
        for k in range(1, len(labels)):
            parent = ".".join(labels[k:])
            if parent not in below or _shorter(rule, below[parent]):
                below[parent] = rule
    return below


def _shorter(rule: str, than: str) -> bool:
    """The rule to name in a message: the fewest labels, then the shortest, then the first."""
    return (rule.count("."), len(rule), rule) < (than.count("."), len(than), than)


def cidr_fact(cidr: Any) -> dict[str, Any]:
    """The reserved networks a CIDR overlaps (host bits set are read as the network)."""
    try:
        network = ipaddress.ip_network(str(cidr), strict=False) if isinstance(cidr, str) else None
    except ValueError:
        network = None
    if network is None:
        return {"unjudged": "the CIDR does not parse as a network"}
    reaches = [{"range": shown, "what": what} for reserved, shown, what in reserved_networks()
               if reserved.version == network.version and network.overlaps(reserved)]  # type: ignore[arg-type]
    return {"reaches": reaches} if reaches else {}


def fqdn_fact(fqdn: Any) -> dict[str, Any]:
    """Whether a name or wildcard is, or covers, a public suffix or a reserved name."""
    if not isinstance(fqdn, str) or not fqdn:
        return {"unjudged": "the host name is not a string"}
    name = fqdn.lower()
    wildcard = name.startswith("*.")
    domain = name[2:] if wildcard else name
    fact: dict[str, Any] = {}
    reaches = _reserved_names(domain, wildcard)
    if reaches:
        fact["reaches"] = reaches
    if _psl().is_public(domain):
        fact["covers_public_suffix" if wildcard else "is_public_suffix"] = domain
    elif wildcard and domain in rules_below():
        fact["covers_suffix_below"] = rules_below()[domain]
    if ends_in_a_number(domain):
        fact["ends_in_a_number"] = True
    return fact


def _reserved_names(domain: str, wildcard: bool) -> list[dict[str, str]]:
    return [{"range": reserved, "what": what} for reserved, what in _RESERVED_NAMES.items()
            if domain == reserved or domain.endswith("." + reserved)
            or (wildcard and reserved.endswith("." + domain))]


def ends_in_a_number(domain: str) -> bool:
    """The WHATWG URL rule: a host whose last label is decimal or 0x-hex is an IPv4 address
    (`2130706433`, `0x7f.1` are 127.0.0.1 to a browser, curl and inet_aton)."""
    last = domain.rsplit(".", 1)[-1]
    return last.isdigit() or (last[:2] == "0x" and all(c in "0123456789abcdef" for c in last[2:]))


def entry_fact(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        return {"unjudged": "the entry is not a mapping"}
    if "cidr" in entry and "fqdn" not in entry:
        return cidr_fact(entry["cidr"])
    if "fqdn" in entry and "cidr" not in entry:
        return fqdn_fact(entry["fqdn"])
    return {"unjudged": "the entry needs exactly one of cidr and fqdn"}


def _list_facts(entries: Any) -> list[dict[str, Any]]:
    return [entry_fact(e) for e in entries] if isinstance(entries, list) else []


def allowlist_facts(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """`facts.allowlist` for one configuration, in one pass over its entries."""
    config = config if isinstance(config, Mapping) else {}
    tenants = config.get("tenants")
    verticals = config.get("verticals")
    return {
        "tenants": [_list_facts(t.get("egress")) if isinstance(t, Mapping) else []
                    for t in (tenants if isinstance(tenants, list) else [])],
        "verticals": {name: _list_facts(v.get("egress")) if isinstance(v, Mapping) else []
                      for name, v in (verticals.items() if isinstance(verticals, Mapping) else [])},
    }


def analyze(resources: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The analyzer interface (kaze_policy.analysis.ANALYZERS): only the configuration counts."""
    return allowlist_facts(config)
