"""`kaze-policy waive`: one waiver added to kaze-policy.yaml, every other byte of the file kept.

Each edit is checked the way a reviewer reads the pull request: the new file, with the lines
of the new entry taken out, is byte for byte the old one; the entry reads back as asked; the
configuration is still valid; and a scan with it reports the finding as waived.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from kaze_policy.config import load_config
from kaze_policy.errors import InputError, UsageError
from kaze_policy.waive import NewWaiver, add_waiver, check_request, insert_waiver
from tests.conftest import FIXTURES, run_cli

FAILING = FIXTURES / "KZ-TEN-05" / "fail" / "hostnetwork-deployment"
AGENT = "Deployment/tenant-acme/agent"
UNTIL = "2099-03-31"
ENTRY = {"control": "KZ-TEN-05", "resource": AGENT, "reason": "legacy agent: needs the node's network", "until": UNTIL,
         "by": "alice"}

# Comments everywhere, a four-space sequence with a wide dash gap, every quoting style, flow
# lists and mappings, a folded scalar, blank lines, and a comment after the waivers.
ODD = """\
# The cell's configuration: reviewed by the platform team.
apiVersion: "kaze.io/v1"
kind: 'KazePolicyConfig'   # the only kind there is

cell: {name: agency-eu-1, mode: agency, cloud: aws}
tenants:
    -   name: acme            # four spaces, and a wide gap after the dash
        vertical: finance
        namespaces: [ tenant-acme ]


registries: ['registry.kaze.io/kaze', "registry.kaze.io/base"]

waivers:
    -   control: KZ-SUP-01
        resource: 'Deployment/tenant-acme/*'   # the nginx mirror
        reason: >
          nginx is replaced by the mirrored image
          in release 1.5
        by: "security@kaze.io"
        until: '2999-01-01'

# Who is who: kept after the waivers.
groups:
  deployers: [ "Group:kaze:deployers" ]
"""

NO_WAIVERS = """\
apiVersion: kaze.io/v1
kind: KazePolicyConfig
# Two spaces before each dash, as the fixtures write them.
tenants:
  - name: acme
    vertical: finance
    namespaces: [tenant-acme]
registries:
  - registry.kaze.io/kaze   # trailing comment, last line"""


def _removed(new: bytes, old: bytes) -> tuple[bytes, bytes]:
    """(new without the lines it has more than old, those lines): the lines are found where
    the two files first differ."""
    new_lines, old_lines = new.splitlines(keepends=True), old.splitlines(keepends=True)
    first = next((i for i, (a, b) in enumerate(zip(new_lines, old_lines)) if a != b), len(old_lines))
    extra = len(new_lines) - len(old_lines)
    kept = new_lines[:first] + new_lines[first + extra:]
    return b"".join(kept), b"".join(new_lines[first:first + extra])


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kaze-policy.yaml"
    path.write_bytes(text.encode())
    return path


def _waive(path: Path, *extra: str, cwd: Path | None = None, resource: str = AGENT, control: str = "KZ-TEN-05"):
    return run_cli("waive", control, resource, "--reason", ENTRY["reason"], "--until", UNTIL, "--by", "alice",
                   *(("--config", str(path)) if path is not None else ()), *extra, cwd=cwd)


def test_an_odd_configuration_is_the_old_bytes_plus_exactly_the_new_entry(tmp_path: Path) -> None:
    path = _config(tmp_path, ODD)
    result = _waive(path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"kaze-policy: {path}: waived KZ-TEN-05 for {AGENT} until {UNTIL} (by alice)"
    new = path.read_bytes()
    kept, added = _removed(new, ODD.encode())
    assert kept == ODD.encode()
    # In the style of the entry before it: the dash at four spaces, keys at eight, `by` before `until`.
    assert added.decode() == (
        "    -   control: KZ-TEN-05\n"
        f"        resource: {AGENT}\n"
        "        reason: \"legacy agent: needs the node's network\"\n"
        "        by: alice\n"
        f"        until: {UNTIL}\n")
    assert load_config(path)["waivers"][-1] == ENTRY


def test_a_configuration_without_waivers_gets_the_key_after_its_last_one(tmp_path: Path) -> None:
    path = _config(tmp_path, NO_WAIVERS)
    result = _waive(None, cwd=tmp_path)  # no --config: the nearest kaze-policy.yaml
    assert result.returncode == 0, result.stderr
    new = path.read_bytes()
    assert new.startswith(NO_WAIVERS.encode() + b"\n")  # the last line, its comment included, is kept whole
    assert new[len(NO_WAIVERS) + 1:].decode() == (
        "waivers:\n"
        "  - control: KZ-TEN-05\n"
        f"    resource: {AGENT}\n"
        "    reason: \"legacy agent: needs the node's network\"\n"
        f"    until: {UNTIL}\n"
        "    by: alice")  # the file had no final line break: it still has none
    assert load_config(path)["waivers"] == [ENTRY]


def test_the_nearest_configuration_is_found_from_a_subfolder(tmp_path: Path) -> None:
    path = _config(tmp_path, NO_WAIVERS + "\n")
    (tmp_path / "apps" / "agent").mkdir(parents=True)
    result = _waive(None, cwd=tmp_path / "apps" / "agent")
    assert result.returncode == 0, result.stderr
    assert load_config(path)["waivers"] == [ENTRY]


@pytest.mark.parametrize("text", ["apiVersion: kaze.io/v1\nkind: [unclosed\n", "\x00\x01 binary",
                                  "- just\n- a list\n"], ids=["not-yaml", "binary", "not-a-mapping"])
def test_a_file_that_is_no_configuration_is_bad_input_and_left_untouched(tmp_path: Path, text: str) -> None:
    path = _config(tmp_path, text)
    before = path.stat()
    result = _waive(path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("kaze-policy: error: ")
    assert path.read_bytes() == text.encode() and path.stat().st_mtime_ns == before.st_mtime_ns
    assert [p.name for p in tmp_path.iterdir()] == ["kaze-policy.yaml"]  # no temporary file left


def _asked(control: str = "KZ-TEN-05", resource: str = AGENT, reason: str = "why", until: str = UNTIL,
           by: str = "alice") -> list[str]:
    return ["waive", control, resource, "--reason", reason, "--until", until, "--by", by]


@pytest.mark.parametrize(("args", "said"), [
    (_asked(control="KZ-TEN-99"), "unknown control id KZ-TEN-99"),
    (_asked(until="2020-01-01"), "--until 2020-01-01 is in the past"),
    (_asked(until="31/03/2099"), "not a date of the form YYYY-MM-DD"),
    (_asked(until="2099-02-30"), "no such day"),
    (_asked(reason="   "), "--reason is blank"),
    (_asked(by=""), "--by is blank"),
    (_asked(resource=" "), "RESOURCE is blank"),
    (["waive", "KZ-TEN-05", AGENT, "--reason", "why", "--by", "alice"], "Missing option '--until'"),
], ids=["unknown-id", "past", "malformed-date", "no-such-day", "blank-reason", "blank-by", "blank-resource",
        "no-until"])
def test_a_bad_request_is_one_line_and_exit_2(tmp_path: Path, args: list[str], said: str) -> None:
    path = _config(tmp_path, ODD)
    result = run_cli(*args, "--config", str(path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and said in result.stderr, result.stderr
    assert path.read_text() == ODD


def test_a_duplicate_waiver_is_refused_in_one_line(tmp_path: Path) -> None:
    path = _config(tmp_path, ODD)
    result = _waive(path, control="kz-sup-01", resource="Deployment/tenant-acme/*")  # case-blind id
    assert result.returncode == 2
    assert result.stderr.strip() == (f"kaze-policy: error: {path}: KZ-SUP-01 Deployment/tenant-acme/* is already "
                                     "waived (waivers/0, by security@kaze.io until 2999-01-01): edit that entry instead")
    assert path.read_text() == ODD


def test_the_configuration_of_kaze_policy_toml_is_the_one_scan_uses(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the repository's root: where the defaults file is looked for up to
    (tmp_path / "infra").mkdir()
    path = _config(tmp_path / "infra", NO_WAIVERS + "\n")
    (tmp_path / ".kaze-policy.toml").write_text('config = "infra/kaze-policy.yaml"\n')
    result = _waive(None, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load_config(path)["waivers"] == [ENTRY]


def test_no_configuration_anywhere_is_bad_usage(tmp_path: Path) -> None:
    result = _waive(None, cwd=tmp_path)
    assert result.returncode == 2 and "no kaze-policy.yaml here or above: give --config" in result.stderr


def test_the_file_keeps_its_mode_and_a_link_stays_a_link(tmp_path: Path) -> None:
    real = _config(tmp_path, NO_WAIVERS + "\n")
    real.chmod(0o640)
    link = tmp_path / "cell" / "kaze-policy.yaml"
    link.parent.mkdir()
    link.symlink_to(real)
    assert _waive(link).returncode == 0
    assert link.is_symlink() and real.stat().st_mode & 0o777 == 0o640
    assert load_config(real)["waivers"] == [ENTRY]


def test_a_scan_with_the_edited_configuration_reports_the_finding_waived(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(FAILING, case, ignore=shutil.ignore_patterns("expect.yaml"))
    config = _config(case, ODD)
    scan = ("scan", str(case), "--control", "KZ-TEN-05", "--format", "json", "--no-progress")
    assert run_cli(*scan).returncode == 1
    assert _waive(config).returncode == 0
    result = run_cli(*scan)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    control = report["controls"][0]
    assert control["status"] == "waived" and control["findings"] == []
    assert [(f["resource"]["id"], f["waiver"]) for f in control["waived"]] == [
        (AGENT, {"by": "alice", "reason": ENTRY["reason"], "until": UNTIL})]
    assert [(w["control"], w["status"], w["findings"]) for w in report["waivers"]] == [
        ("KZ-SUP-01", "not_evaluated", 0), ("KZ-TEN-05", "applied", 1)]


# --- the editing itself, in process --------------------------------------------------------------

def _insert(text: str) -> str:
    return insert_waiver(text, ENTRY, "kaze-policy.yaml")


def test_a_flow_list_of_waivers_gets_a_flow_entry_before_its_bracket() -> None:
    text = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nwaivers: []   # none yet\n"
    assert _insert(text) == ("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nwaivers: [{control: KZ-TEN-05, "
                             f"resource: {AGENT}, reason: \"legacy agent: needs the node's network\", "
                             f"until: {UNTIL}, by: alice}}]   # none yet\n")


def test_flow_mapping_items_get_a_flow_mapping_in_their_key_order() -> None:
    text = ("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nwaivers:\n"
            "- {control: KZ-SUP-01, reason: r, by: x,\n   until: 2999-01-01}\n")
    assert _insert(text) == text + (f"- {{control: KZ-TEN-05, resource: {AGENT}, reason: \"legacy agent: needs the "
                                    f"node's network\", by: alice, until: {UNTIL}}}\n")


def test_a_json_configuration_stays_json() -> None:
    text = '{"apiVersion": "kaze.io/v1", "kind": "KazePolicyConfig"}\n'
    new = _insert(text)
    assert json.loads(new) == {**json.loads(text), "waivers": [ENTRY]}
    assert new.startswith(text.rstrip()[:-1])


def test_crlf_line_breaks_and_a_byte_order_mark_are_kept() -> None:
    text = "\ufeffapiVersion: kaze.io/v1\r\nkind: KazePolicyConfig\r\nwaivers:\r\n- control: KZ-SUP-01\r\n" \
           "  reason: r\r\n  by: x\r\n  until: 2999-01-01\r\n"
    new = _insert(text)
    assert new.startswith(text) and new.count("\n") == new.count("\r\n") == text.count("\n") + 5


def test_values_that_would_read_as_something_else_are_quoted() -> None:
    entry = {**ENTRY, "resource": "*", "reason": "yes", "by": "0644"}
    new = insert_waiver("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n", entry, "x")
    assert '  resource: "*"\n' in new and '  reason: "yes"\n' in new and '  by: "0644"\n' in new


def test_check_request_normalises_the_id_and_refuses_line_breaks() -> None:
    today = dt.date(2026, 12, 7)
    asked = NewWaiver("kz-ten-05", f" {AGENT} ", " why ", "2026-12-07", "alice")
    assert check_request(asked, ["KZ-TEN-05"], today) == NewWaiver("KZ-TEN-05", AGENT, "why", "2026-12-07", "alice")
    with pytest.raises(UsageError, match="control character"):
        check_request(NewWaiver("KZ-TEN-05", AGENT, "two\nlines", UNTIL, "alice"), ["KZ-TEN-05"], today)
    with pytest.raises(UsageError, match="control character"):
        check_request(NewWaiver("KZ-TEN-05", AGENT, "two\u2028lines", UNTIL, "alice"), ["KZ-TEN-05"], today)


def test_a_layout_the_edit_cannot_place_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    # The last value is an alias: its marks are the anchor's, above, so the entry would land
    # between the first two; the configuration read back is not the old one plus the entry.
    text = ("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nwaivers:\n- control: KZ-SUP-01\n  reason: r\n  by: x\n"
            "  until: &day 2999-01-01\n- control: KZ-SUP-02\n  reason: r\n  by: x\n  until: *day\n")
    path = _config(tmp_path, text)
    with pytest.raises(InputError, match="add it by hand"):
        add_waiver(path, NewWaiver(**ENTRY))
    assert path.read_text() == text
