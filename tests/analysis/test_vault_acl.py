"""Unit tests of the Vault/OpenBao policy analyzer, without a server.

The expected answers are the ones a real OpenBao 2.7 gave for the same policies and paths
(test_vault_acl_openbao.py checks these rules, and thousands of generated cases, live).
"""

from __future__ import annotations

import json

import pytest

from kaze_policy.analysis.vault_acl import (
    ACL,
    UNKNOWN_CLIENT,
    PolicyError,
    analyze,
    capabilities,
    parse_policy,
)


def p(path: str, *caps: str) -> str:
    """One `path` block."""
    return f"path {json.dumps(path)} {{ capabilities = {json.dumps(list(caps))} }}\n"


# ------------------------------------------------------------------ parsing


def test_parse_reads_paths_in_order_with_lines() -> None:
    text = '# the acme agent\npath "kv/data/clients/acme/*" {\n  capabilities = ["read", "list"]\n}\n'
    text += p("sys/*", "deny")
    policy = parse_policy(text, "client-acme-agent")
    assert [(r.path, sorted(r.capabilities), r.line) for r in policy.rules] == [
        ("kv/data/clients/acme/*", ["list", "read"], 2),
        ("sys/*", ["deny"], 5),
    ]
    assert policy.paths() == {"kv/data/clients/acme/*": {"capabilities": ["list", "read"]},
                              "sys/*": {"capabilities": ["deny"]}}


def test_parse_accepts_hcl1_forms_vault_accepts() -> None:
    text = """
    name = "ops"
    path "a" { capabilities = ["read"], comment = "x" }, path "b" { capabilities = ["list",], comment = false }
    path c { capabilities = ["update"], comment = true }   // unquoted label
    /* a block comment
    EOT
       (a heredoc below ends on the first such line after it begins) */
    path "d"
    {
      capabilities = ["create"]
      allowed_parameters = { "key" = [], "flag" = [true, false] }
      min_wrapping_ttl = "1s"
      pagination_limit = 5
      comment = <<EOT
    multi-line
    EOT
    }
    """
    policy = parse_policy(text, "ops")
    assert {r.path: sorted(r.capabilities) for r in policy.rules} == {
        "a": ["read"], "b": ["list"], "c": ["update"], "d": ["create"]}


def test_parse_json_policy() -> None:
    policy = parse_policy('{"path": {"kv/data/x": {"capabilities": ["read"]}}}', "j")
    assert policy.name == "j"
    assert [(r.path, set(r.capabilities)) for r in policy.rules] == [("kv/data/x", {"read"})]


def test_json_policy_reads_paths_after_name_and_any_value_without_lines() -> None:
    assert parse_policy(json.dumps({"name": 5, "path": {}}), "j").rules == ()
    text = json.dumps({"name": "j", "path": {
        "a": {"capabilities": ["read"], "pagination_limit": 5, "allowed_parameters": {"k": [True, 1]}},
        "b": {"policy": "read"}}})
    policy = parse_policy(text, "j")
    assert [(r.path, set(r.capabilities), r.line) for r in policy.rules] == [
        ("a", {"read"}, None), ("b", {"read", "list"}, None)]


@pytest.mark.parametrize(
    "doc,message",
    [
        ({"bogus": 1}, 'invalid key "bogus"'),
        ({"path": []}, '"path" must map paths to objects'),
        ({"path": {"x": []}}, 'path "x": expected an object'),
        ({"path": {"x": {"bogus": 1}}}, 'path "x": invalid key "bogus"'),
        ({"path": {"x": {"capabilities": "read"}}}, 'path "x": capabilities must be a list of strings'),
        ({"path": {"x": {"capabilities": [1]}}}, 'path "x": capabilities must be strings'),
        ({"path": {"x": {"capabilities": ["reed"]}}}, 'path "x": invalid capability "reed"'),
        ({"path": {"x": {"policy": 1}}}, 'path "x": policy must be a string'),
        ({"path": {"x": {"policy": "admin"}}}, 'path "x": invalid policy "admin"'),
        ({"path": {"kv/+*": {}}}, "path \"kv/+*\": invalid use of wildcards ('+*' is forbidden)"),
        ({"name": True, "path": {}}, "name must be a string"),
        ({"name": {}}, "name must be a string"),
    ],
)
def test_json_policy_errors_name_the_policy_and_no_line(doc: dict[str, object], message: str) -> None:
    """JSON carries no line numbers: every error has none, as an error before any block has."""
    with pytest.raises(PolicyError) as info:
        parse_policy(json.dumps(doc), "j")
    assert (info.value.policy, info.value.line, str(info.value)) == ("j", None, f'policy "j": {message}')


def test_lines_count_through_comments_heredocs_and_values() -> None:
    text = """# comment
name = "lines"
/* a
   b */
path "x" {
  comment = <<-EOT
    one
    EOT
  pagination_limit = 5, min_wrapping_ttl = "1s"
  capabilities = ["read",
                  "list",]
}
// last
path "y" { capabilities = [] }"""
    assert [(r.path, r.line) for r in parse_policy(text, "l").rules] == [("x", 5), ("y", 14)]


def test_a_policy_starting_with_a_brace_after_blank_lines_is_json() -> None:
    assert [r.path for r in parse_policy('\n  {"path": {"x": {}}}', "j").rules] == ["x"]


def test_repeated_capabilities_in_one_block_are_concatenated() -> None:
    policy = parse_policy('path "d" { capabilities = ["read"]\ncapabilities = ["list"] }', "x")
    assert policy.rules[0].capabilities == {"read", "list"}


def test_legacy_policy_field_adds_capabilities() -> None:
    policy = parse_policy('path "l" { policy = "read" capabilities = ["sudo"] }\npath "w" { policy = "write" }', "x")
    assert policy.rules[0].capabilities == {"read", "list", "sudo"}
    assert policy.rules[1].capabilities == {"create", "read", "update", "delete", "list"}
    deny = parse_policy('path "n" { capabilities = ["read"], policy = "deny" }', "x")
    assert deny.rules[0].capabilities == {"deny"}


def test_deny_keeps_only_deny_and_stops_checking() -> None:
    # the server checks left to right and stops at deny: a later unknown name passes
    assert parse_policy(p("x", "deny", "read", "bogus"), "x").rules[0].capabilities == {"deny"}
    with pytest.raises(PolicyError, match='invalid capability "bogus"'):
        parse_policy(p("x", "bogus", "deny"), "x")


@pytest.mark.parametrize(
    "escaped,decoded",
    [
        ('\\a\\b\\f\\n\\r\\t\\v\\"\\\\', '\a\b\f\n\r\t\v"\\'),
        ("\\x41\\x7f\\101\\u00e9\\U0001F600", "A\x7fA\u00e9\U0001F600"),
        # a byte above 0x80 is not UTF-8, a surrogate reads as U+FFFD on the server
        ("\\xE9\\x80\\377\\uD800\\uDFFF\\U0010FFFF", "\ufffd\ufffd\ufffd\ufffd\ufffd\U0010FFFF"),
        ("\\uD7FF\\uE000\\U0000D7FF", "\uD7FF\uE000\uD7FF"),
        # refused by the server (`\400` and `\U00110000` take it down)
        ("\\/", None), ("\\'", None), ("\\q", None), ("\\0", None), ("\\10", None), ("\\400", None),
        ("\\x4", None), ("\\u12g4", None), ("\\U0001F60", None), ("\\U00110000", None),
    ],
)
def test_quoted_strings_decode_the_escapes_the_server_reads(escaped: str, decoded: str | None) -> None:
    text = f'path "k{escaped}z" {{\n  capabilities = ["read"] }}'
    if decoded is not None:
        assert parse_policy(text, "e").rules[0].path == f"k{decoded}z"
        return
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "e")
    assert (info.value.policy, info.value.line, info.value.message) == (
        "e", 1, f'invalid escape in string "k{escaped}z"')


def test_one_leading_slash_is_dropped_from_policy_paths() -> None:
    policy = parse_policy(p("/lead", "read") + p("//dbl", "read"), "x")
    assert [r.path for r in policy.rules] == ["lead", "/dbl"]


def test_extra_labels_are_ignored_like_the_server() -> None:
    assert [r.path for r in parse_policy('path "d" "e" { capabilities = ["read"] }', "x").rules] == ["d"]


@pytest.mark.parametrize(
    "text,line,message",
    [
        ('path "x" {\n  capabilities = ["read", "subscribe"]\n}', 2, 'path "x": invalid capability "subscribe"'),
        ('path "x" {\n  capabilities = ["root"]\n}', 2, 'path "x": invalid capability "root"'),
        ('path "ok" { capabilities = ["read"] }\n\npath "kv/+*" { capabilities = ["read"] }', 3,
         "path \"kv/+*\": invalid use of wildcards ('+*' is forbidden)"),
        ('path "x" { capabilities = ["read"]\n  bogus = 1 }', 2, 'path "x": invalid key "bogus"'),
        ('foo = "x"\npath "x" { capabilities = ["read"] }', 1, 'invalid key "foo"'),
        ('path "x" { capabilities = "read" }', 1, 'path "x": capabilities must be a list of strings'),
        ('path "x" {\n\n  capabilities = [read] }', 3, 'unexpected token while parsing list: IDENT'),
        ('path "x" {\n  capabilities = ["read",\n}', 3, "unexpected token '}' where a value belongs"),
        ('path "x" {\n  capabilities = ["read" }', 2, "expected ',' or ']' in list, got '}'"),
        ('path "x" {\n  capabilities = ["read"', 2, "expected ',' or ']' in list, got 'end of file'"),
        ('path "x" {\n  capabilities = [1] }', 2, 'path "x": capabilities must be strings'),
        ('path "x" { capabilities = ["read"] }\n junk', 2,
         "key 'junk' expected start of object ('{') or assignment ('=')"),
        ('path "x" {\n  capabilities = ["read"]\n', 3, "object expected closing '}' before end of file"),
        ('path "x" = { capabilities = ["read"] }', 1, "nested object expected: '{' got '='"),
        ('path "x" { policy = "admin" }', 1, 'path "x": invalid policy "admin"'),
        ('path "x" {\n  policy = "admin" }', 2, 'path "x": invalid policy "admin"'),
        ('path "x" {\n  policy = <<EOT\nread\nEOT\n}', 2, 'path "x": invalid policy "read\n"'),
        ('path "x" {\n  policy = 1 }', 2, 'path "x": policy must be a string'),
        ('path "x" {\n  capabilities = [\n    "reed"\n  ]\n}', 3, 'path "x": invalid capability "reed"'),
        ('{\n  "path":\n}', 3, 'invalid JSON: Expecting value'),
        ('path "x" { capabilities = ["read"] }\n@', 2, "unexpected character '@'"),
        ('path "x" {\n  comment = foo }', 2, "unexpected token 'foo' where a value belongs"),
        ('name = "n"\npath = "x"', 2, 'expected `path "<path>" { ... }`'),
        ('name = 5\n\nname = true', 3, "name must be a string"),
        ('name = { a = 1 }', 1, "name must be a string"),
        ('path "x" {}\nname = 1.5', 2, "name must be a string"),
        ('name = []', 1, "name must be a string"),
        ('path "x" { capabilities = ["read"] },,', 1, "expected a key, got ','"),
        ('path "x" {\n  capabilities =', 2, "unexpected token 'end of file' where a value belongs"),
        ('path "x" {\n  comment = <<EOT\n  x\n', 2, "heredoc <<EOT is not closed"),
        ('# c\n/* a\n b */ path "x" {\n  comment = <<-EOT\n    one\n    EOT\n  bogus = 1 }', 7,
         'path "x": invalid key "bogus"'),
    ],
)
def test_parse_errors_name_the_policy_and_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "broken")
    assert (info.value.policy, info.value.line, info.value.message) == ("broken", line, message)
    assert str(info.value) == f'policy "broken", line {line}: {message}'


@pytest.mark.parametrize("text", ['name = "n"', "name = 5", "name = -5", "name = <<EOT\nn\nEOT", '{"name": 5}'])
def test_a_name_is_a_string_or_an_integer(text: str) -> None:
    assert parse_policy(text, "n").rules == ()


def test_a_path_block_without_its_label_is_an_error_not_a_guess() -> None:
    # OpenBao 2.7 loads `path { capabilities = ["read"] }` and grants read on the path `path`;
    # the analyzer refuses it: the policy is reported, never read another way
    with pytest.raises(PolicyError) as info:
        parse_policy('path {\n  capabilities = ["read"] }', "n")
    assert (info.value.line, info.value.message) == (1, 'expected `path "<path>" { ... }`')


def test_empty_policy_is_an_error() -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy("  \n", "e")
    assert (info.value.policy, info.value.line, str(info.value)) == ("e", None, 'policy "e": policy is empty')


def test_parser_agrees_with_python_hcl2_on_the_common_subset() -> None:
    """python-hcl2 reads HCL2, not Vault's HCL1, but on plain policies both must agree."""
    hcl2 = pytest.importorskip("hcl2")
    text = p("kv/data/clients/acme/*", "read", "list") + p("sys/*", "deny") + p("kv/data/clients/acme/*", "update")
    theirs = [(k.strip('"'), sorted(v["capabilities"] and [c.strip('"') for c in v["capabilities"]]))
              for block in hcl2.loads(text)["path"] for k, v in block.items()]
    mine = [(r.path, sorted(r.capabilities)) for r in parse_policy(text, "x").rules]
    assert mine == theirs


# ------------------------------------------------------------------ capabilities


def test_exact_path_matches_only_itself() -> None:
    pol = [p("kv/data/x", "read")]
    assert capabilities(pol, "kv/data/x") == {"read"}
    assert capabilities(pol, "kv/data/xy") == {"deny"}
    assert capabilities(pol, "kv/data") == {"deny"}


def test_star_is_a_trailing_prefix_glob_only() -> None:
    pol = [p("kv/data/acm*", "read"), p("kv/*/x", "list")]
    assert capabilities(pol, "kv/data/acme/key") == {"read"}
    assert capabilities(pol, "kv/data/acm") == {"read"}
    assert capabilities(pol, "kv/data/x") == {"deny"}  # `*` in the middle is a literal
    assert capabilities(pol, "kv/*/x") == {"list"}


def test_plus_matches_exactly_one_segment() -> None:
    pol = [p("kv/data/clients/+/key", "read")]
    assert capabilities(pol, "kv/data/clients/acme/key") == {"read"}
    assert capabilities(pol, "kv/data/clients/a/b/key") == {"deny"}
    assert capabilities(pol, "kv/data/clients/key") == {"deny"}


def test_plus_only_as_a_whole_segment_and_the_servers_textual_test() -> None:
    pol = [p("a/+c", "read"), p("b+/x", "list"), p("+", "sudo")]
    assert capabilities(pol, "a/+c") == {"read"}
    assert capabilities(pol, "a/bc") == {"deny"}
    assert capabilities(pol, "b+/x") == {"list"}
    assert capabilities(pol, "anything") == {"sudo"}


def test_exact_wins_over_globs() -> None:
    pol = [p("kv/*", "read"), p("kv/+", "list"), p("kv/x", "update")]
    assert capabilities(pol, "kv/x") == {"update"}


def test_priority_first_wildcard_later_wins() -> None:
    pol = [p("a/b/+", "list"), p("a/+/+", "read")]
    assert capabilities(pol, "a/b/c") == {"list"}
    assert capabilities(pol, "a/x/c") == {"read"}


def test_priority_not_ending_in_star_wins() -> None:
    # `*` and `+` at the same position: the rule without the trailing `*` wins
    pol = [p("secret/*", "read"), p("secret/+/foo", "update")]
    assert capabilities(pol, "secret/a/foo") == {"update"}
    assert capabilities(pol, "secret/a/bar") == {"read"}
    pol = [p("a/+/c", "read"), p("a/+/c*", "list")]
    assert capabilities(pol, "a/b/c") == {"read"}
    assert capabilities(pol, "a/b/cd") == {"list"}
    assert capabilities(list(reversed(pol)), "a/b/c") == {"read"}


def test_priority_fewer_plus_wins() -> None:
    pol = [p("a/+/+", "read"), p("a/+/b", "list")]
    assert capabilities(pol, "a/x/b") == {"list"}
    assert capabilities(pol, "a/x/c") == {"read"}


def test_priority_a_prefix_rule_has_no_plus_so_it_beats_a_longer_plus_prefix_rule() -> None:
    pol = [p("secret/*", "read"), p("secret/+/foo*", "list")]
    assert capabilities(pol, "secret/a/foo") == {"read"}
    assert capabilities(pol, "secret/a/foobar") == {"read"}


def test_priority_longer_wins() -> None:
    pol = [p("kv/data/+/*", "read"), p("kv/data/+/acme/*", "list")]
    assert capabilities(pol, "kv/data/x/acme/k") == {"list"}


def test_priority_lexicographically_larger_wins() -> None:
    # same wildcard position, no `*`, two `+`, same length: the server picks the larger text
    # (the docs: "if P1 is smaller lexicographically, it is lower priority")
    pol = [p("+/a/+", "update"), p("+/+/b", "create")]
    assert capabilities(pol, "x/a/b") == {"update"}
    assert capabilities(list(reversed(pol)), "x/a/b") == {"update"}
    # the text is compared with its `/`s: `+/+0/+` is larger than `+/+/cc` ("0" > "/")
    assert capabilities([p("+/+/cc", "list"), p("+/+0/+", "read")], "x/+0/cc") == {"read"}


def test_longest_prefix_glob_wins() -> None:
    pol = [p("kv/*", "read"), p("kv/data/*", "list")]
    assert capabilities(pol, "kv/data/x") == {"list"}
    assert capabilities(pol, "kv/metadata/x") == {"read"}


def test_same_path_across_policies_is_a_union() -> None:
    assert capabilities([p("kv/*", "read"), p("kv/*", "list")], "kv/a") == {"read", "list"}


def test_deny_overrides_everything_on_the_same_path() -> None:
    pol = [p("kv/x", "read", "sudo"), p("kv/x", "deny"), p("kv/x", "update")]
    assert capabilities(pol, "kv/x") == {"deny"}


def test_deny_on_a_more_specific_path_wins_over_a_grant() -> None:
    pol = [p("kv/data/clients/*", "read"), p("kv/data/clients/globex/*", "deny")]
    assert capabilities(pol, "kv/data/clients/globex/k") == {"deny"}
    assert capabilities(pol, "kv/data/clients/acme/k") == {"read"}


def test_empty_capabilities_shadow_a_glob() -> None:
    pol = [p("kv/*", "read"), p("kv/y")]
    assert capabilities(pol, "kv/y") == {"deny"}
    assert capabilities(pol, "kv/z") == {"read"}


def test_sudo_patch_and_scan_are_capabilities_like_the_others() -> None:
    assert capabilities([p("sys/*", "sudo", "patch", "scan")], "sys/audit") == {"sudo", "patch", "scan"}


def test_one_trailing_slash_falls_back_to_exact_and_plus_rules() -> None:
    pol = [p("q/*", "read"), p("q/y", "update"), p("r/*", "read"), p("r/+", "delete"), p("t/+/", "create"),
           p("t/+", "delete")]
    assert capabilities(pol, "q/y/") == {"update"}  # exact rule of the path less its `/`
    assert capabilities(pol, "q/y//") == {"read"}
    assert capabilities(pol, "r/y/") == {"read"}  # a prefix match of the path itself comes first
    assert capabilities(pol, "r/y") == {"delete"}
    assert capabilities(pol, "t/a/") == {"create"}
    assert capabilities(pol, "t/a//") == {"create"}  # `+` rules of the path less one `/`


def test_leading_slashes_of_the_request_are_ignored() -> None:
    pol = [p("lead", "list"), p("", "read"), p("XY", "update")]
    assert capabilities(pol, "///lead") == {"list"}
    assert capabilities(pol, "/") == {"read"}
    assert capabilities(pol, "/XY") == {"update"}  # only `/`s are removed


def test_empty_request_path_is_an_error() -> None:
    with pytest.raises(ValueError, match="^missing path$"):
        capabilities([p("x", "read")], "")


def test_policies_may_be_parsed_or_text() -> None:
    parsed = parse_policy(p("a", "read"), "a")
    assert capabilities([parsed, p("a", "list")], "a") == {"read", "list"}
    assert ACL([parsed]).capabilities("a") == {"read"}


def test_a_policy_given_as_text_is_named_by_its_position() -> None:
    with pytest.raises(PolicyError) as info:
        capabilities([p("a", "read"), p("b", "reed")], "a")
    assert info.value.policy == "<policy 1>"


def test_no_policy_means_deny() -> None:
    assert capabilities([], "kv/data/x") == {"deny"}


# ------------------------------------------------------------------ facts

CONFIG = {"tenants": [{"name": "acme", "vertical": "legal"}, {"name": "globex", "vertical": "retail"}]}


def vault_policy(name: str, text: str) -> dict[str, object]:
    return {"id": f"VaultPolicy/{name}", "kind": "VaultPolicy", "namespace": None, "name": name,
            "object": {"policy": text}}


def access(facts: dict[str, object], policy: str) -> set[tuple[str, str]]:
    entries: list[dict[str, str]] = facts["client_access"]  # type: ignore[assignment]
    return {(e["client"], e["path"]) for e in entries if e["policy"] == policy}


def clients_reached(facts: dict[str, object], policy: str) -> set[str]:
    return {c for c, _ in access(facts, policy)}


def test_client_policy_reaches_only_its_client() -> None:
    facts = analyze([vault_policy("client-acme-agent", p("kv/data/clients/acme/*", "read"))], CONFIG)
    assert clients_reached(facts, "client-acme-agent") == {"acme"}
    entry = next(e for e in facts["client_access"] if e["path"] == "kv/data/clients/acme/kaze-probe-key")
    assert entry["capabilities"] == ["read"] and entry["all_clients"] is False


def test_wildcards_reach_every_client_including_the_unknown_one() -> None:
    resources = [vault_policy("ops-plus", p("kv/data/clients/+/*", "read")),
                 vault_policy("ops-glob", p("kv/data/*", "read")),
                 vault_policy("ops-acm", p("kv/data/clients/acm*", "read"))]
    facts = analyze(resources, CONFIG)
    assert clients_reached(facts, "ops-plus") == {"acme", "globex", UNKNOWN_CLIENT}
    assert clients_reached(facts, "ops-glob") == {"acme", "globex", UNKNOWN_CLIENT}
    assert clients_reached(facts, "ops-acm") == {"acme"}
    assert any(e["all_clients"] for e in facts["client_access"] if e["policy"] == "ops-plus")


def test_deny_in_the_same_policy_is_respected() -> None:
    text = p("kv/data/clients/*", "read") + p("kv/data/clients/globex/*", "deny")
    facts = analyze([vault_policy("ops", text)], CONFIG)
    assert clients_reached(facts, "ops") == {"acme", UNKNOWN_CLIENT}


def test_mounts_come_from_the_policies() -> None:
    resources = [vault_policy("a", p("secret/data/clients/acme/*", "read")),
                 vault_policy("b", p("clients/globex/*", "list")),
                 vault_policy("c", p("team-kv/data/clients/acme/*", "read")),
                 vault_policy("d", p("kv/metadata/clients/+/*", "list"))]
    facts = analyze(resources, CONFIG)
    assert ("acme", "secret/data/clients/acme/kaze-probe-key") in access(facts, "a")
    assert ("globex", "clients/globex/kaze-probe-key") in access(facts, "b")
    assert ("acme", "team-kv/data/clients/acme/kaze-probe-key") in access(facts, "c")
    assert ("globex", "kv/metadata/clients/globex/") in access(facts, "d")


def test_an_exact_rule_on_a_client_folder_lets_list_it() -> None:
    # capabilities are computed as a LIST request: the folder `…/acme/` falls back to `…/acme`
    facts = analyze([vault_policy("f", p("kv/data/clients/acme", "list"))], CONFIG)
    assert access(facts, "f") == {("acme", "kv/data/clients/acme/")}


PRUNING_TENANTS = ("acme", "acmecorp", "globex", "zeta")  # sorted: kaze-probe-unknown-client before zeta
EVERY = set(PRUNING_TENANTS)


@pytest.mark.parametrize(
    "path,probed",
    [
        ("kv/data/clients/acme/*", {"acme"}),
        ("kv/data/clients/acme/sub/key", {"acme"}),
        ("kv/data/clients/acme", {"acme"}),
        ("kv/data/clients/acm*", {"acme", "acmecorp"}),
        ("kv/data/clients/z*", {"zeta"}),
        ("kv/+/clients/acme/*", {"acme"}),
        ("kv/data/clients/*", EVERY),
        ("kv/data/*", EVERY),
        ("*", EVERY),
        ("kv/data/clients/+/*", EVERY),
        ("kv/data/clients/+", EVERY),
        # erring towards more: every client, though only `acme…` (or none) can match
        ("kv/+/clients/acme*", EVERY),
        ("kv/+/clients", EVERY),
        ("secret/data/clients/acme/*", set()),
        ("kv/data/other/*", set()),
    ],
)
def test_a_policy_is_probed_only_on_the_clients_it_may_reach(
    monkeypatch: pytest.MonkeyPatch, path: str, probed: set[str]
) -> None:
    """Probing every client with every policy made the analysis quadratic in the cell's size:
    a policy is probed on the clients one of its rules may match, and on the unknown client."""
    seen: set[str] = set()
    original = ACL.capabilities

    def spy(self: ACL, request: str) -> set[str]:
        if request.startswith("kv/data/clients/"):
            seen.add(request.split("/")[3])
        return original(self, request)

    monkeypatch.setattr(ACL, "capabilities", spy)
    analyze([vault_policy("x", p(path, "read"))], {"tenants": [{"name": t} for t in PRUNING_TENANTS]})
    assert seen == probed | {UNKNOWN_CLIENT}


def test_exact_key_paths_are_probed() -> None:
    facts = analyze([vault_policy("k", p("kv/data/clients/globex/anthropic-key", "read"))], CONFIG)
    assert access(facts, "k") == {("globex", "kv/data/clients/globex/anthropic-key")}


def test_a_key_prefix_glob_is_probed_at_its_literal_prefix() -> None:
    """`…/globex/SANDBOX*` grants the keys starting with SANDBOX: the probe is `SANDBOX` itself
    (only the `*` comes off, never a letter before it)."""
    facts = analyze([vault_policy("k", p("kv/data/clients/globex/SANDBOX*", "read"))], CONFIG)
    assert access(facts, "k") == {("globex", "kv/data/clients/globex/SANDBOX")}


def test_secret_readers_need_read_and_cover_platform_keys() -> None:
    resources = [vault_policy("lister", p("kv/metadata/clients/*", "list")),
                 vault_policy("reader", p("kv/data/clients/acme/*", "read")),
                 vault_policy("platform", p("kv/data/speedrun/*", "read"))]
    facts = analyze(resources, CONFIG)
    readers = {(e["policy"], e["scope"]) for e in facts["secret_readers"]}
    assert ("reader", "client") in readers
    assert ("platform", "platform") in readers
    assert not any(pol == "lister" for pol, _ in readers)
    assert clients_reached(facts, "lister") == {"acme", "globex", UNKNOWN_CLIENT}


def test_secret_readers_list_a_reader_of_every_clients_keys() -> None:
    """A policy reading every client's folder reads the keys of clients the config does not
    name (the unknown client) as well as the named ones: secret_readers lists each of them."""
    text = p("kv/data/clients/+/*", "read")
    facts = analyze([vault_policy("ops", text)], CONFIG)
    assert {e["client"] for e in facts["secret_readers"] if e["policy"] == "ops"} == {"acme", "globex", UNKNOWN_CLIENT}
    facts = analyze([vault_policy("ops", text)], None)
    assert {(e["client"], e["scope"]) for e in facts["secret_readers"]} == {(UNKNOWN_CLIENT, "client")}


def test_snapshot_policies_are_analyzed_too() -> None:
    facts = analyze([], CONFIG, {"client-globex-agent": p("kv/data/clients/globex/*", "read")})
    assert clients_reached(facts, "client-globex-agent") == {"globex"}
    snapshot = {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "namespace": None, "name": "cell",
                "object": {"policies": {"snap": p("kv/data/clients/acme/*", "read"),
                                        "a-snap": p("kv/data/clients/acme/*", "list")}}}
    facts = analyze({"VaultSnapshot/cell": snapshot}, CONFIG, None)
    assert clients_reached(facts, "snap") == {"acme"}
    assert facts["client_access"][0]["source"] == "VaultSnapshot/cell"
    assert [e["policy"] for e in facts["client_access"]] == ["a-snap"] * 2 + ["snap"] * 2  # in name order


def test_a_broken_policy_is_an_error_not_a_pass() -> None:
    facts = analyze([vault_policy("bad", 'path "x" { capabilities = ["reed"] }'),
                     vault_policy("good", p("kv/data/clients/acme/*", "read"))], CONFIG)
    assert facts["errors"] == [{"policy": "bad", "source": "VaultPolicy/bad", "line": 1,
                                "error": 'policy "bad", line 1: path "x": invalid capability "reed"'}]
    assert clients_reached(facts, "good") == {"acme"}


def test_without_config_only_the_unknown_client_is_probed() -> None:
    facts = analyze([vault_policy("all", p("kv/data/clients/*", "read"))], None)
    assert clients_reached(facts, "all") == {UNKNOWN_CLIENT}


def test_facts_hold_each_grant_reader_and_error_in_full() -> None:
    """The whole facts of a small cell: the client folders and the key paths the policies name
    (`clients/<client>/k` after any owner, `speedrun/ci/token`) are probed, other kinds are
    ignored, tenants without a name are skipped, and an empty policy is an error."""
    resources = {
        "VaultPolicy/a": vault_policy("a", p("kv/data/clients/acme/*", "read", "list")
                                      + p("kv/data/speedrun/ci/token", "read")),
        "VaultPolicy/e": {"id": "VaultPolicy/e", "kind": "VaultPolicy", "name": "e", "object": {}},
        "ConfigMap/x": {"id": "ConfigMap/x", "kind": "ConfigMap", "name": "x", "object": {"policy": p("*", "read")}},
    }
    config = {"tenants": [{"name": "acme"}, {"vertical": "x"}, "junk", {"name": "acme"}]}

    def grant(policy: str, source: str, client: str, path: str, caps: list[str]) -> dict[str, object]:
        return {"policy": policy, "source": source, "client": client, "path": path, "capabilities": caps,
                "all_clients": client == UNKNOWN_CLIENT}

    def reader(path: str, caps: list[str], scope: str, client: str | None) -> dict[str, object]:
        return {"policy": "a", "source": "VaultPolicy/a", "path": path, "capabilities": caps, "scope": scope,
                "client": client}

    acme = ["kv/data/clients/acme/", "kv/data/clients/acme/k", "kv/data/clients/acme/kaze-probe-key"]
    assert analyze(resources, config, {"snap": p("clients/+/k", "list")}) == {
        "client_access": [grant("a", "VaultPolicy/a", "acme", path, ["list", "read"]) for path in acme] + [
            grant("snap", "VaultSnapshot", "acme", "clients/acme/k", ["list"]),
            grant("snap", "VaultSnapshot", UNKNOWN_CLIENT, f"clients/{UNKNOWN_CLIENT}/k", ["list"])],
        "secret_readers": [reader(path, ["list", "read"], "client", "acme") for path in acme] + [
            reader("kv/data/speedrun/ci/token", ["read"], "platform", None)],
        "errors": [{"policy": "e", "source": "VaultPolicy/e", "line": None, "error": 'policy "e": policy is empty'}],
        "unknown_client": UNKNOWN_CLIENT,
    }


def test_given_snapshot_policies_replace_the_snapshot_resources_and_name_probes() -> None:
    """Snapshot policies come in name order, in place of the VaultSnapshot resources' own; a `+`
    mount is KV v2's `data`, a `+` key segment the probe key; a platform key read under any
    mount is a secret reader, a platform path only listed is not."""
    snapshot = {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell",
                "object": {"policies": {"ignored": p("*", "read")}}}
    policies = {"zeta": p("team/+/clients/acme/+/token", "read"),
                "alpha": p("ops/platform/db-password", "read") + p("kv/data/speedrun/*", "list")
                + p("kv/data/clients/acme/*", "list")}
    facts = analyze([snapshot], {"tenants": [{"name": "acme"}]}, policies)
    token = "kaze-probe-key/token"
    assert [(e["policy"], e["source"], e["path"], e["capabilities"]) for e in facts["client_access"]] == [
        ("alpha", "VaultSnapshot", "kv/data/clients/acme/", ["list"]),
        ("alpha", "VaultSnapshot", "kv/data/clients/acme/kaze-probe-key", ["list"]),
        ("alpha", "VaultSnapshot", f"kv/data/clients/acme/{token}", ["list"]),
        ("zeta", "VaultSnapshot", f"team/data/clients/acme/{token}", ["read"])]
    assert [(e["policy"], e["path"], e["scope"]) for e in facts["secret_readers"]] == [
        ("alpha", "ops/platform/db-password", "platform"), ("zeta", f"team/data/clients/acme/{token}", "client")]


def test_clients_come_in_name_order_the_unknown_last_under_each_mount() -> None:
    names = ["f", "e", "d", "c", "b", "a", "c"]
    facts = analyze([vault_policy("all", p("clients/a/*", "list") + p("*", "read"))],
                    {"tenants": [{"name": n} for n in names]})
    folders = [e["path"] for e in facts["client_access"] if e["path"].endswith("/") and e["client"] != "a"]
    assert folders == [f"{mount}clients/{c}/" for mount in ("", "kv/data/", "secret/data/")
                       for c in ("b", "c", "d", "e", "f", UNKNOWN_CLIENT)]


def test_facts_are_json_and_deterministic() -> None:
    resources = [vault_policy("x", p("kv/data/clients/+/*", "read") + p("kv/data/speedrun/*", "read"))]
    first, second = analyze(resources, CONFIG), analyze(list(reversed(resources)), CONFIG)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
