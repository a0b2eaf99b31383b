# METADATA
# title: Every container image comes from a trusted registry and is pinned by digest
# description: >-
#   A tag can be moved to other content at any time; only a digest names exactly what was
#   built, signed and described by an SBOM. Images must come from the registries the
#   platform trusts (kaze-policy.yaml registries) and be referenced by @sha256 digest, so
#   that what runs is what was verified.
# custom:
#   id: KZ-SUP-01
#   severity: critical
#   scopes: [iac, cluster, admission]
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController]
#   reference: "docs/requirements.md#supply-chain"
#   remediation: >-
#     Reference the image as <trusted registry>/<name>@sha256:<digest> (a tag may stay in
#     front of the digest for readability), and mirror third-party images into the trusted
#     registry.
#   frameworks:
#     soc2: [CC7.1, CC8.1]
#     iso27001: [A.8.19, A.8.32]
#     nist80053: [CM-14, SI-7, SR-4]
#     cis_kubernetes: ["5.5.1"]
package kaze.supply_chain.trusted_images

import rego.v1

import data.kaze.lib.digests
import data.kaze.lib.k8s
import data.kaze.lib.tenancy

_registries := object.get(tenancy.config, "registries", [])

# Without a registry list, which registries are trusted is unknown; whether an image is pinned
# by digest is not, and is judged all the same.
undecided := concat("", [
	"no trusted registries are configured (kaze-policy.yaml: registries): ",
	"whether images come from a trusted registry is undecided; pinning by digest was checked",
]) if {
	count(_registries) == 0
}

_trusted(image) if {
	some registry in _registries
	startswith(image, concat("", [trim_suffix(registry, "/"), "/"]))
}

violation contains v if {
	count(_registries) > 0
	some image in k8s.images(input.object)
	not _trusted(image)
	v := {
		"msg": sprintf(
			"%s %s runs image %s from a registry that is not trusted: use an image from %v",
			[input.object.kind, k8s.name(input.object), image, _registries],
		),
		"resource": input.id,
		"evidence": {
			"image": image,
			"trusted_registries": _registries,
			"field_path": k8s.image_path(input.object, image),
		},
	}
}

violation contains v if {
	some image in k8s.images(input.object)
	not digests.pinned(image)
	v := {
		"msg": sprintf(
			"%s %s runs image %s, which is not pinned by digest: reference it as <image>@sha256:<digest>",
			[input.object.kind, k8s.name(input.object), image],
		),
		"resource": input.id,
		"evidence": {"image": image, "field_path": k8s.image_path(input.object, image)},
	}
}
