package kaze.supply_chain.dockerfile_digests_test

import rego.v1

import data.kaze.supply_chain.dockerfile_digests

pinned := "golang:1.23@sha256:4c500d2674846895980011c4be8a77c8ca9c81db71ae738573fba7a733750f27"

check(froms) := found if {
	found := dockerfile_digests.violation with input as {"id": "Dockerfile/images/agent/Dockerfile", "object": {"from": froms}}
}

test_pinned_base_passes if {
	count(check([{"image": pinned, "line": 1, "stage": false}])) == 0
}

test_tag_fails if {
	some v in check([{"image": "python:3.12-slim", "line": 2, "stage": false}])
	v.resource == "Dockerfile/images/agent/Dockerfile"
	v.evidence == {"image": "python:3.12-slim", "line": 2}
}

test_every_stage_is_checked if {
	count(check([{"image": pinned, "line": 1, "stage": false}, {"image": "gcr.io/distroless/static:nonroot", "line": 6, "stage": false}])) == 1
}

test_build_argument_fails if {
	some v in check([{"image": "${BASE_IMAGE}", "line": 4, "stage": false}])
	contains(v.msg, "build argument")
}

test_build_argument_with_a_digest_passes if {
	count(check([{"image": "${REGISTRY}/python@sha256:1472a2864fb6e3fb97a91ece82698b2883b4e91c719c1bfd1715ae5993b0cc5d", "line": 4, "stage": false}])) == 0
}

test_stage_reference_and_scratch_pass if {
	count(check([{"image": pinned, "line": 1, "stage": false}, {"image": "build", "line": 5, "stage": true}, {"image": "scratch", "line": 8, "stage": false}])) == 0
}

test_short_or_malformed_digest_fails if {
	count(check([{"image": "python@sha256:1234", "line": 1, "stage": false}])) == 1
}

test_not_applicable_without_dockerfile if {
	dockerfile_digests.not_applicable with data.inventory as {"by_kind": {}}
}
