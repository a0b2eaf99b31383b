"""Sigstore signatures of image digests, verified offline into an ImageVerificationSnapshot.

What is verified: a Sigstore bundle (`application/vnd.dev.sigstore.bundle+json`, v0.1 to v0.3)
against the trust root embedded in the installed `sigstore` wheel, production by default or
staging. Nothing is fetched: the embedded root is read directly, not through sigstore's TUF
cache (`Verifier.production(offline=True)` reads an unverified `trusted_root.json` from the
user's cache directory, and writes one there), so a verdict depends on the installed sigstore
version alone, never on the state of $HOME. A root that Sigstore rotated after that version
was released is only known after upgrading sigstore.

What is signed: the artifact whose sha256 is the image digest (the image manifest).
- A message-signature bundle (hashedrekord) must be a signature over that digest, as
  `cosign sign-blob --bundle` or `sigstore sign` of the manifest makes: it is checked against
  the digest itself (prehashed), so the manifest need not be at hand.
- A DSSE bundle must carry an in-toto statement (`application/vnd.in-toto+json`) one of whose
  subjects has that sha256 digest, as cosign's new bundle format for images has.

The verdict (`signature`): `verified` is the cryptographic verdict alone (the certificate
chains to Fulcio, the signature and the transparency-log entry verify and agree, and the
signature is over the artifact). When it is true, `issuer` (the Fulcio OIDC issuer extension)
and `subject` (the certificate's SAN) are the signer's authenticated identity; otherwise both
are null and `error` says in one line why it did not verify. Who signed is judged by the Rego
rule (supply_chain/signatures.rego, KZ-SUP-02) against the configured signers, not here: a
saved snapshot is then judged against the configuration of the scan that reads it, and a
signature from someone else is reported with that someone's identity.

The evidence folder (`--signatures DIR`), one bundle per digest, named by the digest:
    DIR/sha256:<64 hex>.sigstore.json
    DIR/sha256-<64 hex>.sigstore.json   (the same, for file systems and tools that refuse ':')
Both names are read; when both exist they must hold the same bundle. Only images pinned by
digest (`name@sha256:<64 lowercase hex>`, the form the Rego rule reads) get a verdict: an
image named by tag alone has no digest to verify (the digest-pinning control covers it).
A folder, or a bundle in it, that cannot be read raises ProbeFailed (scope supply-chain).
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaze_policy.probes import ProbeFailed, snapshot

if TYPE_CHECKING:  # sigstore is imported when a bundle is verified, not when kaze-policy starts
    from cryptography.x509 import Certificate
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore.verify import Verifier

SUPPLY_CHAIN_SCOPE = "supply-chain"
SNAPSHOT_KIND = "ImageVerificationSnapshot"
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")  # the form signatures.rego's digest_of accepts
BUNDLE_SUFFIX = ".sigstore.json"
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
# The TUF repositories whose trust roots the sigstore wheel embeds (sigstore/_store/<quoted URL>).
PRODUCTION_TUF_URL = "https://tuf-repo-cdn.sigstore.dev"
STAGING_TUF_URL = "https://tuf-repo-cdn.sigstage.dev"
# Fulcio's OIDC issuer: the v2 extension (DER UTF8String) is read first, the deprecated v1
# extension (raw bytes) of older certificates second; Fulcio writes the same value in both.
_ISSUER_V2_OID = "1.3.6.1.4.1.57264.1.8"
_ISSUER_V1_OID = "1.3.6.1.4.1.57264.1.1"
_SIGSTORE_OTHERNAME_OID = "1.3.6.1.4.1.57264.1.7"  # Fulcio's OtherName SAN, for username identities
_MAX_ERROR = 300

Signature = dict[str, Any]


def verify_bundle(bundle_bytes: bytes, artifact: bytes | str, signers: Sequence[Mapping[str, Any]],
                  staging: bool = False) -> Signature:
    """The `signature` verdict of a Sigstore bundle over `artifact`: its content (bytes), or the
    artifact named by its digest (`sha256:<hex>`, e.g. an image's manifest).

    `signers` ({issuer, subject} pairs, compared exactly) never change `verified`: the Rego rule
    judges the identity. They only choose which identity to report when a certificate names
    several (Fulcio's name one). Never raises for a bad bundle: its verdict says why it failed.
    """
    digest_hex = _sha256_hex(artifact)  # a malformed digest is the caller's error: ValueError
    verifier = _verifier(staging)  # no sigstore or no trust root: ProbeFailed, not a verdict
    try:
        bundle = _parse(bundle_bytes)
    except Exception as err:  # any malformed input (JSON, schema, invariants) is a verdict
        return _failed(f"the bundle does not parse as a Sigstore bundle: {_first_line(err)}")
    try:
        if bundle._dsse_envelope is not None:  # no public accessor; the kind decides the check
            _verify_dsse(verifier, bundle, digest_hex)
        else:
            verifier.verify_artifact(_hashed(artifact), bundle, _IdentityJudgedByRule())
    except _ArtifactMismatch as err:
        return _failed(str(err))
    except Exception as err:  # sigstore, cryptography and pydantic errors alike: not verified
        root = "staging" if staging else "production"
        return _failed(f"does not verify against the Sigstore {root} trust root: {_first_line(err)}")
    issuer, subject = _identity(bundle.signing_certificate, signers)
    return {"verified": True, "issuer": issuer, "subject": subject, "error": None}


def probe_signatures(images: Iterable[str], folder: Path | None, signers: Sequence[Mapping[str, Any]],
                     staging: bool = False, *, name: str = "signatures",
                     registry: Callable[[str, str], dict[str, bytes]] | None = None) -> dict[str, Any]:
    """An ImageVerificationSnapshot: a verdict for each image pinned by digest, from its bundle
    in `folder` (layout in the module docstring), or else from `registry(image, digest)` (the
    bundles an OCI registry lists as the digest's referrers: probes/registry.py).
    ProbeFailed when `folder` or the registry cannot be read."""
    if folder is not None:
        _check_folder(folder)
    entries = []
    for image in dict.fromkeys(images):  # one entry per reference, in the order given
        digest = image_digest(image)
        if digest is None:
            continue
        in_folder = _bundles_for(folder, digest) if folder is not None else {}  # read once, judged below
        if in_folder or registry is None:
            signature = _signature_of(in_folder, folder, digest, staging, signers) if folder is not None else \
                _failed(f"no Sigstore bundle for {digest}")
        else:
            signature = _best(registry(image, digest), digest, staging, signers, image)
        entries.append({"image": image, "digest": digest, "signature": signature})
    return snapshot(SNAPSHOT_KIND, name, images=entries)


def _best(bundles: Mapping[str, bytes], digest: str, staging: bool, signers: Sequence[Mapping[str, Any]],
          image: str) -> Signature:
    """Of the bundles a registry holds for a digest (an image may be signed more than once), one
    that verifies from a configured signer, else one that verifies, else the first failure."""
    if not bundles:
        return _failed(f"no Sigstore bundle refers to {digest} in the registry of {image}")
    verdicts = [dict(_verdict(digest, bundle, staging, _signer_key(signers))) for _, bundle in sorted(bundles.items())]
    wanted = {(str(s.get("issuer")), str(s.get("subject"))) for s in signers if isinstance(s, Mapping)}
    verified = [v for v in verdicts if v["verified"]]
    return next((v for v in verified if (v["issuer"], v["subject"]) in wanted), None) or \
        (verified[0] if verified else verdicts[0])


def image_digest(image: str) -> str | None:
    """The digest an image reference is pinned to, as signatures.rego reads it (`name@digest`)."""
    parts = image.split("@")
    if len(parts) == 2 and DIGEST.fullmatch(parts[1]):
        return parts[1]
    return None


def forget_verdicts() -> None:
    """Empty the in-process verdict cache (a new trust root, or a test)."""
    _verdict.cache_clear()


# Verifying a bundle costs a certificate chain and several signatures: an image run by many
# workloads, or scanned again in the same process, is verified once. The key holds the bundle
# itself, so a bundle replaced on disk is verified again rather than answered from the cache.
@functools.lru_cache(maxsize=4096)
def _verdict(digest: str, bundle: bytes, staging: bool, signers: tuple[tuple[str, str], ...]) -> Signature:
    return verify_bundle(bundle, digest, [{"issuer": i, "subject": s} for i, s in signers], staging)


def _signer_key(signers: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(s.get("issuer")), str(s.get("subject"))) for s in signers if isinstance(s, Mapping))


def _check_folder(folder: Path) -> None:
    try:
        if not folder.is_dir():
            raise ProbeFailed(f"the signature folder {folder} does not exist or is not a directory",
                              str(folder), SUPPLY_CHAIN_SCOPE)
        next(folder.iterdir(), None)  # listing it proves it can be read
    except OSError as err:
        raise ProbeFailed(f"cannot read the signature folder {folder}: {_first_line(err)}",
                          str(folder), SUPPLY_CHAIN_SCOPE) from None


def _signature_of(bundles: dict[str, bytes], folder: Path, digest: str, staging: bool,
                  signers: Sequence[Mapping[str, Any]]) -> Signature:
    """The verdict of the folder's bundles for `digest` (file name -> content, as read)."""
    if not bundles:
        return _failed(f"no Sigstore bundle for {digest} in {folder}")
    if len(set(bundles.values())) > 1:  # which one was meant cannot be told: neither is taken
        return _failed(f"{' and '.join(bundles)} in {folder} are different bundles for {digest}")
    bundle = next(iter(bundles.values()))
    return dict(_verdict(digest, bundle, staging, _signer_key(signers)))  # a copy: the cache keeps its own


def _bundles_for(folder: Path, digest: str) -> dict[str, bytes]:
    """The bundles for `digest` under either of its names (file name -> content)."""
    found = {}
    for candidate in (folder / f"{digest}{BUNDLE_SUFFIX}", folder / f"{digest.replace(':', '-')}{BUNDLE_SUFFIX}"):
        try:
            found[candidate.name] = candidate.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as err:  # present but unreadable: no verdict can be given, and none is guessed
            raise ProbeFailed(f"cannot read the Sigstore bundle {candidate}: {_first_line(err)}",
                              str(candidate), SUPPLY_CHAIN_SCOPE) from None
    return found


def _parse(bundle_bytes: bytes) -> Bundle:
    from sigstore.models import Bundle

    return Bundle.from_json(bundle_bytes)


@functools.cache
def _verifier(staging: bool) -> Verifier:
    """A verifier over the trust root embedded in the sigstore wheel (see the module docstring)."""
    from importlib import resources
    from urllib.parse import quote

    url = STAGING_TUF_URL if staging else PRODUCTION_TUF_URL
    try:
        from sigstore.models import TrustedRoot
        from sigstore.verify import Verifier
    except ImportError as err:
        raise ProbeFailed(f"sigstore is not installed: {_first_line(err)}", "sigstore", SUPPLY_CHAIN_SCOPE) from None
    embedded = resources.files("sigstore._store").joinpath(quote(url, safe=""), "trusted_root.json")
    try:
        with resources.as_file(embedded) as path:
            return Verifier(trusted_root=TrustedRoot.from_file(str(path)))
    except (OSError, ValueError) as err:  # a sigstore release that stores its roots elsewhere
        raise ProbeFailed(f"the installed sigstore has no embedded trust root for {url}: {_first_line(err)}",
                          "sigstore", SUPPLY_CHAIN_SCOPE) from None


class _IdentityJudgedByRule:
    """A sigstore VerificationPolicy that accepts every identity: who signed is recorded and the
    Rego rule judges it (policy.UnsafeNoOp does the same but logs a warning on each bundle)."""

    def verify(self, cert: Certificate) -> None:
        return None


class _ArtifactMismatch(Exception):
    """A signature that verifies, over something other than the artifact asked about."""


def _verify_dsse(verifier: Verifier, bundle: Bundle, digest_hex: str) -> None:
    payload_type, payload = verifier.verify_dsse(bundle, _IdentityJudgedByRule())
    if payload_type != IN_TOTO_PAYLOAD:
        raise _ArtifactMismatch(f"the DSSE envelope holds {payload_type}, not an in-toto statement")
    subjects = _statement_subjects(payload)
    if digest_hex not in subjects:
        named = ", ".join(f"sha256:{d}" for d in subjects) or "no sha256 digest"
        raise _ArtifactMismatch(f"the signed in-toto statement names {named}, not sha256:{digest_hex}")


def _statement_subjects(payload: bytes) -> list[str]:
    try:
        statement = json.loads(payload)
        return [s["digest"]["sha256"].lower() for s in statement.get("subject") or []
                if isinstance(s, dict) and isinstance(s.get("digest"), dict)
                and isinstance(s["digest"].get("sha256"), str)]
    except (ValueError, AttributeError, TypeError) as err:  # not JSON, or not a statement's shape
        raise _ArtifactMismatch(f"the signed payload is not an in-toto statement: {_first_line(err)}") from None


def _sha256_hex(artifact: bytes | str) -> str:
    if isinstance(artifact, bytes):
        return hashlib.sha256(artifact).hexdigest()
    if not DIGEST.fullmatch(artifact):
        raise ValueError(f"{artifact!r} is not a sha256:<64 hex> digest")
    return artifact.removeprefix("sha256:")


def _hashed(artifact: bytes | str) -> bytes | Hashed:
    """What sigstore verifies a message signature against: the bytes, or their digest (prehashed)."""
    if isinstance(artifact, bytes):
        return artifact
    from sigstore.hashes import Hashed
    from sigstore_models.common.v1 import HashAlgorithm

    return Hashed(algorithm=HashAlgorithm.SHA2_256, digest=binascii.unhexlify(_sha256_hex(artifact)))


def _identity(cert: Certificate, signers: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(issuer, subject) of a Fulcio certificate; of several SANs, a configured signer's wins."""
    issuer = _issuer(cert)
    sans = _sans(cert)
    configured = {s.get("subject") for s in signers if isinstance(s, Mapping) and s.get("issuer") == issuer}
    subject = next((san for san in sans if san in configured), sans[0] if sans else None)
    return issuer, subject


def _issuer(cert: Certificate) -> str | None:
    from cryptography import x509
    from cryptography.hazmat import asn1

    for oid, decode in ((_ISSUER_V2_OID, lambda raw: asn1.decode_der(str, raw)),
                        (_ISSUER_V1_OID, lambda raw: raw.decode())):
        try:
            extension = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value
            return str(decode(extension.value))  # type: ignore[attr-defined]  # UnrecognizedExtension
        except x509.ExtensionNotFound:
            continue
        except ValueError:  # a malformed value: try the other extension
            continue
    return None


def _sans(cert: Certificate) -> list[str]:
    """The SAN values sigstore's Identity policy accepts: URIs, emails, Sigstore usernames."""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    others = [o.value.decode(errors="replace") for o in san.get_values_for_type(x509.OtherName)
              if o.type_id.dotted_string == _SIGSTORE_OTHERNAME_OID]
    return [*san.get_values_for_type(x509.UniformResourceIdentifier),
            *san.get_values_for_type(x509.RFC822Name), *others]


def _failed(error: str) -> Signature:
    return {"verified": False, "issuer": None, "subject": None, "error": error}


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:_MAX_ERROR]
