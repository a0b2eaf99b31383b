package kaze.supply_chain.dockerfile_digests_test

import rego.v1

import data.kaze.supply_chain.dockerfile_digests

pinned := "golang:1.23@sha256:4c500d2674846895980011c4be8a77c8ca9c81db71ae738573fba7a733750f27"

pinned_arg := "${REGISTRY}/python@sha256:1472a2864fb6e3fb97a91ece82698b2883b4e91c719c1bfd1715ae5993b0cc5d"

dockerfile(froms) := {"id": "Dockerfile/images/agent/Dockerfile", "object": {"from": froms}}

from(image, line) := {"image": image, "line": line, "stage": false}

# Each case: the FROM lines, and the images of the findings.
test_images[name] if {
	some name, [froms, want] in {
		"pinned base passes": [[from(pinned, 1)], set()],
		"tag fails": [[from("python:3.12-slim", 2)], {"python:3.12-slim"}],
		"every stage is checked": [
			[from(pinned, 1), from("gcr.io/distroless/static:nonroot", 6)],
			{"gcr.io/distroless/static:nonroot"},
		],
		"build argument fails": [[from("${BASE_IMAGE}", 4)], {"${BASE_IMAGE}"}],
		"build argument with a digest passes": [[from(pinned_arg, 4)], set()],
		"stage reference and scratch pass": [
			[from(pinned, 1), {"image": "build", "line": 5, "stage": true}, from("scratch", 8)],
			set(),
		],
		"short or malformed digest fails": [[from("python@sha256:1234", 1)], {"python@sha256:1234"}],
	}
	doc := dockerfile(froms)
	found := dockerfile_digests.violation with input as doc
	{v.evidence.image | some v in found} == want
}

test_tag_finding if {
	doc := dockerfile([from("python:3.12-slim", 2)])
	found := dockerfile_digests.violation with input as doc
	some v in found
	v.resource == "Dockerfile/images/agent/Dockerfile"
	v.evidence == {"image": "python:3.12-slim", "line": 2}
	v.msg == concat("", [
		"images/agent/Dockerfile, line 2: FROM python:3.12-slim is not pinned by digest: ",
		"write the base image as <image>@sha256:<digest>",
	])
}

test_build_argument_says_so if {
	doc := dockerfile([from("${BASE_IMAGE}", 4)])
	found := dockerfile_digests.violation with input as doc
	some v in found
	contains(v.msg, "build argument")
}

test_not_applicable_without_dockerfile if {
	dockerfile_digests.not_applicable with data.inventory as {"by_kind": {}}
}
