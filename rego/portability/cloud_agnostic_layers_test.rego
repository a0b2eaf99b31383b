package kaze.portability.cloud_agnostic_layers_test

import rego.v1

import data.kaze.portability.cloud_agnostic_layers as layers

inventory(resources) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
}

tf(dir, kind, name, obj) := {
	"id": sprintf("terraform/%s/%s.%s", [dir, kind, name]),
	"apiVersion": "terraform",
	"kind": kind,
	"name": name,
	"source": "terraform",
	"file": sprintf("infra/terraform/%s/main.tf", [dir]),
	"object": obj,
}

k8s(file, api, kind, name, obj) := {
	"id": sprintf("%s/%s", [kind, name]),
	"apiVersion": api,
	"kind": kind,
	"namespace": null,
	"name": name,
	"source": "kustomize",
	"file": file,
	"object": object.union({"apiVersion": api, "kind": kind, "metadata": {"name": name}}, obj),
}

ids(resources) := {v.resource | some v in layers.violation with data.inventory as inventory(resources)}

test_cloud_resource_in_module_fails if {
	rds := tf("modules/database", "aws_rds_cluster", "platform", {"engine": "aurora-postgresql"})
	ids([rds]) == {rds.id}
}

test_cloud_resource_under_providers_passes if {
	count(ids([tf("providers/aws", "aws_rds_cluster", "platform", {})])) == 0
}

test_portable_providers_in_module_pass if {
	count(ids([
		tf("modules/database", "helm_release", "cnpg", {"chart": "cloudnative-pg"}),
		tf("modules/database", "kubernetes_namespace", "data", {}),
		tf("modules/database", "terraform_module", "local", {"source": "../storage"}),
	])) == 0
}

test_cloud_data_source_in_module_fails if {
	doc := tf("modules/storage", "terraform_data", "aws_iam_policy_document.x", {"type": "aws_iam_policy_document"})
	ids([doc]) == {doc.id}
}

test_cloud_provider_block_in_module_fails if {
	provider := tf("modules/storage", "terraform_provider", "google", {"project": "x"})
	ids([provider]) == {provider.id}
}

test_cloud_registry_module_in_module_fails if {
	call := tf("modules/cluster", "terraform_module", "eks", {"source": "terraform-aws-modules/eks/aws"})
	some v in layers.violation with data.inventory as inventory([call])
	v.evidence.cloud == "AWS"
}

test_cloud_controller_resource_in_base_fails if {
	db := k8s("infra/kubernetes/base/database.yaml", "rds.services.k8s.aws/v1alpha1", "DBInstance", "platform", {})
	ids([db]) == {"DBInstance/platform"}
}

test_config_connector_in_base_fails if {
	topic := k8s("kubernetes/base/pubsub.yaml", "pubsub.cnrm.cloud.google.com/v1beta1", "PubSubTopic", "events", {})
	count(ids([topic])) == 1
}

test_cloud_storage_class_in_base_fails if {
	sc := k8s("kubernetes/base/storage.yaml", "storage.k8s.io/v1", "StorageClass", "fast", {"provisioner": "ebs.csi.aws.com"})
	some v in layers.violation with data.inventory as inventory([sc])
	v.evidence.cloud == "AWS"
}

test_cloud_storage_class_in_overlay_passes if {
	sc := k8s("kubernetes/overlays/agency-aws/storage.yaml", "storage.k8s.io/v1", "StorageClass", "fast", {"provisioner": "ebs.csi.aws.com"})
	count(ids([sc])) == 0
}

test_portable_storage_class_in_base_passes if {
	sc := k8s("kubernetes/base/storage.yaml", "storage.k8s.io/v1", "StorageClass", "local", {"provisioner": "rancher.io/local-path"})
	count(ids([sc])) == 0
}

test_cloud_secret_store_in_base_fails if {
	spc := k8s("kubernetes/base/secrets.yaml", "secrets-store.csi.x-k8s.io/v1", "SecretProviderClass", "keys", {"spec": {"provider": "azure"}})
	count(ids([spc])) == 1
}

test_cloud_ingress_class_in_base_fails if {
	ic := k8s("kubernetes/base/ingress.yaml", "networking.k8s.io/v1", "IngressClass", "alb", {"spec": {"controller": "ingress.k8s.aws/alb"}})
	count(ids([ic])) == 1
}

test_target_with_neither_is_not_applicable if {
	layers.not_applicable with data.inventory as inventory([{"id": "Dockerfile/x", "apiVersion": "docker", "kind": "Dockerfile", "name": "x", "source": "dockerfile", "object": {}}])
}
