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
_cloud_prefixes := {
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

# METADATA
# title: cloud_of
# description: >-
#   The cloud a resource or data source type belongs to (by its prefix: aws_, google_,
#   azurerm_...); undefined for a type of no cloud provider.
cloud_of(type) := cloud if {
	some prefix, cloud in _cloud_prefixes
	startswith(type, prefix)
}

# METADATA
# title: is_terraform
# description: >-
#   The inventory resource is a Terraform resource (or data source).
is_terraform(resource) if resource.apiVersion == "terraform"

# METADATA
# title: resources
# description: >-
#   The Terraform resources of one type in the inventory, through the kind index.
resources(inventory, kind) := [r |
	some id in object.get(inventory, ["by_kind", kind], [])
	r := inventory.resources[id]
	is_terraform(r)
]

# METADATA
# title: present
# description: >-
#   The target holds Terraform (one look per kind, not per resource).
present(inventory) if {
	some ids in object.get(inventory, "by_kind", {})
	count(ids) > 0
	is_terraform(inventory.resources[ids[0]])
}

# METADATA
# title: data_sources
# description: >-
#   The `data "<type>" "<name>"` blocks of the module of resource `from` (one, or none).
data_sources(inventory, from, type, name) := [r |
	some r in resources(inventory, "terraform_data")
	r.name == concat(".", [type, name])
	same_module(r, from)
]

# METADATA
# title: is_expression
# description: >-
#   The value is an expression: a string that interpolates (`${…}`), which Terraform
#   evaluates at plan time.
is_expression(value) if {
	is_string(value)
	contains(value, "${")
}

# The value (any depth) references `<type>.<name>`, with or without
# an index (`aws_s3_bucket.audit.id`, `aws_s3_bucket.audit[0].arn`, `"${aws_s3_bucket.audit.arn}/*"`).
_refers_to(value, resource) if {
	some text in strings_of(value)
	regex.match(_reference_pattern(resource.kind, resource.name), text)
}

# METADATA
# title: links
# description: >-
#   The attribute `field` of resource `from` references resource `to` of the same module
#   (a reference never reaches into another folder).
links(from, field, to) if {
	same_module(from, to)
	_refers_to(object.get(from.object, field, null), to)
}

# The module of a Terraform resource: the folder of its file (ids may coincide across
# folders, e.g. two terraform/providers/aws trees in one target).
_module_of(resource) := regex.replace(resource.file, `/[^/]*$`, "") if is_string(resource.file)

_module_of(resource) := folder(resource) if not is_string(object.get(resource, "file", null))

# METADATA
# title: folder
# description: >-
#   The folder of a Terraform resource as its id names it: terraform/modules/storage.
folder(resource) := regex.replace(regex.replace(resource.id, `#[0-9]+$`, ""), `/[^/]*$`, "")

# METADATA
# title: same_module
# description: >-
#   The two Terraform resources are in the same module (folder).
same_module(a, b) if _module_of(a) == _module_of(b)

_reference_pattern(type, name) := concat("", [`(^|[^A-Za-z0-9_.])`, type, `\.`, name, `(\[[^\]]*\])?\.`])

# METADATA
# title: strings_of
# scope: document
# description: >-
#   The strings in a value, at any depth.
strings_of(value) := [value] if is_string(value)

strings_of(value) := [s | walk(value, [_, s]); is_string(s)] if not is_string(value)

# METADATA
# title: as_bool
# scope: document
# description: >-
#   The value of a bool attribute as Terraform reads it: Terraform converts the strings
#   "true" and "1" to true, "false" and "0" to false (cty's string-to-bool conversion), so
#   `publicly_accessible = "true"` is true. Any other value (a bool, an expression, null) is
#   returned as it is. Plans already hold bools: it is the identity there.
as_bool(value) := object.get(_bool_strings, value, value) if is_string(value)

as_bool(value) := value if not is_string(value)

_bool_strings := {"true": true, "1": true, "false": false, "0": false}

# METADATA
# title: blocks
# scope: document
# description: >-
#   Every block of that name in an object (objects only: an attribute set to an
#   expression instead of blocks lists none).
blocks(obj, name) := [b | some b in _value_of(obj, name); is_object(b)] if is_array(_value_of(obj, name))

blocks(obj, name) := [_value_of(obj, name)] if is_object(_value_of(obj, name))

blocks(obj, name) := [] if {
	not is_array(_value_of(obj, name))
	not is_object(_value_of(obj, name))
}

# METADATA
# title: block
# scope: document
# description: >-
#   The first block of that name in an object ({} when there is none).
block(obj, name) := blocks(obj, name)[0] if count(blocks(obj, name)) > 0

block(obj, name) := {} if count(blocks(obj, name)) == 0

_value_of(obj, name) := object.get(obj, name, null) if is_object(obj)

_value_of(obj, _) := null if not is_object(obj)

# METADATA
# title: address
# description: >-
#   A Terraform resource as Terraform names it: `aws_s3_bucket.audit`.
address(resource) := concat(".", [resource.kind, resource.name])
