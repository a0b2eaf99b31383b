package kaze.supply_chain.trusted_images_test

import rego.v1

import data.kaze.supply_chain.trusted_images

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

deployment(image) := {
	"kind": "Deployment",
	"metadata": {"name": "d", "namespace": "t"},
	"spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}},
}

cron := {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {
	"initContainers": [{"image": "busybox"}],
	"containers": [],
}}}}}}

cfg := {"config": {"registries": ["registry.kaze.io/kaze"]}}

no_config := {"config": null}

# Each case: the object, the inventory (with or without a registry list), and the images of
# the findings. Without configuration a tag is a violation under every registry list; the
# registry is not judged.
cases := {
	"pinned trusted image passes": [deployment(concat("@", ["registry.kaze.io/kaze/agent", digest])), cfg, []],
	"tag fails": [deployment("registry.kaze.io/kaze/agent:1.2"), cfg, ["registry.kaze.io/kaze/agent:1.2"]],
	"lookalike registry fails": [
		deployment(concat("@", ["registry.kaze.io/kazeevil/agent", digest])),
		cfg,
		[concat("@", ["registry.kaze.io/kazeevil/agent", digest])],
	],
	"init container and cronjob are checked": [cron, cfg, ["busybox", "busybox"]],
	"tag fails without config": [
		deployment("docker.io/library/nginx:1.27"),
		no_config,
		["docker.io/library/nginx:1.27"],
	],
	"pinned image from any registry has no violation without config": [
		deployment(concat("@", ["docker.io/library/nginx", digest])),
		no_config,
		[],
	],
}

test_images[name] if {
	some name, [obj, inv, want] in cases
	doc := {"id": "x", "object": obj}
	vs := trusted_images.violation with input as doc with data.inventory as inv
	sort([v.evidence.image | some v in vs]) == want
}

test_undecided_without_registries if {
	trusted_images.undecided with data.inventory as no_config

	# The package leaves not_applicable undefined: the assertion is that it stays so.
	# regal ignore:unresolved-reference
	not trusted_images.not_applicable with data.inventory as no_config
}

test_not_undecided_with_registries if {
	not trusted_images.undecided with data.inventory as cfg
}

# The evidence names the first container's `image` field with that image: the report's line.
test_evidence_names_the_image_field if {
	pod := {"spec": {"template": {"spec": {"containers": [
		{"name": "a", "image": concat("@", ["registry.kaze.io/kaze/a", digest])},
		{"name": "b", "image": "nginx"},
		{"name": "c", "image": "nginx"},
	]}}}}
	doc := {"id": "x", "object": object.union(deployment("x"), pod)}
	vs := trusted_images.violation with input as doc with data.inventory as cfg
	{v.evidence.field_path | some v in vs} == {["spec", "template", "spec", "containers", 1, "image"]}
}
