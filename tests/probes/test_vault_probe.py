"""The Vault probe against a real OpenBao dev server with the shipped infra/vault loaded into it.

The probe reads with the shipped `kaze-policy-audit` policy, plus a rule that denies every
`*/data/*` path: it still reads all it needs, and the server's own audit log shows that it
asked for no stored secret. The live verdicts of the vault controls equal the verdicts of
infra/vault's files. A sealed, unreachable or forbidding server makes the vault controls
`error` (exit 3), naming what failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.probes import ProbeFailed
from kaze_policy.probes.vault import probe_vault
from tests.analysis.openbao import OpenBao, require_bao, running_openbao
from tests.probes.systems import audit_config, load_infra_vault
from tests.cluster.apiserver import free_port
from tests.conftest import INFRA, run_cli

pytestmark = pytest.mark.needs_bao

VAULT = INFRA / "vault"
CONFIG = INFRA / "kaze-policy.yaml"
NO_DATA = 'path "+/data/*" {\n  capabilities = ["deny"]\n}\n'
VAULT_CONTROLS = sorted(c.id for c in load_catalog().controls if "vault" in c.scopes)


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpenBao, Path]]:
    folder = tmp_path_factory.mktemp("vault")
    with running_openbao(require_bao(), audit_config(folder / "audit.log")) as server:
        load_infra_vault(server)
        yield server, folder / "audit.log"


def probe_token(server: OpenBao) -> str:
    server.write_policy("no-data", NO_DATA)
    return server.create_token(["kaze-policy-audit", "no-data"])


def test_the_probe_reads_everything_with_the_audit_policy_and_no_secret(vault: tuple[OpenBao, Path]) -> None:
    server, audit_log = vault
    token = probe_token(server)
    document = probe_vault(server.address, token)
    assert document["kind"] == "VaultSnapshot" and document["address"] == server.address
    assert set(document["policies"]) >= {p.stem for p in (VAULT / "policies").glob("*.hcl")}
    assert {(r["mount"], r["name"]) for r in document["authRoles"]} == {
        (json.loads(f.read_text())["mount"], json.loads(f.read_text())["name"]) for f in (VAULT / "roles").glob("*.json")}
    assert set(document["auditDevices"]) == {"file/"}
    assert {k["path"] for k in document["keys"]} == {
        k["path"] for k in json.loads((VAULT / "keys" / "transit.json").read_text())["keys"]}
    assert all(k["autoRotatePeriod"] == 2592000 for k in document["keys"])
    assert document["replication"]["performance"]["mode"] == "disabled"
    # The server's audit log: every path the probe's token asked for, none of them a secret.
    asked = [json.loads(line)["request"]["path"] for line in audit_log.read_text().splitlines()
             if line and json.loads(line).get("type") == "request"
             and json.loads(line).get("auth", {}).get("policies", []) == ["kaze-policy-audit", "no-data"]]
    assert asked and not [p for p in asked if "/data/" in p or p.startswith("kv/")], asked
    assert "sk-never-read-by-the-probe" not in json.dumps(document)


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["controls"] if c["id"] in VAULT_CONTROLS}


def test_the_live_verdicts_are_the_verdicts_of_the_files(vault: tuple[OpenBao, Path], tmp_path: Path) -> None:
    server, _ = vault
    env = {"VAULT_TOKEN": probe_token(server)}
    live = run_cli("scan", "--vault-addr", server.address, "--config", str(CONFIG), "--format", "json",
                   "--no-progress", env=env)
    files = run_cli("scan", str(VAULT), "--config", str(CONFIG), "--format", "json", "--no-progress")
    assert live.returncode in (0, 1), live.stderr
    live_report, file_report = json.loads(live.stdout), json.loads(files.stdout)
    assert live_report["targets"][0]["kind"] == "live" and "vault" in live_report["targets"][0]["scopes"]
    live_verdicts, file_verdicts = _verdicts(live_report), _verdicts(file_report)
    # Live, every vault control is judged; from files, those that need the server's own state
    # (its audit devices: KZ-SEC-02) are not applicable. Where both judge, they agree.
    assert "not_applicable" not in live_verdicts.values() and "error" not in live_verdicts.values(), live_verdicts
    judged = {cid for cid, status in file_verdicts.items() if status != "not_applicable"}
    assert judged and {cid: live_verdicts[cid] for cid in judged} == {cid: file_verdicts[cid] for cid in judged}


def test_a_token_that_may_not_read_a_path_makes_the_vault_controls_errors(vault: tuple[OpenBao, Path]) -> None:
    server, _ = vault
    server.write_policy("too-little", 'path "sys/policies/acl" {\n  capabilities = ["list"]\n}\n')
    token = server.create_token(["too-little"])
    with pytest.raises(ProbeFailed, match="may not read sys/policies/acl/"):
        probe_vault(server.address, token)
    done = run_cli("scan", "--vault-addr", server.address, "--format", "json", "--no-progress",
                   env={"VAULT_TOKEN": token})
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    statuses = {c["id"]: c for c in report["controls"] if c["id"] in VAULT_CONTROLS}
    assert statuses and all(c["status"] == "error" for c in statuses.values())
    assert all("may not read" in t["reason"] for c in statuses.values() for t in c["targets"] if t["status"] == "error")


def test_an_unreachable_server_is_one_line_and_exit_3() -> None:
    address = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProbeFailed, match="cannot reach Vault"):
        probe_vault(address, "any-token", timeout=2)
    done = run_cli("scan", "--vault-addr", address, "--format", "json", "--no-progress",
                   env={"VAULT_TOKEN": "any-token"})
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert {c["status"] for c in json.loads(done.stdout)["controls"] if c["id"] in VAULT_CONTROLS} == {"error"}


def test_a_sealed_server_is_an_error_saying_so(tmp_path: Path) -> None:
    with running_openbao(require_bao()) as server:
        server.request("PUT", "sys/seal")
        with pytest.raises(ProbeFailed, match="sealed"):
            probe_vault(server.address, server.token)


def test_without_a_token_the_probe_says_how_to_give_one(vault: tuple[OpenBao, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = vault
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    monkeypatch.delenv("VAULT_AUTH_ROLE", raising=False)
    with pytest.raises(ProbeFailed, match="set VAULT_TOKEN, or VAULT_AUTH_ROLE"):
        probe_vault(server.address)




def test_a_saved_snapshot_is_judged_as_the_live_server(vault: tuple[OpenBao, Path], tmp_path: Path) -> None:
    server, _ = vault
    env = {"VAULT_TOKEN": probe_token(server)}
    saved = tmp_path / "vault.json"
    done = run_cli("snapshot", "--vault-addr", server.address, "-o", str(saved), env=env)
    assert done.returncode == 0, done.stderr
    live = run_cli("scan", "--vault-addr", server.address, "--config", str(CONFIG), "--format", "json",
                   "--no-progress", env=env)
    kept = run_cli("scan", str(saved), "--config", str(CONFIG), "--format", "json", "--no-progress")
    assert _verdicts(json.loads(kept.stdout)) == _verdicts(json.loads(live.stdout))
    assert "sk-never-read-by-the-probe" not in saved.read_text()
