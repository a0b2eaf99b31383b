"""kaze-policy's own supply chain passes kaze-policy's own controls: its Dockerfile pins every
base image by digest (KZ-SUP-06), and the SBOM `make sbom` writes (tools/sbom.py) lists every
component with a package URL, a version and a hash, and none under a licence the reference
deployment denies (KZ-SUP-05, with infra/kaze-policy.yaml's deny list)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from kaze_policy.sources.sbom import describe
from tests.conftest import INFRA, ROOT, run_cli


def _load_tool():
    """tools/sbom.py: a build tool beside the package, not part of it."""
    spec = importlib.util.spec_from_file_location("kaze_tools_sbom", ROOT / "tools" / "sbom.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


own_sbom = _load_tool()

DOCKERFILE = ROOT / "Dockerfile"


def _verdict(result, control: str) -> str:
    assert result.returncode in (0, 1), result.stderr
    (judged,) = [c for c in json.loads(result.stdout)["controls"] if c["id"] == control]
    return judged["status"]


# The image ---------------------------------------------------------------------------------

def test_the_dockerfile_pins_every_base_image_by_digest() -> None:
    result = run_cli("scan", "Dockerfile", "--control", "KZ-SUP-06", "--format", "json", cwd=ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert _verdict(result, "KZ-SUP-06") == "pass"


def test_the_check_is_not_vacuous(tmp_path: Path) -> None:
    """The same Dockerfile with one digest dropped fails: the pass above judged real FROMs."""
    text = DOCKERFILE.read_text()
    unpinned = re.sub(r"(FROM golang:[^@\s]+)@sha256:[0-9a-f]{64}", r"\1", text, count=1)
    assert unpinned != text
    (tmp_path / "Dockerfile").write_text(unpinned)
    result = run_cli("scan", "Dockerfile", "--control", "KZ-SUP-06", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1 and _verdict(result, "KZ-SUP-06") == "fail"


def test_the_image_runs_as_a_numeric_non_root_user_without_a_shell() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(stages) >= 3 and stages[-1].startswith("gcr.io/distroless/python3-debian12:nonroot@sha256:")
    final = text[text.rindex("\nFROM "):]
    assert re.search(r"^USER 65532:65532$", final, re.M)
    assert 'ENTRYPOINT ["kaze-policy"]' in final and "\nRUN " not in final  # nothing runs a shell there
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored and "!kaze_policy" in ignored  # nothing reaches the build but what is let in
    assert not any(line.startswith("!.") for line in ignored) and "kaze_policy/*.so" in ignored


# The SBOM ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sbom_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """make sbom, in a temporary folder: the wheel built from the checkout, then tools/sbom.py."""
    from tests.test_wheel import _build_wheel

    where = tmp_path_factory.mktemp("sbom")
    wheel = _build_wheel(where / "dist")
    out = where / "sboms" / "kaze-policy.cdx.json"
    assert own_sbom.main(["--wheels", str(wheel.parent), "--output", str(out)]) == 0
    return out


def test_the_sbom_is_valid_cyclonedx_with_every_runtime_dependency(sbom_file: Path) -> None:
    entry = describe(sbom_file, sbom_file.read_bytes())
    assert entry["valid"] and entry["specVersion"] == "1.6", entry["errors"]
    document = json.loads(sbom_file.read_text())
    subject = document["metadata"]["component"]
    assert (subject["name"], subject["purl"]) == ("kaze-policy", f"pkg:pypi/kaze-policy@{metadata.version('kaze-policy')}")
    assert subject["properties"] == [{"name": own_sbom.HASH_OF, "value": subject["properties"][0]["value"]}]
    assert subject["properties"][0]["value"].startswith("wheel kaze_policy-")
    names = {c["name"].lower().replace("_", "-") for c in document["components"]}
    # The direct dependencies, an extra's (psycopg[binary]) and a marker's (uvloop) among them.
    assert {"click", "rapidyaml", "cyclonedx-python-lib", "psycopg", "psycopg-binary", "uvloop", "sigstore"} <= names
    assert not names & {"pytest", "maturin", "hypothesis", "pre-commit"}  # the test extra is not shipped
    assert all(c["purl"].startswith("pkg:pypi/") and c["purl"].endswith(f"@{c['version']}")
               and c["hashes"][0]["alg"] == "SHA-256" for c in document["components"])
    assert {d["ref"] for d in document["dependencies"]} >= {subject["bom-ref"]}


def test_kz_sup_05_passes_on_the_sbom_with_the_reference_deny_list(sbom_file: Path, tmp_path: Path) -> None:
    cell = tmp_path / "cell"
    shutil.copytree(sbom_file.parent, cell / "sboms")
    deny = yaml.safe_load((INFRA / "kaze-policy.yaml").read_text())["licenses"]
    (cell / "kaze-policy.yaml").write_text(yaml.safe_dump({"apiVersion": "kaze.io/v1", "kind": "KazePolicyConfig",
                                                           "sboms": "sboms", "licenses": deny}))
    result = run_cli("scan", str(cell), "--control", "KZ-SUP-05", "--format", "json")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert _verdict(result, "KZ-SUP-05") == "pass"


def test_a_component_licensed_under_a_denied_licence_would_fail(sbom_file: Path, tmp_path: Path) -> None:
    """The pass above is a verdict: the same SBOM with one component relicensed fails."""
    document = json.loads(sbom_file.read_text())
    document["components"][0]["licenses"] = [{"license": {"id": "SSPL-1.0"}}]
    (tmp_path / "cell" / "sboms").mkdir(parents=True)
    (tmp_path / "cell" / "sboms" / "kaze-policy.cdx.json").write_text(json.dumps(document))
    (tmp_path / "cell" / "kaze-policy.yaml").write_text("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n"
                                                        "sboms: sboms\nlicenses: {deny: [SSPL-1.0]}\n")
    result = run_cli("scan", str(tmp_path / "cell"), "--control", "KZ-SUP-05", "--format", "json")
    assert result.returncode == 1 and _verdict(result, "KZ-SUP-05") == "fail"


# The hashes --------------------------------------------------------------------------------

def _fake_distribution(site: Path, payload: bytes) -> metadata.Distribution:
    """A distribution installed by hand: a module, its dist-info and a RECORD with real hashes."""
    (site / "demo").mkdir(parents=True)
    (site / "demo" / "__init__.py").write_bytes(payload)
    info = site / "demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense: MIT\n")
    (info / "INSTALLER").write_text("pip\n")
    record = [f"demo/__init__.py,sha256={own_sbom._record_form(hashlib.sha256(payload).digest())},"
              f"{len(payload)}",
              "demo-1.0.dist-info/METADATA,,", "demo-1.0.dist-info/INSTALLER,,", "demo-1.0.dist-info/RECORD,,",
              "../../../bin/demo,,", "demo/__pycache__/__init__.cpython-311.pyc,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    (dist,) = metadata.distributions(path=[str(site)])
    return dist


def test_the_installed_files_hash_is_the_same_for_every_install_and_catches_a_changed_file(tmp_path: Path) -> None:
    first = _fake_distribution(tmp_path / "a", b"x = 1\n")
    second = _fake_distribution(tmp_path / "b", b"x = 1\n")
    (tmp_path / "b" / "demo-1.0.dist-info" / "INSTALLER").write_text("uv\n")  # the installer's, not the wheel's
    assert own_sbom.installed_files_hash(first) == own_sbom.installed_files_hash(second)
    assert own_sbom.installed_files_hash(first) != own_sbom.installed_files_hash(
        _fake_distribution(tmp_path / "c", b"x = 3\n"))
    (tmp_path / "a" / "demo" / "__init__.py").write_text("x = 2\n")  # changed after installation
    with pytest.raises(own_sbom.SbomError, match="is not the file that was installed"):
        own_sbom.installed_files_hash(first)


def test_licences_are_taken_from_the_most_precise_field() -> None:
    def licences(**fields: object) -> list[str]:
        from email.message import Message

        meta = Message()
        for key, value in fields.items():
            for one in value if isinstance(value, list) else [value]:
                meta[key.replace("_", "-")] = one
        return [getattr(lic, "value", None) or lic.id or lic.name for lic in own_sbom.licenses_of(meta)]

    assert licences(License_Expression="Apache-2.0 OR MIT", License="whatever") == ["Apache-2.0 OR MIT"]
    assert licences(License="BSD-3-Clause") == ["BSD-3-Clause"]
    assert licences(License="PSFL", Classifier="License :: OSI Approved :: Python Software Foundation License") \
        == ["PSF-2.0"]
    assert licences(Classifier=["License :: OSI Approved :: Apache Software License",
                                "License :: OSI Approved :: MIT License"]) == ["Apache-2.0 OR MIT"]
    assert licences(License="Apache 2") == ["Apache 2"]
    assert licences(License="UNKNOWN", Classifier="License :: OSI Approved :: BSD License") == ["BSD License"]
