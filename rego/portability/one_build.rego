# METADATA
# title: Every overlay runs the same image digests for the same component
# description: >-
#   Kaze ships one build in every deployment mode: the same container images, different
#   configuration. An overlay that pins a component to another digest (a hotfix built for one
#   client), or swaps it for a separately built image (newName), runs software the other cells
#   and their SBOMs and signatures do not describe. Each overlay's workloads are compared with
#   the images every other overlay of the scan runs: the same repository must have the same
#   digests everywhere, and a repository only this overlay runs must not stand in for another
#   overlay's image of the same component.
# custom:
#   id: KZ-POR-01
#   severity: high
#   scopes: [iac]
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController]
#   reference: "docs/requirements.md#one-build-for-every-mode; docs/requirements.md#portable-infrastructure"
#   remediation: >-
#     Pin the same image and digest for the component in every overlay (kustomize images:
#     name and digest, no newName), and express the overlay's differences as configuration
#     (replicas, patches, ConfigMaps), not as another build.
#   frameworks:
#     soc2: [CC8.1]
#     iso27001: [A.8.32, A.8.9]
#     nist80053: [CM-2, SI-7]
package kaze.portability.one_build

import rego.v1

import data.kaze.lib.k8s

_overlays := object.get(data.inventory, ["facts", "overlays"], {})

_this := data.inventory.target.name

not_applicable := "this target is not a Kustomize overlay: the one-build rule compares overlays" if {
	not _overlays[_this]
}

not_applicable := "no other Kustomize overlay in this scan to compare this overlay's images with" if {
	_overlays[_this]
	count(_overlays) < 2
}

_others contains name if {
	some name, _ in _overlays
	name != _this
}

_mine := object.get(_overlays, _this, {})

# As the overlay facts name an image: its repository (registry/name, no tag), and its digest,
# or the whole image when it has none.
repository(image) := _strip_tag(split(image, "@")[0]) if regex.match(`@sha256:[0-9a-f]{64}$`, image)

repository(image) := _strip_tag(image) if not regex.match(`@sha256:[0-9a-f]{64}$`, image)

reference(image) := regex.find_n(`sha256:[0-9a-f]{64}$`, image, 1)[0] if regex.match(`@sha256:[0-9a-f]{64}$`, image)

reference(image) := image if not regex.match(`@sha256:[0-9a-f]{64}$`, image)

_strip_tag(name) := concat("/", array.concat(array.slice(path, 0, count(path) - 1), [split(last, ":")[0]])) if {
	path := split(name, "/")
	last := path[count(path) - 1]
}

_basename(repo) := path[count(path) - 1] if path := split(repo, "/")

_short(overlay) := path[count(path) - 1] if path := split(overlay, "/")

# The names a container goes by: its own, its workload's, the workload's (or its pod
# template's) app.kubernetes.io/name label.
_component_names(container) := {n |
	some n in [
		container.name,
		k8s.name(input.object),
		object.get(input.object, ["metadata", "labels", "app.kubernetes.io/name"], ""),
		object.get(input.object, ["spec", "template", "metadata", "labels", "app.kubernetes.io/name"], ""),
	]
	n != ""
}

violation contains v if {
	_overlays[_this]
	count(_overlays) >= 2
	some container in k8s.pod_containers(input.object)
	is_string(container.image)
	repo := repository(container.image)
	ref := reference(container.image)
	differing := _differing(repo, ref)
	count(differing) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s %s in overlay %s runs %s, while %s: every overlay must run the same build; ",
				"pin one digest for %s in every overlay",
			]),
			[input.object.kind, _display, _short(_this), container.image, _runs_text(differing), repo],
		),
		"resource": input.id,
		"evidence": {
			"container": container.name,
			"repository": repo,
			"runs": ref,
			"overlay": _this,
			"other_overlays": differing,
		},
	}
}

violation contains v if {
	_overlays[_this]
	count(_overlays) >= 2
	some container in k8s.pod_containers(input.object)
	is_string(container.image)
	repo := repository(container.image)
	not _run_elsewhere(repo)
	names := _component_names(container)
	replaced := _replaced(names)
	count(replaced) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s %s in overlay %s runs %s, which no other overlay runs, where overlay %s runs %s for the same component: ",
				"use the one release image (no newName) in every overlay",
			]),
			[
				input.object.kind, _display, _short(_this), container.image,
				concat(", ", sort([_short(o) | some o in object.keys(replaced)])),
				concat(", ", sort({r | some rs in replaced; some r in rs})),
			],
		),
		"resource": input.id,
		"evidence": {"container": container.name, "repository": repo, "overlay": _this, "other_overlays": replaced},
	}
}

_run_elsewhere(repo) if {
	some other in _others
	_overlays[other][repo]
}

_display := concat("/", [k8s.namespace(input.object), k8s.name(input.object)])

# The other overlays that run another build of repo: overlay -> the references they run.
_differing(repo, ref) := {other: theirs |
	some other in _others
	theirs := object.get(_overlays, [other, repo], [])
	count(theirs) > 0
	not ref in theirs
}

_runs_text(differing) := concat("; ", sort([sprintf("overlay %s runs %s", [_short(o), concat(", ", ds)]) |
	some o, ds in differing
]))

# The other overlays that run, for a component of these names, a repository this one does not.
_replaced(names) := {other: repos |
	some other in _others
	repos := sort({r | some r in object.keys(_overlays[other]); not _mine[r]; _basename(r) in names})
	count(repos) > 0
}
