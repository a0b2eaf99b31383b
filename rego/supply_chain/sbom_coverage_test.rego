package kaze.supply_chain.sbom_coverage_test

import rego.v1

import data.kaze.supply_chain.sbom_coverage

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

old_digest := "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

image := concat("@", ["registry.kaze.io/kaze/llm-gateway", digest])

sbom(fields) := object.union(
	{
		"image": image,
		"file": "sboms/llm-gateway.cdx.json",
		"valid": true,
		"errors": [],
		"subjectDigest": digest,
		"components": [],
	},
	fields,
)

deployment(img) := {
	"id": "Deployment/kaze-llm-gateway/llm-gateway", "kind": "Deployment",
	"object": {
		"kind": "Deployment",
		"metadata": {"name": "llm-gateway", "namespace": "kaze-llm-gateway"},
		"spec": {"template": {"spec": {"containers": [{"name": "c", "image": img}]}}},
	},
}

inventory(mode, sboms, img) := {
	"config": {"cell": {"name": "c", "mode": mode}},
	"by_kind": {
		"SbomIndexSnapshot": ["SbomIndexSnapshot/cell"],
		"Deployment": ["Deployment/kaze-llm-gateway/llm-gateway"],
	},
	"resources": {
		"SbomIndexSnapshot/cell": {
			"id": "SbomIndexSnapshot/cell",
			"kind": "SbomIndexSnapshot",
			"apiVersion": "snapshot.kaze.io/v1",
			"object": {"sboms": sboms},
		},
		"Deployment/kaze-llm-gateway/llm-gateway": deployment(img),
	},
}

vpc(sboms) := inventory("customer-vpc", sboms, image)

test_matching_sbom_passes if {
	count(sbom_coverage.violation) == 0 with data.inventory as vpc([sbom({})])
	count(sbom_coverage.errors) == 0 with data.inventory as vpc([sbom({})])
}

test_image_without_sbom_fails if {
	some v in sbom_coverage.violation with data.inventory as vpc([])
	v.resource == "Deployment/kaze-llm-gateway/llm-gateway"
	contains(v.msg, "ships no SBOM")
}

test_invalid_sbom_fails if {
	some v in sbom_coverage.violation with data.inventory as vpc([sbom({"valid": false, "errors": ["bad hash alg"]})])
	contains(v.msg, "bad hash alg")
}

# (The inventory and the expected value are bound before `with`: regorus forgets rules that
# were evaluated inside a `with` value once the expression is done.)
test_sbom_of_previous_build_fails if {
	inv := vpc([sbom({"subjectDigest": old_digest})])

	# regorus forgets rules evaluated inside a with once the expression is done (see above):
	# regal ignore:pointless-reassignment
	expected := old_digest
	some v in sbom_coverage.violation with data.inventory as inv
	contains(v.msg, expected)
}

test_sbom_without_subject_digest_fails if {
	some v in sbom_coverage.violation with data.inventory as vpc([sbom({"subjectDigest": null})])
	contains(v.msg, "names no subject digest")
}

test_sbom_listed_for_another_digest_fails if {
	other := concat("@", ["registry.kaze.io/kaze/llm-gateway", old_digest])
	count(sbom_coverage.violation) == 1 with data.inventory as vpc([sbom({"image": other, "subjectDigest": old_digest})])
}

test_one_good_sbom_among_stale_ones_passes if {
	stale := sbom({"image": concat("@", ["registry.kaze.io/kaze/llm-gateway", old_digest]), "subjectDigest": old_digest})
	count(sbom_coverage.violation) == 0 with data.inventory as vpc([stale, sbom({})])
}

test_image_by_tag_fails if {
	inv := inventory("customer-vpc", [sbom({})], "registry.kaze.io/kaze/llm-gateway:1.4")
	some v in sbom_coverage.violation with data.inventory as inv
	contains(v.msg, "not pinned by digest")
}

test_agency_mode_is_not_applicable if {
	contains(sbom_coverage.not_applicable, "agency") with data.inventory as inventory("agency", [], image)
}

test_no_config_is_not_applicable if {
	sbom_coverage.not_applicable with data.inventory as {"config": null, "by_kind": {}, "resources": {}}
}

test_no_index_is_not_applicable if {
	inv := json.patch(vpc([]), [{"op": "replace", "path": "/by_kind/SbomIndexSnapshot", "value": []}])
	contains(sbom_coverage.not_applicable, "SbomIndexSnapshot") with data.inventory as inv
}

test_entry_without_valid_flag_is_an_error if {
	count(sbom_coverage.errors) == 1 with data.inventory as vpc([object.remove(sbom({}), ["valid"])])
}

# Without configuration the cell's mode is unknown: undecided (its digest rule is customer-VPC
# only).
test_no_config_is_undecided if {
	inv := {"config": null, "by_kind": {}, "resources": {}}
	contains(sbom_coverage.undecided, "kaze-policy.yaml") with data.inventory as inv
}

test_configured_mode_is_not_undecided if {
	not sbom_coverage.undecided with data.inventory as inventory("agency", [], image)
}
