"""Allowlists that cannot be abused (issue 9): KZ-EGR-03 refuses, and `decide egress` never
allows through, an entry on the node itself, its link or metadata service, a public suffix or
a provider's whole namespace; a tenant declared twice and an oversized allowlist are bad input.

What issue 9 added (the facts, egress_data, the size limit) is imported in the tests that use
it, so that on the code before, every other test fails on its behaviour, not on an import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.config import validate_config
from kaze_policy.decide import UnsafeUrl, decide, parse_url
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import Engine
from kaze_policy.errors import InputError
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import run_cli

CATALOG = load_catalog()

# Each entry no allowlist may hold, with a URL through it that an agent would call.
ABUSIVE = [
    ({"cidr": "169.254.169.0/24"}, "https://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    ({"cidr": "169.254.0.0/16"}, "https://169.254.10.1/"),
    ({"cidr": "127.0.0.0/24"}, "https://127.0.0.1/"),
    ({"cidr": "0.0.0.0/24"}, "https://0.0.0.0/"),
    ({"cidr": "::1/128"}, "https://[::1]/"),
    ({"cidr": "fe80::/64"}, "https://[fe80::1]/"),
    ({"cidr": "fd00:ec2::254/128"}, "https://[fd00:ec2::254]/latest/meta-data/"),
    ({"cidr": "::ffff:169.254.169.254/128"}, "https://[::ffff:169.254.169.254]/"),
    ({"cidr": "64:ff9b::a9fe:a9fe/128"}, "https://[64:ff9b::a9fe:a9fe]/"),
    ({"fqdn": "*.co.uk"}, "https://attacker.co.uk/"),
    ({"fqdn": "com"}, "https://com/"),
    ({"fqdn": "*.amazonaws.com"}, "https://attacker.s3.amazonaws.com/"),
    ({"fqdn": "*.s3.eu-west-1.amazonaws.com"}, "https://attacker.s3.eu-west-1.amazonaws.com/"),
    ({"fqdn": "s3.amazonaws.com"}, "https://s3.amazonaws.com/attacker-bucket/"),
    ({"fqdn": "*.github.io"}, "https://attacker.github.io/"),
    ({"fqdn": "*.internal"}, "https://metadata.google.internal/"),
    ({"fqdn": "metadata.google.internal"}, "https://metadata.google.internal/computeMetadata/v1/"),
    ({"fqdn": "*.localhost"}, "https://admin.localhost/"),
    ({"fqdn": "0x7f.1"}, "https://0x7f.1/"),
]
# Their twins, just beside: each stays usable, and its URL is allowed.
NEIGHBOURS = [
    ({"cidr": "169.253.255.0/24"}, "https://169.253.255.1/"),
    ({"cidr": "169.255.0.0/24"}, "https://169.255.0.1/"),
    ({"cidr": "128.0.0.0/24"}, "https://128.0.0.1/"),
    ({"cidr": "2001:db8:4000::/48"}, "https://[2001:db8:4000::1]/"),
    ({"cidr": "198.51.100.0/24"}, "https://[::ffff:198.51.100.7]/"),
    ({"fqdn": "*.acme-corp.co.uk"}, "https://api.acme-corp.co.uk/"),
    ({"fqdn": "acme-ledger.s3.eu-west-1.amazonaws.com"}, "https://acme-ledger.s3.eu-west-1.amazonaws.com/x"),
    ({"fqdn": "*.stripe.com"}, "https://api.stripe.com/v1/charges"),
    ({"fqdn": "www.googleapis.com"}, "https://www.googleapis.com/drive/v3/files"),
]


def entry(destination: dict[str, str]) -> dict[str, Any]:
    return {**destination, "ports": [443], "owner": "acme-integrations", "reason": "why"}


def config(entries: list[dict[str, str]], tenants: int = 1) -> dict[str, Any]:
    return {"apiVersion": "kaze.io/v1", "kind": "KazePolicyConfig",
            "tenants": [{"name": "acme" if n == 0 else f"t{n}", "vertical": "finance",
                         "egress": [entry(d) for d in entries]} for n in range(tenants)]}


def write_config(folder: Path, value: dict[str, Any]) -> Path:
    path = folder / "kaze-policy.yaml"
    path.write_text(yaml.safe_dump(value, sort_keys=False))
    return path


def is_clean(fact: dict[str, Any]) -> bool:
    """A fact holds only what was found against the entry."""
    return fact == {}


# ---------------------------------------------------------------------------------------------
# The facts (kaze_policy/analysis/allowlist.py)

@pytest.mark.parametrize("destination", [d for d, _ in ABUSIVE], ids=lambda d: next(iter(d.values())))
def test_every_abusive_entry_has_a_fact_against_it(destination: dict[str, str]) -> None:
    from kaze_policy.analysis.allowlist import allowlist_facts

    (facts,) = allowlist_facts(config([destination]))["tenants"]
    assert not is_clean(facts[0]), facts[0]


@pytest.mark.parametrize("destination", [d for d, _ in NEIGHBOURS], ids=lambda d: next(iter(d.values())))
def test_the_neighbours_are_clean(destination: dict[str, str]) -> None:
    from kaze_policy.analysis.allowlist import allowlist_facts

    (facts,) = allowlist_facts(config([destination]))["tenants"]
    assert is_clean(facts[0]), facts[0]


def test_a_metadata_cidr_names_the_metadata_service() -> None:
    from kaze_policy.analysis.allowlist import cidr_fact

    reached = {r["range"]: r["what"] for r in cidr_fact("169.254.169.0/24")["reaches"]}
    assert "169.254.169.254/32" in reached and "metadata" in reached["169.254.169.254/32"]
    mapped = {r["range"] for r in cidr_fact("::ffff:169.254.169.254/128")["reaches"]}
    assert "::ffff:169.254.169.254/128" in mapped


@pytest.fixture
def fresh_public_suffix_list() -> None:
    """The list's rules, matcher and index of rules below a domain made afresh, as a scan's first
    name does: they are cached for the process, and a mutation run forks each mutant from a
    process that already holds them (tools/mutation/run.py: mutmut runs the tests there first)."""
    from kaze_policy.analysis import allowlist

    for cached in (allowlist._rules, allowlist._psl, allowlist.rules_below):
        cached.cache_clear()


def test_the_public_suffix_list_comes_from_the_package(fresh_public_suffix_list: None) -> None:
    """Its private section too: a provider's namespace is there because customers register in it.
    A wildcard over a provider names the rule below it with the fewest labels (s3, not
    execute-api.af-south-1, the first, nor *.elb, the last of the list)."""
    from kaze_policy.analysis.allowlist import fqdn_fact

    assert fqdn_fact("*.co.uk") == {"covers_public_suffix": "co.uk"}
    assert fqdn_fact("co.uk") == {"is_public_suffix": "co.uk"}
    assert fqdn_fact("*.amazonaws.com") == {"covers_suffix_below": "s3.amazonaws.com"}
    assert fqdn_fact("*.herokuapp.com") == {"covers_public_suffix": "herokuapp.com"}
    assert fqdn_fact("*.xn--55qx5d.cn") == {"covers_public_suffix": "xn--55qx5d.cn"}  # 公司.cn, in punycode
    assert fqdn_fact("*.city.kobe.jp") == {}  # an exception of the list


LOOPBACK = {"range": "localhost", "what": "loopback (RFC 6761: localhost and every name under it are the machine itself)"}
GCP_METADATA = {"range": "metadata.google.internal", "what": "the GCP metadata service: instance credentials"}
AWS_METADATA = {"range": "instance-data.ec2.internal", "what": "the AWS metadata service: instance credentials"}
NOT_A_NAME = {"unjudged": "the host name is not a string"}


@pytest.mark.parametrize(("fqdn", "fact"), [
    ("api.localhost", {"reaches": [LOOPBACK]}),  # under a reserved name
    ("Metadata.Google.Internal", {"reaches": [GCP_METADATA]}),  # the name itself, in any case
    ("*.google.internal", {"reaches": [GCP_METADATA]}),  # a wildcard over a reserved name
    ("*.internal", {"reaches": [GCP_METADATA, AWS_METADATA], "covers_public_suffix": "internal"}),
    ("*.localhost", {"reaches": [LOOPBACK], "covers_public_suffix": "localhost"}),
    ("*.ec2.internal.example", {}),  # a reserved name's labels elsewhere are no reserved name
    ("0x7f.1", {"ends_in_a_number": True}),
    (42, NOT_A_NAME), (None, NOT_A_NAME), ("", NOT_A_NAME),
], ids=repr)
def test_a_name_fact_holds_exactly_what_the_policies_read(fqdn: Any, fact: dict[str, Any]) -> None:
    """rego/lib/allowlist.rego reads these keys: a misnamed key is an entry judged clean."""
    from kaze_policy.analysis.allowlist import fqdn_fact

    assert fqdn_fact(fqdn) == fact


@pytest.mark.parametrize(("domain", "number"), [
    ("2130706433", True), ("a.0x7f", True), ("a.0x", True),  # 0x alone is 0 to the WHATWG parser
    ("a.0xg1", False), ("a.0x7g", False), ("1.example", False), ("example.com", False),
])
def test_a_name_ends_in_a_number_as_a_url_parser_reads_it(domain: str, number: bool) -> None:
    from kaze_policy.analysis.allowlist import ends_in_a_number

    assert ends_in_a_number(domain) is number


def test_a_cidr_with_host_bits_set_is_read_as_its_network() -> None:
    """169.254.169.254/24 is written by hand for 169.254.169.0/24: judged, not refused unread."""
    from kaze_policy.analysis.allowlist import cidr_fact

    assert cidr_fact("169.254.169.254/24") == {"reaches": [
        {"range": "169.254.0.0/16", "what": "link-local: the node's own link, where the cloud metadata service answers"},
        {"range": "169.254.169.254/32",
         "what": "the cloud metadata service (AWS, GCP, Azure, OCI): instance credentials"}]}


NOT_AN_ENTRY = {"unjudged": "the entry is not a mapping"}
NOT_ONE_DESTINATION = {"unjudged": "the entry needs exactly one of cidr and fqdn"}
LOOPBACK_V4 = {"range": "127.0.0.0/8", "what": "loopback: the node or the pod itself"}


@pytest.mark.parametrize(("value", "facts"), [
    (None, {"tenants": [], "verticals": {}}),
    ({"tenants": {"acme": {}}, "verticals": ["finance"]}, {"tenants": [], "verticals": {}}),
    ({"tenants": [{"name": "acme", "egress": [{"cidr": "127.0.0.0/8"}, {"fqdn": "api.example"},
                                              {"cidr": "198.51.100.0/24", "fqdn": "api.example"}, {}, "api.example"]},
                  "a tenant that is no mapping", {"name": "t1"}, {"name": "t2", "egress": "api.example"}],
      "verticals": {"finance": {"egress": [{"fqdn": "*.co.uk"}]}, "odd": ["no mapping"], "none": {}}},
     {"tenants": [[{"reaches": [LOOPBACK_V4]}, {}, NOT_ONE_DESTINATION, NOT_ONE_DESTINATION, NOT_AN_ENTRY], [], [], []],
      "verticals": {"finance": [{"covers_public_suffix": "co.uk"}], "odd": [], "none": []}}),
], ids=["no configuration", "lists of another shape", "entries of every shape"])
def test_the_facts_mirror_the_configuration_entry_by_entry_whatever_its_shape(
        value: Any, facts: dict[str, Any]) -> None:
    """One fact per entry, tenants by position and verticals by name (rego/lib/allowlist.rego
    finds an entry's fact there); an entry that cannot be read is unjudged, never clean."""
    from kaze_policy.analysis.allowlist import allowlist_facts

    assert allowlist_facts(value) == facts


def test_a_cidr_that_does_not_parse_is_not_judged_clean() -> None:
    from kaze_policy.analysis.allowlist import cidr_fact

    fact = cidr_fact("169.254.169.254/33")
    assert fact == {"unjudged": "the CIDR does not parse as a network"}


# ---------------------------------------------------------------------------------------------
# KZ-EGR-03 in a scan

def egr03_findings(folder: Path) -> tuple[str, set[str]]:
    report = run_scan(ScanOptions(paths=[str(folder)], controls=["KZ-EGR-03"], workers=1), CATALOG)
    result = report.results[0]
    return result.status, {f.evidence["entry"].get("cidr") or f.evidence["entry"].get("fqdn") for f in result.findings}


def test_egr03_fails_on_each_abusive_entry_and_names_it(tmp_path: Path) -> None:
    abusive = [d for d, _ in ABUSIVE]
    write_config(tmp_path, config(abusive + [d for d, _ in NEIGHBOURS if "fqdn" in d]))
    status, named = egr03_findings(tmp_path)
    # The abusive entries and nothing else (the /16 is also wider than a /24).
    assert status == "fail" and named == {next(iter(d.values())) for d in abusive}


def test_egr03_passes_the_neighbours(tmp_path: Path) -> None:
    write_config(tmp_path, config([d for d, _ in NEIGHBOURS if d != {"cidr": "198.51.100.0/24"}]))
    assert egr03_findings(tmp_path) == ("pass", set())


# ---------------------------------------------------------------------------------------------
# decide egress

@pytest.fixture(scope="module")
def engine() -> Any:
    with create_engine("embedded", None) as rego:
        rego.load_policies(CATALOG.policy_files)
        yield rego


def egress_data(value: dict[str, Any]) -> dict[str, Any]:
    from kaze_policy.decide import egress_data

    return egress_data(value)


def decisions(engine: Engine, value: dict[str, Any], urls: list[str]) -> dict[str, bool]:
    engine.set_data(egress_data(value))
    return {url: decide(engine, "acme", url)["allow"] for url in urls}


def test_decide_never_allows_through_an_abusive_entry(engine: Engine) -> None:
    allowed = decisions(engine, config([d for d, _ in ABUSIVE]), [u for _, u in ABUSIVE])
    assert [url for url, allow in allowed.items() if allow] == []


def test_decide_allows_through_the_neighbours(engine: Engine) -> None:
    allowed = decisions(engine, config([d for d, _ in NEIGHBOURS]), [u for _, u in NEIGHBOURS])
    assert [url for url, allow in allowed.items() if not allow] == []


def test_the_cli_denies_and_says_which_entry_matched_and_why(tmp_path: Path) -> None:
    path = write_config(tmp_path, config([{"cidr": "169.254.169.0/24"}]))
    result = run_cli("decide", "egress", "--tenant", "acme", "--config", str(path), "https://169.254.169.254/")
    decision = json.loads(result.stdout)
    assert result.returncode == 1 and decision["allow"] is False
    assert "the entry 169.254.169.0/24 of tenant acme matches" in decision["reason"]
    assert "metadata service" in decision["reason"]


def test_a_host_on_two_lists_is_one_decision(tmp_path: Path) -> None:
    """Once an exit 3 ("rules must not produce multiple outputs"): the tenant's entry wins."""
    value = config([{"fqdn": "api.anthropic.com"}])
    value["verticals"] = {"finance": {"egress": [entry({"fqdn": "api.anthropic.com"})]}}
    path = write_config(tmp_path, value)
    result = run_cli("decide", "egress", "--tenant", "acme", "--config", str(path), "https://api.anthropic.com/")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reason"] == "on the allowlist of tenant acme"


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "0177.0.0.1", "a.0x7f"])
def test_a_host_ending_in_a_number_is_refused_before_the_allowlist(host: str) -> None:
    with pytest.raises(UnsafeUrl, match="ends in a number"):
        parse_url(f"https://{host}/")


def test_an_ipv4_mapped_host_is_the_ipv4_address() -> None:
    """What the socket connects to; OPA and regorus disagree on such a host in an IPv4 CIDR."""
    parsed = parse_url("https://[::ffff:169.254.169.254]/latest/")
    assert (parsed.host, parsed.is_ip) == ("169.254.169.254", True)


# ---------------------------------------------------------------------------------------------
# The configuration: a tenant declared twice, the size of the allowlists

def duplicate_tenants(folder: Path) -> Path:
    value = config([{"fqdn": "api.openai.com"}], tenants=2)
    value["tenants"].append({"name": "acme", "vertical": "healthcare", "egress": [entry({"fqdn": "evil.example"})]})
    return write_config(folder, value)


def test_a_duplicate_tenant_is_bad_input_for_decide(tmp_path: Path) -> None:
    path = duplicate_tenants(tmp_path)
    result = run_cli("decide", "egress", "--tenant", "acme", "--config", str(path), "https://api.openai.com/")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"kaze-policy: error: {path}: invalid configuration at tenants/2/name: tenant acme is declared twice "
        "(first at tenants/0)"]


def test_a_duplicate_tenant_is_bad_input_for_a_scan(tmp_path: Path) -> None:
    duplicate_tenants(tmp_path)
    result = run_cli("scan", ".", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "kaze-policy.yaml: invalid configuration at tenants/2/name: tenant acme is declared twice" in line


def test_too_many_allowlist_entries_is_one_line_of_bad_input() -> None:
    from kaze_policy.config import MAX_ALLOWLIST_ENTRIES

    value = config([{"fqdn": f"h{i}.acme-corp.example"} for i in range(MAX_ALLOWLIST_ENTRIES // 2 + 1)], tenants=2)
    with pytest.raises(InputError, match=f"{MAX_ALLOWLIST_ENTRIES + 2} egress allowlist entries, more than the "
                                         f"{MAX_ALLOWLIST_ENTRIES} kaze-policy reads"):
        validate_config(value, "kaze-policy.yaml")
    validate_config(config([{"fqdn": f"h{i}.acme-corp.example"} for i in range(MAX_ALLOWLIST_ENTRIES)]), "x")


@pytest.mark.parametrize(("change", "message"), [
    (lambda v: v["tenants"][0]["egress"][0].update(fqdn="API.example"),
     "invalid configuration at tenants/0/egress/0/fqdn: 'API.example' does not match"),
    (lambda v: v["tenants"][0].update(name="acme\n"),
     "invalid configuration at tenants/0/name: \"acme\\n\" does not match"),
    (lambda v: v.update(waivers=[{"control": "KZ-EGR-03", "reason": "r", "by": "b", "until": "2026-02-30"}]),
     "invalid configuration at waivers/0/until: '2026-02-30' is not a 'date'"),
])
def test_schema_errors_still_name_the_field(change: Any, message: str) -> None:
    value = config([{"fqdn": "api.example"}])
    change(value)
    with pytest.raises(InputError) as raised:
        validate_config(value, "kaze-policy.yaml")
    assert message in str(raised.value)
