package kaze.supply_chain.trusted_images_test

import rego.v1

import data.kaze.supply_chain.trusted_images

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

deployment(image) := {"kind": "Deployment", "metadata": {"name": "d", "namespace": "t"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}

cfg := {"config": {"registries": ["registry.kaze.io/kaze"]}}

test_pinned_trusted_image_passes if {
	count(trusted_images.violation) == 0 with input as {"id": "x", "object": deployment(concat("@", ["registry.kaze.io/kaze/agent", digest]))}
		with data.inventory as cfg
}

test_tag_fails if {
	some v in trusted_images.violation with input as {"id": "x", "object": deployment("registry.kaze.io/kaze/agent:1.2")}
		with data.inventory as cfg
	v.evidence.image == "registry.kaze.io/kaze/agent:1.2"
}

test_lookalike_registry_fails if {
	count(trusted_images.violation) == 1 with input as {"id": "x", "object": deployment(concat("@", ["registry.kaze.io/kazeevil/agent", digest]))}
		with data.inventory as cfg
}

test_init_container_and_cronjob_are_checked if {
	cron := {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"image": "busybox"}], "containers": []}}}}}}
	count(trusted_images.violation) == 2 with input as {"id": "x", "object": cron} with data.inventory as cfg
}

test_undecided_without_registries if {
	trusted_images.undecided with data.inventory as {"config": null}
	not trusted_images.not_applicable with data.inventory as {"config": null}
}

test_not_undecided_with_registries if {
	not trusted_images.undecided with data.inventory as cfg
}

# No configuration: a tag is a violation under every registry list; the registry is not judged.
test_tag_fails_without_config if {
	some v in trusted_images.violation with input as {"id": "x", "object": deployment("docker.io/library/nginx:1.27")}
		with data.inventory as {"config": null}
	v.evidence.image == "docker.io/library/nginx:1.27"
}

test_pinned_image_from_any_registry_has_no_violation_without_config if {
	count(trusted_images.violation) == 0 with input as {"id": "x", "object": deployment(concat("@", ["docker.io/library/nginx", digest]))}
		with data.inventory as {"config": null}
}

# The evidence names the first container's `image` field with that image: the report's line.
test_evidence_names_the_image_field if {
	pod := {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": concat("@", ["registry.kaze.io/kaze/a", digest])}, {"name": "b", "image": "nginx"}, {"name": "c", "image": "nginx"}]}}}}
	vs := trusted_images.violation with input as {"id": "x", "object": object.union(deployment("x"), pod)}
		with data.inventory as cfg
	{v.evidence.field_path | some v in vs} == {["spec", "template", "spec", "containers", 1, "image"]}
}
