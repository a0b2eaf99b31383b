"""The Sigstore signature probe, offline against the trust roots embedded in the sigstore wheel.

Every row of the shared corpus (tests.conftest SHARED: corpora/sigstore/expected.json) is reproduced on
both trust roots from the real bundles; then the identity the probe records, the folder of
bundles named by digest, its cache, and a folder that cannot be read. The last tests take the
probe's snapshot through KZ-SUP-02 itself, which judges the recorded identity.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kaze_policy.probes import ProbeFailed
from kaze_policy.probes import signatures
from kaze_policy.probes.signatures import image_digest, probe_signatures, verify_bundle
from tests.conftest import SHARED, require_input

CORPUS = SHARED / "corpora" / "sigstore"
EXPECTED = CORPUS / "expected.json"
ROOTS = {"production": False, "staging": True}  # the row's field suffix -> verify_bundle(staging=)

# A bundle of the corpus that verifies on production, made by a GitHub Actions workflow.
GITHUB_BUNDLE, GITHUB_ARTIFACT = "bundle_v3_github.whl.sigstore", "bundle_v3_github.whl"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_SUBJECT = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
KAZE_RELEASE = "https://github.com/kaze/kaze/.github/workflows/release.yml@refs/heads/main"
# One that verifies on staging only, made by an email identity.
STAGING_BUNDLE, STAGING_ARTIFACT = "bundle_v3.txt.sigstore", "bundle_v3.txt"


def corpus_rows() -> list[Any]:
    """One param per row; without the corpus, one param whose test skips (fails in CI)."""
    if not EXPECTED.exists():
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(row, id=row["bundle"]) for row in json.loads(EXPECTED.read_text())]


def corpus(name: str) -> bytes:
    return require_input(CORPUS / name).read_bytes()


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def statement_digests(bundle: bytes) -> list[str]:
    """The sha256 digests the in-toto statement of a DSSE bundle names, read from the JSON."""
    payload = json.loads(base64.b64decode(json.loads(bundle)["dsseEnvelope"]["payload"]))
    return [f"sha256:{s['digest']['sha256']}" for s in payload["subject"]]


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    signatures.forget_verdicts()


def assert_failed(verdict: dict[str, Any], *words: str) -> None:
    assert verdict["verified"] is False and verdict["issuer"] is None and verdict["subject"] is None
    assert isinstance(verdict["error"], str) and verdict["error"] and "\n" not in verdict["error"]
    for word in words:
        assert word in verdict["error"], verdict["error"]


def assert_row_verdict(verdict: dict[str, Any], row: dict[str, Any], root: str) -> None:
    if row[f"verifies_{root}"]:
        assert verdict == {"verified": True, "issuer": row["issuer"], "subject": row["san"], "error": None}
    else:
        assert_failed(verdict, f"against the Sigstore {root} trust root")


# -- the corpus ---------------------------------------------------------------------------


def test_the_corpus_has_rows_for_every_bundle() -> None:
    """No bundle of the corpus goes unchecked because expected.json forgot it."""
    rows = json.loads(require_input(EXPECTED).read_text())
    bundles = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
               if p.is_file() and p.name.endswith((".sigstore", ".sigstore.json", ".bundle"))}
    assert len(rows) == 19 and {row["bundle"] for row in rows} == bundles


@pytest.mark.parametrize("row", corpus_rows())
@pytest.mark.parametrize("root", ROOTS)
def test_corpus_row(row: dict[str, Any] | None, root: str) -> None:
    require_input(EXPECTED)
    assert row is not None
    bundle = corpus(row["bundle"])
    # A bundle that does not parse has no artifact to speak of (Python-3.12.5.tgz is absent).
    artifact = corpus(row["artifact"]) if row["artifact"] else b""
    verdict = verify_bundle(bundle, artifact, [], staging=ROOTS[root])
    if row["parse_error"]:
        assert_failed(verdict, "does not parse")
    elif row["dsse"]:
        # The statement of this row names a digest that is not the artifact's, so over the
        # artifact it never verifies; expected.json's verdict is the envelope's, reproduced
        # below over the digest the statement names.
        (named,) = statement_digests(bundle)
        assert named != sha256(artifact)
        assert_failed(verdict)
        if row[f"verifies_{root}"]:
            assert verdict["error"] == f"the signed in-toto statement names {named}, not {sha256(artifact)}"
        assert_row_verdict(verify_bundle(bundle, named, [], staging=ROOTS[root]), row, root)
    else:
        assert_row_verdict(verdict, row, root)
        # The same artifact named by its digest (as an image is): the same verdict.
        assert verify_bundle(bundle, sha256(artifact), [], staging=ROOTS[root]) == verdict


def test_a_signature_over_another_artifact_does_not_verify() -> None:
    bundle = corpus(GITHUB_BUNDLE)
    assert_failed(verify_bundle(bundle, corpus(GITHUB_ARTIFACT) + b"\0", []), "production trust root")
    assert_failed(verify_bundle(bundle, "sha256:" + "0" * 64, []), "production trust root")


@pytest.mark.parametrize("garbage", [b"", b"not json", b"[]", b'{"mediaType": 1}', b"\xff\xfe"])
def test_garbage_is_a_verdict_not_an_exception(garbage: bytes) -> None:
    assert_failed(verify_bundle(garbage, b"anything", [{"issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT}]),
                  "does not parse")


def test_a_malformed_digest_is_the_callers_error() -> None:
    with pytest.raises(ValueError):
        verify_bundle(corpus(GITHUB_BUNDLE), "sha256:ABC", [])


# -- the identity -------------------------------------------------------------------------

# signatures.rego compares the recorded (issuer, subject) with the configured signers itself
# (and its fixtures KZ-SUP-02/fail/issuer-differs, subject-from-a-fork hold verified: true
# with another identity): the probe records who signed, whatever the configuration says.
@pytest.mark.parametrize("signers", [
    [],
    [{"issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT}],
    [{"issuer": GITHUB_ISSUER, "subject": KAZE_RELEASE}],
    [{"issuer": "https://accounts.google.com", "subject": GITHUB_SUBJECT}],
    [{"issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT.removesuffix("@refs/tags/v0.1.2")}],  # a prefix
], ids=["none", "the-signer", "another-subject", "another-issuer", "a-prefix"])
def test_the_real_identity_is_recorded_whoever_is_configured(signers: list[dict[str, str]]) -> None:
    verdict = verify_bundle(corpus(GITHUB_BUNDLE), corpus(GITHUB_ARTIFACT), signers)
    assert verdict == {"verified": True, "issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT, "error": None}


def test_an_email_identity_is_recorded() -> None:
    verdict = verify_bundle(corpus(STAGING_BUNDLE), corpus(STAGING_ARTIFACT), [], staging=True)
    assert verdict == {"verified": True, "issuer": "https://github.com/login/oauth",
                       "subject": "william@yossarian.net", "error": None}


def certificate(extensions: list[Any], sans: list[Any]) -> Any:
    """A self-signed certificate with Fulcio-style `extensions` and `sans` (never a trusted one:
    only how the identity is read from a certificate is tested with it)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(minutes=10)))
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(key, hashes.SHA256())


def issuer_extension(oid: str, value: bytes) -> Any:
    from cryptography import x509

    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value)


def der_utf8(text: str) -> bytes:
    raw = text.encode()
    assert len(raw) < 128  # the short form of a DER length
    return bytes([0x0C, len(raw)]) + raw


def test_the_issuer_is_read_from_the_v2_extension_then_the_v1() -> None:
    v1, v2 = "1.3.6.1.4.1.57264.1.1", "1.3.6.1.4.1.57264.1.8"
    both = certificate([issuer_extension(v1, b"https://v1.example"), issuer_extension(v2, der_utf8(GITHUB_ISSUER))], [])
    assert signatures._issuer(both) == GITHUB_ISSUER
    assert signatures._issuer(certificate([issuer_extension(v1, GITHUB_ISSUER.encode())], [])) == GITHUB_ISSUER
    assert signatures._issuer(certificate([], [])) is None


def test_of_several_sans_a_configured_signers_is_recorded() -> None:
    from cryptography import x509

    cert = certificate([issuer_extension("1.3.6.1.4.1.57264.1.8", der_utf8(GITHUB_ISSUER))],
                       [x509.UniformResourceIdentifier(GITHUB_SUBJECT), x509.UniformResourceIdentifier(KAZE_RELEASE)])
    assert signatures._identity(cert, []) == (GITHUB_ISSUER, GITHUB_SUBJECT)
    configured = [{"issuer": GITHUB_ISSUER, "subject": KAZE_RELEASE}]
    assert signatures._identity(cert, configured) == (GITHUB_ISSUER, KAZE_RELEASE)
    # A configured subject under another issuer does not choose.
    other = [{"issuer": "https://accounts.google.com", "subject": KAZE_RELEASE}]
    assert signatures._identity(cert, other) == (GITHUB_ISSUER, GITHUB_SUBJECT)


# -- the folder of bundles ----------------------------------------------------------------


def evidence(tmp_path: Path, bundle: str, artifact: str, name: str = "{digest}") -> tuple[Path, str]:
    """A folder holding the corpus `bundle` under the digest of `artifact` (the stand-in for an
    image manifest): the folder and that digest."""
    digest = sha256(corpus(artifact))
    folder = tmp_path / "signatures"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(CORPUS / bundle, folder / (name.format(digest=digest) + ".sigstore.json"))
    return folder, digest


def test_the_folder_probe(tmp_path: Path) -> None:
    folder, digest = evidence(tmp_path, GITHUB_BUNDLE, GITHUB_ARTIFACT)
    unsigned = "sha256:" + "ab" * 32
    images = [f"registry.kaze.io/kaze/agent@{digest}", f"registry.kaze.io/kaze/intake@{unsigned}",
              "registry.kaze.io/kaze/tagged:1.0"]  # no digest: nothing to verify
    document = probe_signatures(images, folder, [{"issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT}])
    assert document == {
        "apiVersion": "snapshot.kaze.io/v1", "kind": "ImageVerificationSnapshot", "metadata": {"name": "signatures"},
        "images": [
            {"image": images[0], "digest": digest,
             "signature": {"verified": True, "issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT, "error": None}},
            {"image": images[1], "digest": unsigned,
             "signature": {"verified": False, "issuer": None, "subject": None,
                           "error": f"no Sigstore bundle for {unsigned} in {folder}"}},
        ]}


def test_a_bundle_on_the_wrong_root_or_for_another_digest_fails(tmp_path: Path) -> None:
    folder, digest = evidence(tmp_path, STAGING_BUNDLE, STAGING_ARTIFACT)
    (entry,) = probe_signatures([f"r.example/a@{digest}"], folder, [])["images"]
    assert_failed(entry["signature"], "production trust root")  # a staging signature
    (entry,) = probe_signatures([f"r.example/a@{digest}"], folder, [], staging=True)["images"]
    assert entry["signature"]["verified"] is True
    other = "sha256:" + "cd" * 32
    shutil.copyfile(folder / f"{digest}.sigstore.json", folder / f"{other}.sigstore.json")
    (entry,) = probe_signatures([f"r.example/a@{other}"], folder, [], staging=True)["images"]
    assert_failed(entry["signature"], "staging trust root")


def test_a_dsse_bundle_verifies_for_the_digest_its_statement_names(tmp_path: Path) -> None:
    bundle = "a.dsse.staging-rekor-v2.txt.sigstore.json"
    (named,) = statement_digests(corpus(bundle))
    folder = tmp_path / "signatures"
    folder.mkdir()
    other = sha256(b"another image")
    for digest in (named, other):
        shutil.copyfile(CORPUS / bundle, folder / f"{digest.replace(':', '-')}.sigstore.json")
    first, second = probe_signatures([f"r.example/a@{named}", f"r.example/b@{other}"], folder, [],
                                     staging=True)["images"]
    assert first["signature"]["verified"] is True and first["signature"]["issuer"] == GITHUB_ISSUER
    assert_failed(second["signature"], f"names {named}, not {other}")


def test_the_dash_name_is_read_and_two_different_bundles_are_refused(tmp_path: Path) -> None:
    folder, digest = evidence(tmp_path, GITHUB_BUNDLE, GITHUB_ARTIFACT, name="{digest}")
    dashed = folder / f"{digest.replace(':', '-')}.sigstore.json"
    shutil.copyfile(folder / f"{digest}.sigstore.json", dashed)  # the same bundle twice: fine
    (entry,) = probe_signatures([f"r.example/a@{digest}"], folder, [])["images"]
    assert entry["signature"]["verified"] is True
    dashed.write_bytes(corpus(STAGING_BUNDLE))
    (entry,) = probe_signatures([f"r.example/a@{digest}"], folder, [])["images"]
    assert_failed(entry["signature"], "are different bundles")


def test_each_digest_is_verified_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, digest = evidence(tmp_path, GITHUB_BUNDLE, GITHUB_ARTIFACT)
    _, other = evidence(tmp_path, STAGING_BUNDLE, STAGING_ARTIFACT)
    calls: list[Any] = []
    real = signatures.verify_bundle

    def counting(bundle: bytes, artifact: bytes | str, *args: Any) -> dict[str, Any]:
        calls.append(artifact)
        return real(bundle, artifact, *args)

    monkeypatch.setattr(signatures, "verify_bundle", counting)
    images = [f"r.example/agent@{digest}", f"r.example/agent-copy@{digest}", f"r.example/staged@{other}",
              f"r.example/agent@{digest}"]
    first = probe_signatures(images, folder, [])
    second = probe_signatures(images, folder, [])
    assert sorted(calls) == sorted([digest, other])
    assert first == second and [e["image"] for e in first["images"]] == images[:3]
    first["images"][0]["signature"]["verified"] = False  # a caller's change does not reach the cache
    assert probe_signatures(images, folder, [])["images"][0]["signature"]["verified"] is True
    # A bundle replaced on disk is verified again.
    (folder / f"{digest}.sigstore.json").write_bytes(b"{}")
    (entry, *_) = probe_signatures(images, folder, [])["images"]
    assert_failed(entry["signature"], "does not parse")
    assert len(calls) == 3


def test_a_missing_folder_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ProbeFailed) as raised:
        probe_signatures([f"r.example/a@sha256:{'0' * 64}"], missing, [])
    assert raised.value.scope == "supply-chain" and str(missing) in str(raised.value)


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "bundle.json"
    file.write_text("{}")
    with pytest.raises(ProbeFailed):
        probe_signatures([], file, [])


@pytest.mark.parametrize("image, digest", [
    (f"r.example/a@sha256:{'a' * 64}", f"sha256:{'a' * 64}"),
    (f"r.example:5000/a/b:1.0@sha256:{'0' * 64}", f"sha256:{'0' * 64}"),
    ("r.example/a:1.0", None),
    (f"r.example/a@sha256:{'A' * 64}", None),  # signatures.rego reads lowercase hex only
    (f"r.example/a@sha512:{'a' * 128}", None),
    (f"r@x@sha256:{'a' * 64}", None),
])
def test_image_digest_reads_as_the_rule_does(image: str, digest: str | None) -> None:
    assert image_digest(image) == digest


# -- through KZ-SUP-02 ---------------------------------------------------------------------

CONFIG = """\
apiVersion: kaze.io/v1
kind: KazePolicyConfig
cell: {{name: probe, mode: customer-vpc, cloud: aws}}
tenants:
  - {{name: acme, vertical: finance, namespaces: [tenant-acme]}}
registries: [r.example]
signers:
  - {{issuer: "{issuer}", subject: "{subject}"}}
"""


def kz_sup_02(target: Path) -> dict[str, Any]:
    from kaze_policy.catalog import load_catalog
    from kaze_policy.scan import ScanOptions, run_scan

    report = run_scan(ScanOptions(paths=[str(target)], controls=["KZ-SUP-02"]), load_catalog()).to_json()
    return next(c for c in report["controls"] if c["id"] == "KZ-SUP-02")


@pytest.mark.parametrize("subject, status", [
    (GITHUB_SUBJECT, "pass"),
    (KAZE_RELEASE, "fail"),
])
def test_the_rule_judges_the_recorded_identity(tmp_path: Path, subject: str, status: str) -> None:
    folder, digest = evidence(tmp_path, GITHUB_BUNDLE, GITHUB_ARTIFACT)
    target = tmp_path / "target"
    target.mkdir()
    signers = [{"issuer": GITHUB_ISSUER, "subject": subject}]
    document = probe_signatures([f"r.example/agent@{digest}"], folder, signers, name="cell")
    (target / "image-verification.json").write_text(json.dumps(document))
    (target / "kaze-policy.yaml").write_text(CONFIG.format(issuer=GITHUB_ISSUER, subject=subject))
    control = kz_sup_02(target)
    assert control["status"] == status, control
    if status == "fail":
        assert "not a configured signer" in json.dumps(control["findings"])
