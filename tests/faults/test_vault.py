"""Vault (OpenBao) sealed, or not there: `scan PATH --vault-addr URL` end to end.

Already tested (tests/probes/test_vault_probe.py): the probe raises on a sealed server (in
process), an unreachable server makes the vault controls errors (exit 3), and so does a
token that may not read a path. Here, through the command with a folder to judge besides:
a real OpenBao dev server sealed with `bao operator seal`, and a port nothing listens on.
The vault controls are `error`, each saying why in one line; the other controls are judged
on the folder as ever; exit 3.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from tests.analysis.openbao import require_bao, running_openbao
from tests.cluster.apiserver import free_port
from tests.conftest import run_cli
from tests.faults.support import error_reasons, report, statuses, write_cell

pytestmark = pytest.mark.needs_bao

VAULT_CONTROLS = {c.id for c in load_catalog().controls if "vault" in c.scopes}


def _scan(cell: Path, address: str, token: str):
    return run_cli("scan", str(cell), "--vault-addr", address, "--format", "json", "--no-progress",
                   env={"VAULT_TOKEN": token}, timeout=120)


def _vault_errors_and_the_rest_judged(document: dict, why: str) -> None:
    verdicts = statuses(document)
    assert {verdicts[cid] for cid in VAULT_CONTROLS} == {"error"}, verdicts
    reasons = error_reasons(document, VAULT_CONTROLS)
    assert reasons and all(why in r and "\n" not in r for r in reasons), reasons
    others = {cid: status for cid, status in verdicts.items() if cid not in VAULT_CONTROLS}
    assert "error" not in others.values(), others
    assert {"pass", "fail"} <= set(others.values()), others  # the folder was judged


def test_a_sealed_vault_makes_the_vault_controls_errors_and_the_rest_is_judged(tmp_path: Path) -> None:
    bao = require_bao()
    cell = write_cell(tmp_path / "cell")
    with running_openbao(bao) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        sealed = subprocess.run([bao, "operator", "seal"], capture_output=True, text=True, timeout=30,
                                env={**env, "HOME": str(tmp_path), "BAO_ADDR": server.address,
                                     "BAO_TOKEN": server.token})
        assert sealed.returncode == 0, sealed.stderr
        done = _scan(cell, server.address, server.token)
    _vault_errors_and_the_rest_judged(report(done, 3), "sealed")


def test_an_unreachable_vault_makes_the_vault_controls_errors_and_the_rest_is_judged(tmp_path: Path) -> None:
    done = _scan(write_cell(tmp_path / "cell"), f"http://127.0.0.1:{free_port()}", "any-token")
    _vault_errors_and_the_rest_judged(report(done, 3), "cannot reach Vault")
