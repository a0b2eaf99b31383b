# METADATA
# title: The cloud-agnostic layers use no provider-specific managed service
# description: >-
#   Kaze runs on any cloud and on premises because everything above the cluster is portable:
#   the Terraform modules describe "a cluster", "a network", "a bucket" and the Kubernetes
#   base describes the platform, while everything specific to one cloud lives under
#   terraform/providers/<cloud> and kubernetes/overlays/<cell>. A cloud resource or data source
#   in a module (aws_rds_cluster, google_pubsub_topic, …), or in the base a cloud controller's
#   resource (ACK, Config Connector, Azure Service Operator, Crossplane cloud providers) or a
#   StorageClass, snapshot class, IngressClass or secret provider tied to one cloud, makes every
#   cell depend on that cloud.
# custom:
#   id: KZ-POR-02
#   severity: medium
#   scopes: [iac]
#   reference: "docs/requirements.md#portable-infrastructure"
#   remediation: >-
#     Move the provider-specific resource to terraform/providers/<cloud> (passing what the
#     module needs through its variables) or to the overlay of the cells on that cloud, and
#     use the portable choice in the shared layer (CloudNativePG, NATS, MinIO, Vault).
#   frameworks:
#     soc2: [CC9.2]
#     iso27001: [A.5.23, A.8.9]
#     nist80053: [SA-9, CM-2]
package kaze.portability.cloud_agnostic_layers

import rego.v1

import data.kaze.lib.naming

import data.kaze.lib.terraform as tf

_inv := data.inventory

not_applicable := "no Terraform and no Kubernetes manifests in this target" if {
	not tf.present(_inv)
	not _kubernetes_present
}

# Terraform modules: resources, data sources, provider blocks and module calls of a cloud.
violation contains v if {
	some kind, ids in _inv.by_kind
	cloud := tf.cloud_of(kind)
	some id in ids
	r := _inv.resources[id]
	tf.is_terraform(r)
	_in_module(r)
	v := _module_finding(r, concat("", ["resource type ", kind]), cloud)
}

violation contains v if {
	some r in tf.resources(_inv, "terraform_data")
	_in_module(r)
	type := object.get(r.object, "type", "")
	is_string(type)
	cloud := tf.cloud_of(type)
	v := _module_finding(r, concat("", ["data source ", type]), cloud)
}

violation contains v if {
	some r in tf.resources(_inv, "terraform_provider")
	_in_module(r)
	is_string(r.name)
	cloud := tf.cloud_of(concat("", [r.name, "_"]))
	v := _module_finding(r, concat("", ["provider ", r.name]), cloud)
}

# Registry modules are <namespace>/<name>/<provider>, e.g. terraform-aws-modules/rds/aws.
violation contains v if {
	some r in tf.resources(_inv, "terraform_module")
	_in_module(r)
	source := object.get(r.object, "source", "")
	is_string(source)
	parts := split(split(source, "//")[0], "/")
	count(parts) == 3
	not startswith(source, ".")
	cloud := tf.cloud_of(concat("", [parts[2], "_"]))
	v := _module_finding(r, concat("", ["module ", source]), cloud)
}

# Kubernetes base: a cloud controller's resource, cloud-bound storage, ingress or secrets.
violation contains v if {
	some r in _base_resources
	group := _group_of(r)
	cloud := _cloud_of_group(group)
	v := _base_finding(r, sprintf("is a %s resource of %s", [r.kind, group]), cloud)
}

violation contains v if {
	some r in _base_resources
	path := _driver_fields[r.kind]
	driver := object.get(r.object, path, null)
	cloud := _cloud_of_driver(driver)
	v := _base_finding(r, sprintf("uses %s (%s)", [driver, concat(".", path)]), cloud)
}

violation contains v if {
	some r in _base_resources
	r.kind == "IngressClass"
	controller := object.get(r.object, ["spec", "controller"], "")
	cloud := _cloud_ingress_controllers[controller]
	v := _base_finding(r, sprintf("uses the ingress controller %s", [controller]), cloud)
}

violation contains v if {
	some r in _base_resources
	r.kind == "SecretProviderClass"
	provider := object.get(r.object, ["spec", "provider"], "")
	cloud := _cloud_secret_providers[provider]
	v := _base_finding(r, sprintf("reads secrets from the %s secret store (spec.provider %s)", [cloud, provider]), cloud)
}

_kubernetes_present if {
	some ids in _inv.by_kind
	count(ids) > 0
	_inv.resources[ids[0]].source in {"kubernetes", "kustomize"}
}

# The shared layers, by the file a resource comes from.
_in_module(r) if regex.match(`(^|/)modules/`, _file_of(r))

_in_base(r) if regex.match(`(^|/)base/`, _file_of(r))

_file_of(r) := r.file if is_string(r.file)

_file_of(r) := "" if not is_string(object.get(r, "file", null))

# ---------------------------------------------------------------------------------------
# Terraform modules: resources, data sources, provider blocks and module calls of a cloud.

_module_finding(r, what, cloud) := {
	"msg": sprintf(
		concat("", [
			"%s in the cloud-agnostic module %s is specific to %s (%s): move it to terraform/providers/<cloud> ",
			"and pass what the module needs through its variables",
		]),
		[tf.address(r), tf.folder(r), cloud, what],
	),
	"resource": r.id,
	"evidence": {"file": r.file, "uses": what, "cloud": cloud},
}

# ---------------------------------------------------------------------------------------
# Kubernetes base: cloud controllers' resources, and cloud-bound storage, ingress and secrets.

# API groups of cloud controllers: ACK, AWS load balancer and VPC controllers, Config
# Connector and GKE, Azure Service Operator, Crossplane's cloud providers.
_cloud_groups := {
	`\.k8s\.aws$`: "AWS",
	`(^|\.)cnrm\.cloud\.google\.com$`: "Google Cloud",
	`(^|\.)cloud\.google\.com$`: "Google Cloud",
	`(^|\.)gke\.io$`: "Google Cloud",
	`(^|\.)azure\.com$`: "Azure",
	`(^|\.)aws\.(upbound|crossplane)\.io$`: "AWS",
	`(^|\.)gcp\.(upbound|crossplane)\.io$`: "Google Cloud",
	`(^|\.)azure\.(upbound|crossplane)\.io$`: "Azure",
}

# CSI drivers and in-tree provisioners of one cloud.
_cloud_drivers := {
	`\.csi\.aws\.com$`: "AWS",
	`^kubernetes\.io/aws-`: "AWS",
	`\.csi\.storage\.gke\.io$`: "Google Cloud",
	`^kubernetes\.io/gce-`: "Google Cloud",
	`\.csi\.azure\.com$`: "Azure",
	`^kubernetes\.io/azure-`: "Azure",
}

_cloud_of_group(group) := cloud if {
	some pattern, cloud in _cloud_groups
	regex.match(pattern, group)
}

_cloud_of_driver(driver) := cloud if {
	is_string(driver)
	some pattern, cloud in _cloud_drivers
	regex.match(pattern, driver)
}

_base_resources := [r |
	some ids in _inv.by_kind
	some id in ids
	r := _inv.resources[id]
	r.source in {"kubernetes", "kustomize"}
	_in_base(r)
]

_group_of(r) := split(r.apiVersion, "/")[0] if {
	is_string(r.apiVersion)
	contains(r.apiVersion, "/")
}

_base_finding(r, what, cloud) := {
	"msg": sprintf(
		concat("", [
			"%s %s in the Kubernetes base (%s) %s, specific to %s: move it to the overlays of the cells on that cloud ",
			"and keep the portable choice in the base",
		]),
		[r.kind, naming.display(r), r.file, what, cloud],
	),
	"resource": r.id,
	"evidence": {"file": r.file, "apiVersion": r.apiVersion, "uses": what, "cloud": cloud},
}

_driver_fields := {
	"StorageClass": ["provisioner"],
	"VolumeSnapshotClass": ["driver"],
	"CSIDriver": ["metadata", "name"],
}

_cloud_ingress_controllers := {
	"ingress.k8s.aws/alb": "AWS",
	"networking.gke.io/ingress-gce": "Google Cloud",
	"azure/application-gateway": "Azure",
}

_cloud_secret_providers := {"aws": "AWS", "gcp": "Google Cloud", "azure": "Azure"}
