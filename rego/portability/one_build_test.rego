package kaze.portability.one_build_test

import rego.v1

import data.kaze.portability.one_build

release := "sha256:b2988a856de71be5ce33bf853715b5c3adbce7c23c6bb5e92370f41858a94b31"

hotfix := "sha256:a328a0ba1743fcb2f7260edcc4f8119f8636f47836ec37fbb2c94537d436797a"

repo := "registry.kaze.io/kaze/agent-runtime"

_inventory(this, overlays) := {"target": {"name": this, "kind": "kustomize"}, "facts": {"overlays": overlays}}

deployment(image) := {
	"kind": "Deployment",
	"metadata": {"name": "agent-runtime", "namespace": "kaze", "labels": {"app.kubernetes.io/name": "agent-runtime"}},
	"spec": {"template": {"spec": {"containers": [{"name": "agent-runtime", "image": image}]}}},
}

_review(image) := {"id": "Deployment/kaze/agent-runtime", "object": deployment(image)}

test_same_digest_everywhere_passes if {
	overlays := {"o/aws": {repo: [release]}, "o/gcp": {repo: [release]}}
	review := _review(concat("@", [repo, release]))
	inv := _inventory("o/aws", overlays)
	count(one_build.violation) == 0 with input as review with data.inventory as inv
}

test_other_digest_fails if {
	overlays := {"o/aws": {repo: [release]}, "o/gcp": {repo: [release]}, "o/vpc": {repo: [hotfix]}}
	review := _review(concat("@", [repo, hotfix]))
	inv := _inventory("o/vpc", overlays)
	some v in one_build.violation with input as review with data.inventory as inv
	v.resource == "Deployment/kaze/agent-runtime"
	v.evidence.runs == hotfix
	v.evidence.other_overlays == {"o/aws": [release], "o/gcp": [release]}
}

test_each_overlay_reports_the_difference if {
	overlays := {"o/aws": {repo: [release]}, "o/vpc": {repo: [hotfix]}}
	review := _review(concat("@", [repo, release]))
	inv := _inventory("o/aws", overlays)
	some v in one_build.violation with input as review with data.inventory as inv
	v.evidence.other_overlays == {"o/vpc": [hotfix]}
}

test_tag_in_front_of_the_digest_is_the_same_build if {
	overlays := {"o/aws": {repo: [release]}, "o/gcp": {repo: [release]}}
	review := _review(concat("", [repo, ":1.4.2@", release]))
	inv := _inventory("o/aws", overlays)
	count(one_build.violation) == 0 with input as review with data.inventory as inv
}

test_tag_against_digest_differs if {
	overlays := {"o/aws": {repo: [concat(":", [repo, "1.4"])]}, "o/gcp": {repo: [release]}}
	review := _review(concat(":", [repo, "1.4"]))
	inv := _inventory("o/aws", overlays)
	count(one_build.violation) == 1 with input as review with data.inventory as inv
}

test_renamed_image_fails if {
	vpc := "registry.kaze.io/kaze/agent-runtime-vpc"
	overlays := {"o/aws": {repo: [release]}, "o/vpc": {vpc: [hotfix]}}
	review := _review(concat("@", [vpc, hotfix]))
	inv := _inventory("o/vpc", overlays)
	some v in one_build.violation with input as review with data.inventory as inv
	v.evidence.repository == vpc
	v.evidence.other_overlays == {"o/aws": [repo]}
}

test_component_of_one_overlay_only_passes if {
	gateway := "registry.kaze.io/kaze/vpn-gateway"
	overlays := {"o/aws": {repo: [release]}, "o/vpc": {repo: [release], gateway: [hotfix]}}
	review := _review(concat("@", [gateway, hotfix]))
	inv := _inventory("o/vpc", overlays)
	count(one_build.violation) == 0 with input as review with data.inventory as inv
}

test_single_overlay_is_not_applicable if {
	inv := _inventory("o/aws", {"o/aws": {}})
	contains(one_build.not_applicable, "no other Kustomize overlay") with data.inventory as inv
}

test_files_target_is_not_applicable if {
	inv := {"target": {"name": "fixtures", "kind": "files"}, "facts": {}}
	contains(one_build.not_applicable, "not a Kustomize overlay") with data.inventory as inv
}

test_odd_shapes_are_no_error if {
	overlays := {"o/aws": {repo: [release]}, "o/gcp": {repo: [hotfix]}}
	odd := {
		"kind": "Deployment",
		"metadata": {"name": "x", "labels": null},
		"spec": {"template": {
			"metadata": null,
			"spec": {"containers": null, "initContainers": [null, {"name": "i", "image": 3}]},
		}},
	}
	inv := _inventory("o/aws", overlays)
	count(one_build.violation) == 0 with input as {"id": "Deployment/x", "object": odd} with data.inventory as inv
}
