package kaze.lib.terraform_test

import rego.v1

import data.kaze.lib.terraform as tf

# Terraform converts these strings for a bool attribute (cty: "true"/"1", "false"/"0"); other
# values are kept.
test_as_bool[name] if {
	some name, [value, want] in {
		"true": ["true", true],
		"1": ["1", true],
		"false": ["false", false],
		"0": ["0", false],
		"bool true": [true, true],
		"bool false": [false, false],
		"expression": ["${var.public}", "${var.public}"],
		"True": ["True", "True"],
		"null": [null, null],
	}
	tf.as_bool(value) == want
}

tf_resource(id, kind, name, file, obj) := {
	"id": id, "apiVersion": "terraform", "kind": kind, "namespace": null, "name": name,
	"file": file, "object": obj,
}

bucket := tf_resource(
	"terraform/storage/aws_s3_bucket.audit", "aws_s3_bucket", "audit",
	"terraform/storage/main.tf", {"bucket": "audit"},
)

policy := tf_resource(
	"terraform/storage/aws_s3_bucket_policy.audit", "aws_s3_bucket_policy", "audit",
	"terraform/storage/main.tf", {"bucket": "${aws_s3_bucket.audit.id}", "policy": {"Resource": "x"}},
)

elsewhere := tf_resource(
	"terraform/other/aws_s3_bucket_policy.audit", "aws_s3_bucket_policy", "audit",
	"terraform/other/main.tf", {"bucket": "${aws_s3_bucket.audit.id}"},
)

caller := tf_resource(
	"terraform/storage/terraform_data.aws_caller_identity.current", "terraform_data", "aws_caller_identity.current",
	"terraform/storage/data.tf", {},
)

inv := {
	"resources": {r.id: r | some r in [bucket, policy, elsewhere, caller]},
	"by_kind": {
		"aws_s3_bucket": [bucket.id],
		"aws_s3_bucket_policy": [policy.id, elsewhere.id],
		"terraform_data": [caller.id],
	},
}

test_cloud_of[type] if {
	some type, want in {"aws_s3_bucket": {"AWS"}, "google_storage_bucket": {"Google Cloud"}, "random_id": set()}
	{c | c := tf.cloud_of(type)} == want
}

test_resources_and_present if {
	tf.is_terraform(bucket)
	not tf.is_terraform({"apiVersion": "v1"})
	tf.resources(inv, "aws_s3_bucket_policy") == [policy, elsewhere]
	tf.resources(inv, "aws_instance") == []
	tf.present(inv)
	not tf.present({"by_kind": {"Pod": ["Pod/a/b"]}, "resources": {"Pod/a/b": {"apiVersion": "v1"}}})
}

test_data_sources if {
	tf.data_sources(inv, bucket, "aws_caller_identity", "current") == [caller]
	tf.data_sources(inv, elsewhere, "aws_caller_identity", "current") == []
}

test_is_expression[name] if {
	some name, [value, want] in {
		"interpolation": ["${var.public}", {true}],
		"plain string": ["public", set()],
		"bool": [true, set()],
	}
	{true | tf.is_expression(value)} == want
}

# The references of one module only, with or without an index, at any depth.
test_links[name] if {
	some name, [from, field, want] in {
		"attribute": [policy, "bucket", {true}],
		"other attribute": [policy, "policy", set()],
		"other module": [elsewhere, "bucket", set()],
		"indexed and nested": [
			object.union(policy, {"object": {"bucket": [{"arn": "${aws_s3_bucket.audit[0].arn}/*"}]}}),
			"bucket", {true},
		],
		"longer name": [object.union(policy, {"object": {"bucket": "${aws_s3_bucket.audit_log.id}"}}), "bucket", set()],
	}
	{true | tf.links(from, field, bucket)} == want
}

test_modules if {
	tf.same_module(bucket, policy)
	not tf.same_module(bucket, elsewhere)
	tf.folder({"id": "terraform/modules/storage/aws_s3_bucket.audit#2"}) == "terraform/modules/storage"
	tf.same_module(bucket, {"id": "terraform/storage/aws_kms_key.k"})
}

test_strings_of if {
	tf.strings_of("a") == ["a"]
	sort(tf.strings_of({"x": ["a", {"y": "b"}], "z": 1})) == ["a", "b"]
}

test_blocks[name] if {
	some name, [obj, blocks, block] in {
		"list": [{"rule": [{"id": 1}, "${var.x}", {"id": 2}]}, [{"id": 1}, {"id": 2}], {"id": 1}],
		"one object": [{"rule": {"id": 1}}, [{"id": 1}], {"id": 1}],
		"expression": [{"rule": "${var.rules}"}, [], {}],
		"absent": [{}, [], {}],
		"not an object": ["x", [], {}],
	}
	tf.blocks(obj, "rule") == blocks
	tf.block(obj, "rule") == block
}

test_address if {
	tf.address(bucket) == "aws_s3_bucket.audit"
}
