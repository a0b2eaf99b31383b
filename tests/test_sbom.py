"""SBOMs: validation with cyclonedx-python-lib against the CycloneDX specification's own test
documents, the index a cell's SBOM folder becomes, and KZ-SUP-04 on shipped SBOMs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kaze_policy.inventory import SNAPSHOT_API
from kaze_policy.errors import InputError
from kaze_policy.sources import sbom
from kaze_policy.sources.sbom import describe, read_sbom_folder, validate
from tests.conftest import ROOT, SHARED, require_input, run_cli

CORPUS = SHARED / "corpora" / "cyclonedx"


def corpus_files() -> list[Path]:
    return sorted(p for p in require_input(CORPUS).glob("*/*") if p.suffix in (".json", ".xml"))


def test_cyclonedx_corpus_verdicts() -> None:
    wrong = []
    files = corpus_files()
    for path in files:
        errors = validate(path.read_text(), path.suffix[1:], path.parent.name)
        if (not errors) != path.name.startswith("valid-"):
            wrong.append((str(path.relative_to(CORPUS)), errors[:1]))
    assert len(files) > 300
    assert wrong == []


def test_index_entry_names_image_digest_and_components() -> None:
    path = ROOT / "infra" / "sboms" / "loki.cdx.json"
    entry = describe(path, path.read_bytes())
    assert entry["valid"] and entry["errors"] == [] and entry["specVersion"] == "1.6"
    assert entry["image"] == f"registry.kaze.io/kaze/loki@{entry['subjectDigest']}"
    assert entry["subjectDigest"].startswith("sha256:") and entry["components"]
    assert all(c["purl"] and c["version"] for c in entry["components"])


def test_an_sbom_folder_becomes_an_sbom_index_snapshot_and_reads_only_files_of_its_tree(tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    folder = tree / "sboms"
    (folder / "nested").mkdir(parents=True)
    loki = ROOT / "infra" / "sboms" / "loki.cdx.json"
    shutil.copy(loki, folder / "loki.cdx.json")
    shutil.copy(loki, folder / "nested" / "b.cdx.json")
    (folder / "notes.txt").write_text("x")
    (folder / "in-tree.cdx.json").symlink_to(folder / "loki.cdx.json")
    (folder / "to-folder").symlink_to(folder / "nested")
    (tmp_path / "secret.cdx.json").write_text("{}")
    (folder / "out.cdx.json").symlink_to(tmp_path / "secret.cdx.json")
    (folder / "dangling.cdx.json").symlink_to(folder / "missing")
    os.mkfifo(folder / "pipe.cdx.json")
    read = read_sbom_folder(folder, tree.resolve(), 1 << 20)
    assert [Path(e["file"]).relative_to(folder).as_posix() for e in read.sboms] == [
        "in-tree.cdx.json", "loki.cdx.json", "nested/b.cdx.json"]
    assert {Path(s.path).name: s.reason for s in read.skipped} == {
        "notes.txt": "not read: an SBOM is named *.cdx.json, *.cdx.xml or *.bom.json",
        "to-folder": "a symbolic link to a folder: not followed (as kubectl does not follow it)",
        "out.cdx.json": "a symbolic link out of the tree: not followed",
        "dangling.cdx.json": "a symbolic link to nothing (broken)",
        "pipe.cdx.json": "a FIFO, not a regular file: never read"}
    index = read.index()
    assert (index.kind, index.name, index.source, index.api_version, index.origin.file) == (
        "SbomIndexSnapshot", "sboms", "sbom-files", SNAPSHOT_API, str(folder))
    # the shape of a snapshot file of that kind (docs/inventory.md), so controls read both alike
    assert index.obj == {"apiVersion": SNAPSHOT_API, "kind": "SbomIndexSnapshot", "metadata": {"name": "sboms"},
                         "source": str(folder), "sboms": read.sboms}


def _sbom_with_components(count_nested: int) -> bytes:
    nested = [{"type": "library", "name": f"n{i}", "version": "1"} for i in range(count_nested)]
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": "a", "version": "1"},
        {"type": "library", "name": "b", "version": "1", "components": nested}]}).encode()


def _sbom_tree(tmp_path: Path) -> Path:
    """sboms/{a.cdx.json, sub/b.cdx.json}: 3 entries, 2 SBOMs of 3 components each (one nested)."""
    folder = tmp_path / "sboms"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.cdx.json").write_bytes(_sbom_with_components(1))
    (folder / "sub" / "b.cdx.json").write_bytes(_sbom_with_components(1))
    return folder


@pytest.mark.parametrize(("limit", "value", "message"), [
    ("MAX_SBOM_ENTRIES", 3, None),
    ("MAX_SBOM_ENTRIES", 2, "{folder}: the SBOM folder holds more than 2 files and folders (the limit of an SBOM folder)"),
    ("MAX_SBOM_COMPONENTS", 6, None),
    ("MAX_SBOM_COMPONENTS", 5, "{folder}/sub/b.cdx.json: over the limit of 5 components in the SBOMs of a folder "
                               "(this one lists 3)"),
])
def test_an_sbom_folder_is_read_up_to_its_limits_and_no_further(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                limit: str, value: int, message: str | None) -> None:
    folder = _sbom_tree(tmp_path)
    monkeypatch.setattr(sbom, limit, value)
    if message is None:
        assert len(read_sbom_folder(folder, tmp_path, 1 << 20).sboms) == 2
    else:
        with pytest.raises(InputError) as err:
            read_sbom_folder(folder, tmp_path, 1 << 20)
        assert str(err.value) == message.format(folder=folder)


@pytest.mark.parametrize("spare", [0, -1], ids=["all-the-bytes", "one-byte-less"])
def test_the_sboms_of_a_folder_are_read_up_to_their_total_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                spare: int) -> None:
    folder = _sbom_tree(tmp_path)
    total = sum(f.stat().st_size for f in folder.rglob("*.cdx.json"))
    monkeypatch.setattr(sbom, "MAX_SBOM_BYTES", total + spare)
    if spare == 0:
        assert len(read_sbom_folder(folder, tmp_path, 1 << 20).sboms) == 2
    else:
        with pytest.raises(InputError) as err:
            read_sbom_folder(folder, tmp_path, 1 << 20)
        assert str(err.value) == (f"{folder}/sub/b.cdx.json: the SBOMs of this folder hold more than {total - 1} "
                                  f"bytes in all (the limit of an SBOM folder)")


def test_an_sbom_over_the_file_limit_is_bad_input(tmp_path: Path) -> None:
    folder = _sbom_tree(tmp_path)
    with pytest.raises(InputError, match="a.cdx.json"):
        read_sbom_folder(folder, tmp_path, 20)


def test_an_sbom_folder_that_cannot_be_listed_is_bad_input_naming_it(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _sbom_tree(tmp_path)
    listing = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)).name == "sub":
            raise PermissionError(13, "Permission denied")
        return listing(path)
    monkeypatch.setattr(sbom.os, "scandir", scandir)
    with pytest.raises(InputError) as err:
        read_sbom_folder(folder, tmp_path, 1 << 20)
    assert str(err.value) == f"{folder}/sub: cannot read the SBOM folder (Permission denied)"


def test_broken_sbom_is_evidence_not_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "x.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": "one"}))
    entry = describe(path, path.read_bytes())
    assert entry["valid"] is False and entry["errors"]


def _customer_cell(tmp_path: Path) -> Path:
    cell = tmp_path / "cell"
    shutil.copytree(ROOT / "fixtures" / "KZ-SUP-04" / "pass" / "every-image-has-matching-sbom", cell,
                    ignore=shutil.ignore_patterns("sbom-index.json", "expect.yaml"))
    config = (cell / "kaze-policy.yaml").read_text()
    (cell / "kaze-policy.yaml").write_text(config + "\nsboms: sboms\n")
    return cell


def test_shipped_sboms_decide_sup_04(tmp_path: Path) -> None:
    cell = _customer_cell(tmp_path)
    result = run_cli("scan", str(cell), "--format", "json", "--control", "KZ-SUP-04")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    for sbom in (cell / "sboms").iterdir():
        sbom.unlink()
    result = run_cli("scan", str(cell), "--format", "json", "--control", "KZ-SUP-04")
    assert result.returncode == 1
    assert json.loads(result.stdout)["controls"][0]["status"] == "fail"


def test_sboms_folder_that_does_not_exist_is_bad_input(tmp_path: Path) -> None:
    cell = _customer_cell(tmp_path)
    shutil.rmtree(cell / "sboms")
    result = run_cli("scan", str(cell), "--format", "json")
    assert result.returncode == 2 and "sboms" in result.stderr and "kaze-policy.yaml" in result.stderr


def test_a_missing_corpus_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The corpus test must not pass by skipping where CI promises every input."""
    import tests.test_sbom as module
    monkeypatch.setattr(module, "CORPUS", tmp_path / "cyclonedx")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not beside the checkout"):
        test_cyclonedx_corpus_verdicts()


XML_BOM = ('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>'
           '<component type="library"><name>a</name></component></components></bom>')


def test_an_xml_sbom_is_validated_against_its_spec_version() -> None:
    assert validate(XML_BOM, "xml", "1.6") == []
    (error,) = validate(XML_BOM.replace('type="library"', 'type="librarie"'), "xml", "1.6")
    assert "SCHEMAV_CVC_ENUMERATION_VALID" in error and "'librarie'" in error


def test_an_xml_schema_error_is_cut_to_500_characters() -> None:
    (error,) = validate(XML_BOM.replace('type="library"', f'type="{"x" * 700}"'), "xml", "1.6")
    assert len(error) == 500 and error.startswith("<string>:1:0:ERROR:SCHEMASV:SCHEMAV_CVC_ENUMERATION_VALID")


def test_an_xml_sbom_of_an_unknown_spec_version_is_an_error_not_a_crash() -> None:
    assert validate(XML_BOM, "xml", "9.9") == ["(9, 9) is not a valid SchemaVersion"]


def test_an_xml_sbom_that_is_not_well_formed_is_an_error_not_a_crash() -> None:
    # lxml's XMLSyntaxError escaped validate() (issue 11)
    assert validate("<bom", "xml", "1.6") == ["not XML: Couldn't find end of Start Tag bom line 1, line 1, column 5"]
    (error,) = validate(f"<{'b' * 600}>", "xml", "1.6")
    assert len(error) == 500 and error.startswith("not XML: Premature end of data in tag bbb")


DIGEST_A, DIGEST_B = "a" * 64, "b" * 64


def _bom_bytes(component: dict, components: tuple = ()) -> bytes:
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": component},
                       "components": list(components)}).encode()


@pytest.mark.parametrize(("component", "image", "digest"), [
    # the name and its SHA-256 hash
    ({"type": "container", "name": "registry.kaze.io/kaze/loki", "hashes": [{"alg": "SHA-256", "content": DIGEST_A}]},
     f"registry.kaze.io/kaze/loki@sha256:{DIGEST_A}", f"sha256:{DIGEST_A}"),
    # the OCI purl: its repository_url and its (escaped) digest
    ({"type": "container", "name": "loki",
      "purl": f"pkg:oci/loki@sha256%3A{DIGEST_B}?repository_url=registry.kaze.io/kaze/loki&tag=3"},
     f"registry.kaze.io/kaze/loki@sha256:{DIGEST_B}", f"sha256:{DIGEST_B}"),
    # the hash wins over the purl's digest
    ({"type": "container", "name": "loki", "hashes": [{"alg": "SHA-256", "content": DIGEST_A}],
      "purl": f"pkg:oci/loki@sha256%3A{DIGEST_B}"}, f"loki@sha256:{DIGEST_A}", f"sha256:{DIGEST_A}"),
    # no digest: the name alone; another algorithm, or a purl that is not OCI, gives none
    ({"type": "container", "name": "loki", "purl": "pkg:oci/loki?tag=3"}, "loki", None),
    ({"type": "container", "name": "loki", "hashes": [{"alg": "SHA-512", "content": DIGEST_A}]}, "loki", None),
    ({"type": "container", "name": "loki", "purl": f"pkg:deb/loki@sha256%3A{DIGEST_B}"}, "loki", None),
    # the version of a purl follows its last @ (purl-spec: the remainder is split once from the
    # right), and holds whatever follows, a / too
    ({"type": "container", "name": "loki", "purl": f"pkg:oci/lo@ki@sha256%3A{DIGEST_B}"},
     f"loki@sha256:{DIGEST_B}", f"sha256:{DIGEST_B}"),
    ({"type": "container", "name": "loki", "purl": "pkg:oci/loki@v1/x"}, "loki@v1/x", "v1/x"),
    # a purl that does not parse is no purl
    ({"type": "container", "name": "loki", "purl": f"pkg:oci@sha256%3A{DIGEST_B}"}, "loki", None),
])
def test_the_image_an_sbom_covers_is_its_name_or_oci_purl_with_its_digest(component: dict, image: str,
                                                                          digest: str | None) -> None:
    entry = describe(Path("x.cdx.json"), _bom_bytes(component))
    assert (entry["image"], entry["subjectDigest"], entry["valid"]) == (image, digest, True)


def test_a_subject_whose_name_is_not_a_string_names_no_image() -> None:
    component = {"type": "container", "name": 5, "hashes": [{"alg": "SHA-256", "content": DIGEST_A}]}
    entry = describe(Path("x.cdx.json"), _bom_bytes(component))
    assert (entry["image"], entry["subjectDigest"], entry["valid"]) == (None, f"sha256:{DIGEST_A}", False)


def test_an_sbom_nested_too_deeply_to_validate_is_an_invalid_entry_not_a_crash() -> None:
    component: dict = {"type": "library", "name": "x", "version": "1"}
    for _ in range(200):
        component = {"type": "library", "name": "x", "version": "1", "components": [component]}
    entry = describe(Path("x.cdx.json"), _bom_bytes({"type": "container", "name": "n"}, (component,)))
    assert (entry["valid"], entry["errors"]) == (False, ["nested too deeply to be validated"])


def test_a_unique_list_given_as_a_string_is_a_type_error_not_a_uniqueness_one(tmp_path: Path) -> None:
    """uniqueItems holds for arrays only: "aa" where components belong is not an array of two equal items."""
    path = tmp_path / "x.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": "aa"}))
    assert describe(path, path.read_bytes())["errors"] == ["components: 'aa' is not of type 'array'"]


def test_a_licence_entry_that_is_no_object_is_passed_over_not_the_ones_after_it(tmp_path: Path) -> None:
    path = tmp_path / "x.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": "a", "version": "1", "licenses": ["junk", {"license": {"id": "MIT"}}]}]}))
    [component] = describe(path, path.read_bytes())["components"]
    assert component["licenses"] == ["MIT"]


def test_components_are_listed_with_their_hashes_and_licences() -> None:
    component = {"type": "library", "name": "a", "version": "1", "purl": "pkg:pypi/a@1",
                 "hashes": [{"alg": "SHA-256", "content": DIGEST_A}, "x"],
                 "licenses": [{"expression": "MIT OR Apache-2.0"}, {"license": {"id": "BSD-3-Clause"}},
                              {"license": {"name": "Custom"}}, {"license": {}}, "junk"]}
    entry = describe(Path("x.cdx.json"), _bom_bytes({"type": "container", "name": "n"}, (component, "y")))
    assert entry["components"] == [{"name": "a", "version": "1", "purl": "pkg:pypi/a@1",
                                    "hashes": [{"alg": "SHA-256", "content": DIGEST_A}],
                                    "licenses": ["MIT OR Apache-2.0", "BSD-3-Clause", "Custom"]}]
    assert entry["valid"] is False and entry["errors"] == ["components/0/hashes/1: 'x' is not of type 'object'"]


@pytest.mark.parametrize(("name", "data", "error"), [
    ("x.cdx.xml", b"<bom/>", "XML SBOMs are validated but not indexed; ship the JSON form"),
    ("x.cdx.json", b"{", "not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("x.cdx.json", b"[]", "not a CycloneDX document (bomFormat)"),
    ("x.cdx.json", b'{"bomFormat": "SPDX"}', "not a CycloneDX document (bomFormat)"),
    ("x.cdx.json", b'{"version": NaN}', "not JSON: NaN is not a JSON number"),
    ("x.cdx.json", b'{"version": 1' + b"0" * 400 + b'.5}',
     "not JSON: 1" + "0" * 39 + " is beyond the range of a JSON number"),
    ("x.cdx.json", b"[" * 100_000 + b"]" * 100_000, "not JSON: nested too deeply"),
])
def test_a_file_that_is_no_cyclonedx_json_is_an_invalid_entry(name: str, data: bytes, error: str) -> None:
    assert describe(Path(name), data) == {"file": name, "image": None, "valid": False, "errors": [error],
                                          "specVersion": None, "subjectDigest": None, "components": []}
