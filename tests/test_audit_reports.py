"""`kaze-policy audit` writes reports an auditor keeps, with manifest.json; `verify-report`
proves later that not one byte changed (and, with a key, that the manifest is the one signed)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kaze_policy.catalog import load_catalog
from tests.conftest import FIXTURES, run_cli

CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"
REPORTS = ["audit.cucumber.json", "audit.html", "audit.json", "audit.junit.xml", "audit.md", "audit.oscal.json",
           "audit.sarif", "audit.txt"]


def _keys(folder: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = folder / "audit.key", folder / "audit.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _keys(tmp_path_factory.mktemp("keys"))


def _audit(out: Path, *args: str) -> None:
    done = run_cli("audit", str(CASE), "--out", str(out), "--no-progress", *args)
    assert done.returncode == 1, done.stderr  # the case fails its control
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One audit's folder, as it wrote it: each test that alters reports alters a copy."""
    out = tmp_path_factory.mktemp("audited") / "reports"
    _audit(out)
    return out


def _copy_of(audited: Path, folder: Path) -> Path:
    shutil.copytree(audited, folder, dirs_exist_ok=True)
    return folder


def test_the_manifest_names_what_was_checked_and_every_report(tmp_path: Path, audited: Path) -> None:
    _copy_of(audited, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(manifest["reports"]) == REPORTS
    for name, digest in manifest["reports"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    assert len(manifest["policies"]) == len(load_catalog().policy_files)
    assert {Path(p).name for p in manifest["inputs"]} == {p.name for p in CASE.iterdir()}
    assert manifest["targets"] and manifest["tool"]["kaze-policy"] and manifest["time"]
    assert json.loads((tmp_path / "audit.json").read_text())["summary"]
    done = run_cli("verify-report", str(tmp_path))
    assert done.returncode == 0 and "every report is as the audit wrote it" in done.stdout


@pytest.mark.parametrize("name", REPORTS)
def test_one_byte_changed_in_a_report_is_caught(tmp_path: Path, audited: Path, name: str) -> None:
    _copy_of(audited, tmp_path)
    data = bytearray((tmp_path / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / name).write_bytes(bytes(data))
    done = run_cli("verify-report", str(tmp_path))
    assert done.returncode == 1
    assert done.stdout.strip() == f"{tmp_path}/{name}: changed (its SHA-256 is not the manifest's)"


def test_a_missing_and_an_added_report_are_caught(tmp_path: Path, audited: Path) -> None:
    _copy_of(audited, tmp_path)
    (tmp_path / "audit.sarif").unlink()
    (tmp_path / "extra.html").write_text("<p>all green</p>")
    lines = run_cli("verify-report", str(tmp_path)).stdout.splitlines()
    assert lines == [f"{tmp_path}/audit.sarif: missing", f"{tmp_path}/extra.html: not written by the audit"]


def test_a_signed_manifest_verifies_and_a_rewritten_one_does_not(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    _audit(tmp_path, "--sign-key", str(private))
    assert run_cli("verify-report", str(tmp_path), "--key", str(public)).returncode == 0
    # Someone alters a report and rewrites the manifest to match it: the signature catches it.
    (tmp_path / "audit.txt").write_text("all controls pass\n")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["reports"]["audit.txt"] = hashlib.sha256(b"all controls pass\n").hexdigest()
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    assert run_cli("verify-report", str(tmp_path)).returncode == 0  # without the key, the hashes agree…
    done = run_cli("verify-report", str(tmp_path), "--key", str(public))
    assert done.returncode == 1 and "its signature does not verify" in done.stdout  # …with it, no


def test_another_key_or_no_signature_does_not_verify(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, _ = keys
    _, other = _keys(tmp_path)
    signed, unsigned = tmp_path / "signed", tmp_path / "unsigned"
    _audit(signed, "--sign-key", str(private))
    _audit(unsigned)
    assert "does not verify with audit.pub" in run_cli("verify-report", str(signed), "--key", str(other)).stdout
    assert "missing (the manifest is not signed)" in run_cli("verify-report", str(unsigned), "--key", str(other)).stdout


def test_a_key_that_is_not_one_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    done = run_cli("audit", str(CASE), "--out", str(tmp_path / "out"), "--sign-key", str(bad), "--no-progress")
    assert done.returncode == 2 and "not a usable Ed25519 private key" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
