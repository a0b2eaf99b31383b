package kaze.lib.naming_test

import rego.v1

import data.kaze.lib.naming
import data.kaze.testing.inventory

agent := inventory.resource("Deployment", "tenant-a", "agent", {})

tenant := inventory.resource("Namespace", null, "tenant-a", {})

bucket := {"id": "terraform/aws_s3_bucket.logs", "kind": "aws_s3_bucket", "name": "logs"}

test_display_is_namespace_and_name_or_the_name_alone if {
	naming.display(agent) == "tenant-a/agent"
	naming.display(tenant) == "tenant-a"
}

# Each id: [the inventory's resources, how describe names it].
ids := {
	"Deployment/tenant-a/agent": [[agent], "Deployment tenant-a/agent"],
	"Namespace/tenant-a": [[tenant], "Namespace tenant-a"],
	"terraform/aws_s3_bucket.logs": [[bucket], "aws_s3_bucket logs"],
	"Secret/tenant-a/absent": [[agent], "Secret/tenant-a/absent"],
}

test_describe_names_a_resource_by_its_id[id] if {
	some id, [resources, words] in ids
	naming.describe(id) == words with data.inventory as inventory.of(resources)
}
