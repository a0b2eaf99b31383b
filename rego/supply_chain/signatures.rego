# METADATA
# title: Every image digest has a Sigstore signature from a configured signer
# description: >-
#   A digest proves what an image is, not who built it. Only a Sigstore signature that verifies
#   against the trust root, made by the release workflow's own OIDC identity, shows that the
#   image came out of the platform's build pipeline. Both halves of the identity matter: the
#   subject names the workflow (a fork, another branch or a look-alike workflow is someone
#   else's build), and the issuer names who vouches for that subject (the same subject issued
#   by another OIDC provider can be claimed by anyone who controls an account there). Subjects
#   and issuers are compared exactly, never as prefixes.
# custom:
#   id: KZ-SUP-02
#   severity: critical
#   scopes: [supply-chain, cluster, admission]
#   reference: "docs/requirements.md#supply-chain"
#   remediation: >-
#     Sign the image digest keyless with cosign from one of the workflows listed under signers in
#     kaze-policy.yaml (the issuer and subject must match exactly), or rebuild it through that
#     workflow; never deploy a digest whose signature does not verify.
#   frameworks:
#     soc2: [CC7.1, CC8.1]
#     iso27001: [A.5.21, A.8.19, A.8.32]
#     nist80053: [SI-7, SI-7(15), CM-14, SR-4]
#     cis_kubernetes: ["5.5.1"]
package kaze.supply_chain.signatures

import rego.v1

import data.kaze.lib.digests
import data.kaze.lib.k8s
import data.kaze.lib.tenancy

_signers := [s |
	some s in object.get(tenancy.config, "signers", [])
	is_object(s)
]

_snapshot_ids := [id |
	some id in object.get(data.inventory.by_kind, "ImageVerificationSnapshot", [])
	data.inventory.resources[id].apiVersion == "snapshot.kaze.io/v1"
]

_entries contains [id, entry] if {
	some id in _snapshot_ids
	some entry in object.get(data.inventory.resources[id].object, "images", [])
}

_signer_of(signature) := {
	"issuer": object.get(signature, "issuer", null),
	"subject": object.get(signature, "subject", null),
}

_configured(signature) if {
	some s in _signers
	s.issuer == signature.issuer
	s.subject == signature.subject
}

_name_of(entry) := object.get(entry, "image", entry.digest)

_signature_field(signature, field) := object.get(signature, field, "(none)")

# Images the target's workloads run by digest, that no verdict covers.
_verified_digests contains entry.digest if {
	some [_, entry] in _entries
}

not_applicable := "the target has no image signature verdicts (ImageVerificationSnapshot)" if {
	count(_snapshot_ids) == 0
}

# Without signers, a signature that does not verify, a verdict about another digest and a
# digest with no verdict still fail; only who signed a verified signature is left open.
undecided := concat("", [
	"no signer identities are configured (kaze-policy.yaml: signers): ",
	"whether the signatures that verify were made by the release workflows is undecided",
]) if {
	count(_signers) == 0
	some [_, entry] in _entries
	entry.signature.verified == true
}

errors contains sprintf("%s has no images list: the probe recorded no signature verdicts", [id]) if {
	some id in _snapshot_ids
	not is_array(object.get(data.inventory.resources[id].object, "images", null))
}

errors contains sprintf("%s: the verdict for %v lacks %s", [id, object.get(entry, "image", "an image"), field]) if {
	some [id, entry] in _entries
	some field, present in {
		"its digest": is_string(object.get(entry, "digest", null)),
		"signature.verified": is_boolean(object.get(entry, ["signature", "verified"], null)),
	}
	present == false
}

violation contains v if {
	some [id, entry] in _entries
	signature := object.get(entry, "signature", {})
	signature.verified == false
	v := {
		"msg": sprintf(
			concat("", [
				"Image %s has no Sigstore signature that verifies (%v): ",
				"sign its digest from a configured release workflow, or do not deploy it",
			]),
			[_name_of(entry), object.get(signature, "error", "no reason given")],
		),
		"resource": id,
		"evidence": {"image": _name_of(entry), "digest": entry.digest, "signature": signature},
	}
}

violation contains v if {
	count(_signers) > 0
	some [id, entry] in _entries
	signature := object.get(entry, "signature", {})
	signature.verified == true
	not _configured(signature)
	v := {
		"msg": sprintf(
			concat("", [
				"Image %s is signed by subject %v issued by %v, which is not a configured signer: ",
				"sign it from one of the workflows in kaze-policy.yaml signers (issuer and subject must match exactly)",
			]),
			[_name_of(entry), _signature_field(signature, "subject"), _signature_field(signature, "issuer")],
		),
		"resource": id,
		"evidence": {
			"image": _name_of(entry),
			"digest": entry.digest,
			"signer": _signer_of(signature),
			"configured_signers": _signers,
		},
	}
}

# A verdict must be about the digest its image reference names.
violation contains v if {
	some [id, entry] in _entries
	ref_digest := digests.digest_of(object.get(entry, "image", ""))
	ref_digest != entry.digest
	v := {
		"msg": sprintf(
			concat("", [
				"The signature verdict for image %s is about digest %s, not the digest the image reference names: ",
				"verify the digest that is deployed",
			]),
			[entry.image, entry.digest],
		),
		"resource": id,
		"evidence": {"image": entry.image, "digest": entry.digest},
	}
}

violation contains v if {
	count(_snapshot_ids) > 0
	some kind in k8s.workload_kinds
	some rid in object.get(data.inventory.by_kind, kind, [])
	workload := data.inventory.resources[rid]
	some image in k8s.images(workload.object)
	digest := digests.digest_of(image)
	not digest in _verified_digests
	v := {
		"msg": sprintf(
			concat("", [
				"%s %s/%s runs image %s, whose signature was not verified (no verdict in the image verification snapshot): ",
				"verify its signature, or do not deploy it",
			]),
			[workload.kind, k8s.namespace(workload.object), k8s.name(workload.object), image],
		),
		"resource": rid,
		"evidence": {"image": image, "digest": digest, "snapshots": _snapshot_ids},
	}
}
