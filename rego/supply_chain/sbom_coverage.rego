# METADATA
# title: A customer-VPC cell ships a valid CycloneDX SBOM naming the digest of every image it runs
# description: >-
#   A client who runs Kaze in its own VPC must be able to verify what runs there: every image
#   of the cell comes with a CycloneDX SBOM, valid against the CycloneDX schema, whose subject is
#   the very digest that runs. An SBOM of a previous build, or one that names no digest at all,
#   describes something else; an invalid one cannot be read by the client's tools.
# custom:
#   id: KZ-SUP-04
#   severity: high
#   scopes: [supply-chain, iac]
#   reference: "docs/requirements.md#supply-chain; docs/requirements.md#one-build-for-every-mode"
#   remediation: >-
#     Generate the SBOM from the released image digest (syft/cdxgen on image@sha256:…) in the
#     release workflow, make sure metadata.component carries that digest (hash or purl), validate
#     it against the CycloneDX schema, and ship it with the cell's release.
#   frameworks:
#     soc2: [CC7.1, CC9.2]
#     iso27001: [A.5.9, A.5.21, A.8.8]
#     nist80053: [CM-8, SR-4, SA-8]
package kaze.supply_chain.sbom_coverage

import rego.v1

import data.kaze.lib.digests
import data.kaze.lib.k8s
import data.kaze.lib.sbom_index
import data.kaze.lib.tenancy

not_applicable := "there is no kaze-policy.yaml to say whether the cell is a customer-VPC deployment" if {
	not tenancy.has_config
} else := concat("", [
	"the configuration names no cell mode (kaze-policy.yaml: cell.mode), ",
	"so it is not known to be a customer-VPC deployment",
]) if {
	tenancy.cell_mode == null
} else := sprintf(
	"the cell runs in %v mode: SBOMs are required of customer-VPC deployments only",
	[tenancy.cell_mode],
) if {
	tenancy.cell_mode != "customer-vpc"
} else := "the target has no SBOM index (SbomIndexSnapshot), so the SBOMs it ships cannot be read" if {
	count(sbom_index.snapshot_ids) == 0
}

# In agency mode nothing of this rule applies: without the mode, nothing is certain. Undecided
# marks that the configuration left it open.
undecided := not_applicable if tenancy.cell_mode == null

errors contains sprintf("%s has no sboms list: the index recorded no SBOM", [id]) if {
	some id in sbom_index.snapshot_ids
	not is_array(object.get(data.inventory.resources[id].object, "sboms", null))
}

errors contains sprintf(
	"%s: an SBOM entry (%v) lacks %s",
	[id, object.get(sbom, "file", object.get(sbom, "image", "unnamed")), field],
) if {
	some [id, sbom] in sbom_index.sboms
	some field, present in {
		"image": is_string(object.get(sbom, "image", null)),
		"valid": is_boolean(object.get(sbom, "valid", null)),
		"subjectDigest": "subjectDigest" in object.keys(sbom),
	}
	present == false
}

# repository@digest → repository; repository:tag → repository.
_repository(image) := regex.replace(regex.replace(image, `@[^@]*$`, ""), `:[^:/]*$`, "")

# The SBOMs listed for each image repository (one pass over the index).
_repositories contains _repository(object.get(listed, "image", "")) if {
	some [_, listed] in sbom_index.sboms
}

_sboms_by_repository[repo] := [[id, sbom] |
	some [id, sbom] in sbom_index.sboms
	_repository(object.get(sbom, "image", "")) == repo
] if {
	some repo in _repositories
}

_sboms_of(repo) := object.get(_sboms_by_repository, repo, [])

_matching(sbom, digest) if {
	sbom.valid == true
	sbom.subjectDigest == digest
	digests.digest_of(sbom.image) == digest
}

_running contains [rid, image] if {
	some kind in k8s.workload_kinds
	some rid in object.get(data.inventory.by_kind, kind, [])
	some image in k8s.images(data.inventory.resources[rid].object)
}

_label(rid) := sprintf("%s %s/%s", [r.kind, k8s.namespace(r.object), k8s.name(r.object)]) if {
	r := data.inventory.resources[rid]
}

_any_matching(candidates, digest) if {
	some [_, sbom] in candidates
	_matching(sbom, digest)
}

# Why none of an image's SBOMs will do, for the most specific case.
_problem(candidates, digest) := "the cell ships no SBOM for it" if {
	count(candidates) == 0
} else := sprintf(
	"its SBOM %v is not valid CycloneDX (%v)",
	[object.get(sbom, "file", "(unnamed)"), concat("; ", object.get(sbom, "errors", []))],
) if {
	some [_, sbom] in candidates
	sbom.valid == false
} else := sprintf(
	"its SBOM %v names no subject digest (metadata.component has no hash or purl digest)",
	[object.get(sbom, "file", "(unnamed)")],
) if {
	some [_, sbom] in candidates
	object.get(sbom, "subjectDigest", null) == null
} else := sprintf(
	"its SBOM %v describes %v, not the digest that runs",
	[object.get(sbom, "file", "(unnamed)"), sbom.subjectDigest],
) if {
	some [_, sbom] in candidates
	sbom.subjectDigest != digest
} else := "the cell ships SBOMs for other builds of this image only"

violation contains v if {
	some [rid, image] in _running
	not digests.digest_of(image)
	v := {
		"msg": sprintf(
			concat("", [
				"%s runs image %s, which is not pinned by digest, so no SBOM can be shown to describe it: ",
				"reference the image by digest and ship its SBOM",
			]),
			[_label(rid), image],
		),
		"resource": rid,
		"evidence": {"image": image},
	}
}

violation contains v if {
	some [rid, image] in _running
	digest := digests.digest_of(image)
	candidates := _sboms_of(_repository(image))
	not _any_matching(candidates, digest)
	v := {
		"msg": sprintf(
			"%s runs image %s, but %s: ship a CycloneDX SBOM generated from that digest, valid against the schema",
			[_label(rid), image, _problem(candidates, digest)],
		),
		"resource": rid,
		"evidence": {
			"image": image,
			"digest": digest,
			"sboms": [{
				"file": object.get(s, "file", null),
				"image": object.get(s, "image", null),
				"valid": object.get(s, "valid", null),
				"errors": object.get(s, "errors", []),
				"subjectDigest": object.get(s, "subjectDigest", null),
			} |
				some [_, s] in candidates
			],
		},
	}
}
