# METADATA
# title: Dockerfiles pin their base images by digest
# description: >-
#   Customers must be able to rebuild an image and get what runs in their VPC. A base image
#   named by tag (or by a build argument, which can be anything at build time) is whatever the
#   registry serves that day: the same Dockerfile builds different images, and a compromised
#   upstream tag flows silently into the next build. Every FROM that pulls an image, in every
#   stage, must name it by digest; a stage built on an earlier stage, and the empty scratch
#   image, pull nothing.
# custom:
#   id: KZ-SUP-06
#   severity: medium
#   scopes: [iac]
#   kinds: [Dockerfile]
#   reference: "docs/requirements.md#supply-chain"
#   remediation: >-
#     Write each FROM as <image>:<tag>@sha256:<digest> (the tag may stay for readability), with
#     the digest written in the Dockerfile rather than passed as a build argument, and let a bot
#     (Renovate, Dependabot) update the digests.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.25, A.8.32]
#     nist80053: [CM-2, SA-10, SR-4]
package kaze.supply_chain.dockerfile_digests

import rego.v1

import data.kaze.lib.digests

not_applicable := "the target has no Dockerfile" if count(object.get(data.inventory.by_kind, "Dockerfile", [])) == 0

_pulls_nothing(from) if from.stage == true

_pulls_nothing(from) if lower(from.image) == "scratch"

_why(image) := "takes its base image from a build argument, which any build can set to anything" if {
	contains(image, "$")
} else := "is not pinned by digest"

# The scan hands each Dockerfile resource's object ({"from": [...]}) as input.object.
violation contains v if {
	some from in object.get(input.object, "from", [])
	not _pulls_nothing(from)
	not digests.pinned(from.image)
	v := {
		"msg": sprintf(
			"%s, line %v: FROM %s %s: write the base image as <image>@sha256:<digest>",
			[trim_prefix(input.id, "Dockerfile/"), object.get(from, "line", "?"), from.image, _why(from.image)],
		),
		"resource": input.id,
		"evidence": {"image": from.image, "line": object.get(from, "line", null)},
	}
}
