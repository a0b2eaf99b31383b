# METADATA
# title: Terraform helpers
# description: >-
#   Terraform resources of the inventory (kind = resource type, object = attributes as
#   python-hcl2 gives them, or as written in a *.tf.json file: blocks as lists of objects or
#   as objects, expressions as "${…}" strings) and
#   the references between them. Functions only: a package with no rule that walks the
#   inventory, so that per-object rules may import it too.
package kaze.lib.terraform

import rego.v1

# The cloud providers whose resources are provider-specific (the prefix of a resource type).
cloud_prefixes := {
	"aws_": "AWS",
	"awscc_": "AWS",
	"google_": "Google Cloud",
	"azurerm_": "Azure",
	"azuread_": "Azure",
	"azapi_": "Azure",
	"alicloud_": "Alibaba Cloud",
	"oci_": "Oracle Cloud",
	"ibm_": "IBM Cloud",
	"digitalocean_": "DigitalOcean",
	"linode_": "Linode",
	"scaleway_": "Scaleway",
	"vultr_": "Vultr",
	"exoscale_": "Exoscale",
	"hcloud_": "Hetzner Cloud",
	"tencentcloud_": "Tencent Cloud",
	"huaweicloud_": "Huawei Cloud",
}

# cloud_of(type) is the cloud a resource or data source type belongs to.
cloud_of(type) := cloud if {
	some prefix, cloud in cloud_prefixes
	startswith(type, prefix)
}

is_terraform(resource) if resource.apiVersion == "terraform"

# resources(inventory, kind) lists the Terraform resources of one type, through the kind index.
resources(inventory, kind) := [r |
	some id in object.get(inventory, ["by_kind", kind], [])
	r := inventory.resources[id]
	is_terraform(r)
]

# present(inventory): the target holds Terraform (one look per kind, not per resource).
present(inventory) if {
	some ids in object.get(inventory, "by_kind", {})
	count(ids) > 0
	is_terraform(inventory.resources[ids[0]])
}

# data_sources(inventory, from, type, name): the `data "<type>" "<name>"` blocks of the module
# of resource `from` (one, or none).
data_sources(inventory, from, type, name) := [r |
	some r in resources(inventory, "terraform_data")
	r.name == concat(".", [type, name])
	same_module(r, from)
]

# An expression: a string that interpolates (`${…}`), which Terraform evaluates at plan time.
is_expression(value) if {
	is_string(value)
	contains(value, "${")
}

# refers_to(value, resource): the value (any depth) references `<type>.<name>`, with or without
# an index (`aws_s3_bucket.audit.id`, `aws_s3_bucket.audit[0].arn`, `"${aws_s3_bucket.audit.arn}/*"`).
refers_to(value, resource) if {
	some text in strings_of(value)
	regex.match(reference_pattern(resource.kind, resource.name), text)
}

# links(from, field, to): the attribute `field` of resource `from` references resource `to` of
# the same module (a reference never reaches into another folder).
links(from, field, to) if {
	same_module(from, to)
	refers_to(object.get(from.object, field, null), to)
}

# The module of a Terraform resource: the folder of its file (ids may coincide across
# folders, e.g. two terraform/providers/aws trees in one target).
module_of(resource) := regex.replace(resource.file, `/[^/]*$`, "") if is_string(resource.file)

module_of(resource) := folder(resource) if not is_string(object.get(resource, "file", null))

# The folder as the resource id names it: terraform/modules/storage.
folder(resource) := regex.replace(regex.replace(resource.id, `#[0-9]+$`, ""), `/[^/]*$`, "")

same_module(a, b) if module_of(a) == module_of(b)

reference_pattern(type, name) := concat("", [`(^|[^A-Za-z0-9_.])`, type, `\.`, name, `(\[[^\]]*\])?\.`])

# strings_of(value) lists the strings in a value, at any depth.
strings_of(value) := [value] if is_string(value)

strings_of(value) := [s | walk(value, [_, s]); is_string(s)] if not is_string(value)

# as_bool(value) is the value of a bool attribute as Terraform reads it: Terraform converts
# the strings "true" and "1" to true, "false" and "0" to false (cty's string-to-bool
# conversion), so `publicly_accessible = "true"` is true. Any other value (a bool, an
# expression, null) is returned as it is. Plans already hold bools: it is the identity there.
as_bool(value) := object.get(bool_strings, value, value) if is_string(value)

as_bool(value) := value if not is_string(value)

bool_strings := {"true": true, "1": true, "false": false, "0": false}

# blocks(object, name) lists every block of that name (objects only: an attribute set to an
# expression instead of blocks lists none).
blocks(obj, name) := [b | some b in value_of(obj, name); is_object(b)] if is_array(value_of(obj, name))

blocks(obj, name) := [value_of(obj, name)] if is_object(value_of(obj, name))

blocks(obj, name) := [] if {
	not is_array(value_of(obj, name))
	not is_object(value_of(obj, name))
}

# block(object, name) is the first block of that name ({} when there is none).
block(obj, name) := blocks(obj, name)[0] if count(blocks(obj, name)) > 0

block(obj, name) := {} if count(blocks(obj, name)) == 0

value_of(obj, name) := object.get(obj, name, null) if is_object(obj)

value_of(obj, _) := null if not is_object(obj)

# The resource as Terraform names it: `aws_s3_bucket.audit`.
address(resource) := concat(".", [resource.kind, resource.name])
