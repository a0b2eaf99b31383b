package kaze.supply_chain.signatures_test

import rego.v1

import data.kaze.supply_chain.signatures

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

other_digest := "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

issuer := "https://token.actions.githubusercontent.com"

subject := "https://github.com/kaze/kaze/.github/workflows/release.yml@refs/heads/main"

image := concat("@", ["registry.kaze.io/kaze/agent", digest])

verdict(signature) := {"image": image, "digest": digest, "signature": signature}

good := {"verified": true, "issuer": issuer, "subject": subject, "error": null}

snapshot(images) := {
	"id": "ImageVerificationSnapshot/cell",
	"kind": "ImageVerificationSnapshot",
	"apiVersion": "snapshot.kaze.io/v1",
	"object": {"images": images},
}

inventory(images, workloads) := {
	"config": {"signers": [{"issuer": issuer, "subject": subject}]},
	"by_kind": {
		"ImageVerificationSnapshot": ["ImageVerificationSnapshot/cell"],
		"Deployment": [w.id | some w in workloads],
	},
	"resources": object.union({"ImageVerificationSnapshot/cell": snapshot(images)}, {w.id: w | some w in workloads}),
}

deployment(img) := {
	"id": "Deployment/t/d", "kind": "Deployment",
	"object": {
		"kind": "Deployment",
		"metadata": {"name": "d", "namespace": "t"},
		"spec": {"template": {"spec": {"containers": [{"name": "c", "image": img}]}}},
	},
}

test_configured_signer_passes if {
	count(signatures.violation) == 0 with data.inventory as inventory([verdict(good)], [])
}

test_unverified_signature_fails if {
	bad := {"verified": false, "issuer": null, "subject": null, "error": "no signatures found"}
	some v in signatures.violation with data.inventory as inventory([verdict(bad)], [])
	v.resource == "ImageVerificationSnapshot/cell"
	contains(v.msg, "no signatures found")
}

test_other_issuer_fails if {
	inv := inventory([verdict(object.union(good, {"issuer": "https://accounts.google.com"}))], [])
	count(signatures.violation) == 1 with data.inventory as inv
}

test_subject_prefix_lookalike_fails if {
	hotfix := concat("", [subject, "-hotfix"])
	inv := inventory([verdict(object.union(good, {"subject": hotfix}))], [])
	some v in signatures.violation with data.inventory as inv
	v.evidence.signer.subject == hotfix
}

test_verdict_for_another_digest_fails if {
	entry := {"image": image, "digest": other_digest, "signature": good}
	count(signatures.violation) == 1 with data.inventory as inventory([entry], [])
}

test_workload_image_without_verdict_fails if {
	unverified := concat("@", ["registry.kaze.io/kaze/intake", other_digest])
	some v in signatures.violation with data.inventory as inventory([verdict(good)], [deployment(unverified)])
	v.resource == "Deployment/t/d"
}

test_workload_image_with_verdict_passes if {
	count(signatures.violation) == 0 with data.inventory as inventory([verdict(good)], [deployment(image)])
}

test_missing_images_list_is_an_error if {
	inv := json.patch(
		inventory([], []),
		[{"op": "remove", "path": "/resources/ImageVerificationSnapshot~1cell/object/images"}],
	)
	count(signatures.errors) == 1 with data.inventory as inv
}

test_verdict_without_verified_flag_is_an_error if {
	count(signatures.errors) == 1 with data.inventory as inventory([verdict({"issuer": issuer, "subject": subject})], [])
}

# Without configuration: what fails under every signer list fails; a verified signature's
# signer is undecided.
no_config(images, workloads) := object.union(inventory(images, workloads), {"config": null})

test_without_signers_an_unverified_signature_fails if {
	bad := {"verified": false, "issuer": null, "subject": null, "error": "no signatures found"}
	some v in signatures.violation with data.inventory as no_config([verdict(bad)], [])
	contains(v.msg, "no signatures found")
	not signatures.not_applicable with data.inventory as no_config([verdict(bad)], [])
	not signatures.undecided with data.inventory as no_config([verdict(bad)], [])
}

test_without_signers_an_image_without_verdict_fails if {
	unverified := concat("@", ["registry.kaze.io/kaze/intake", other_digest])
	some v in signatures.violation with data.inventory as no_config([verdict(good)], [deployment(unverified)])
	v.resource == "Deployment/t/d"
}

test_without_signers_a_verified_signature_is_undecided if {
	other := object.union(good, {"issuer": "https://accounts.google.com"})
	count(signatures.violation) == 0 with data.inventory as no_config([verdict(other)], [])
	contains(signatures.undecided, "signers") with data.inventory as no_config([verdict(other)], [])
}

test_with_signers_nothing_is_undecided if {
	not signatures.undecided with data.inventory as inventory([verdict(good)], [])
}

test_not_applicable_without_snapshot if {
	inv := json.patch(inventory([], []), [{"op": "replace", "path": "/by_kind", "value": {}}])
	contains(signatures.not_applicable, "ImageVerificationSnapshot") with data.inventory as inv
}
