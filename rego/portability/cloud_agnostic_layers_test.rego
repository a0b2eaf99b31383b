package kaze.portability.cloud_agnostic_layers_test

import rego.v1

import data.kaze.portability.cloud_agnostic_layers as layers
import data.kaze.testing.inventory

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

storage_class(file, name, provisioner) := k8s(
	file, "storage.k8s.io/v1", "StorageClass", name,
	{"provisioner": provisioner},
)

# Each case: the resources of the inventory, and the resources its findings name.
cases := {
	"cloud resource in module fails": [
		[tf("modules/database", "aws_rds_cluster", "platform", {"engine": "aurora-postgresql"})],
		{"terraform/modules/database/aws_rds_cluster.platform"},
	],
	"cloud resource under providers passes": [[tf("providers/aws", "aws_rds_cluster", "platform", {})], set()],
	"portable providers in module pass": [
		[
			tf("modules/database", "helm_release", "cnpg", {"chart": "cloudnative-pg"}),
			tf("modules/database", "kubernetes_namespace", "data", {}),
			tf("modules/database", "terraform_module", "local", {"source": "../storage"}),
		],
		set(),
	],
	"cloud data source in module fails": [
		[tf(
			"modules/storage", "terraform_data", "aws_iam_policy_document.x",
			{"type": "aws_iam_policy_document"},
		)],
		{"terraform/modules/storage/terraform_data.aws_iam_policy_document.x"},
	],
	"cloud provider block in module fails": [
		[tf("modules/storage", "terraform_provider", "google", {"project": "x"})],
		{"terraform/modules/storage/terraform_provider.google"},
	],
	"cloud controller resource in base fails": [
		[k8s("infra/kubernetes/base/database.yaml", "rds.services.k8s.aws/v1alpha1", "DBInstance", "platform", {})],
		{"DBInstance/platform"},
	],
	"config connector in base fails": [
		[k8s("kubernetes/base/pubsub.yaml", "pubsub.cnrm.cloud.google.com/v1beta1", "PubSubTopic", "events", {})],
		{"PubSubTopic/events"},
	],
	"cloud storage class in overlay passes": [
		[storage_class("kubernetes/overlays/agency-aws/storage.yaml", "fast", "ebs.csi.aws.com")],
		set(),
	],
	"portable storage class in base passes": [
		[storage_class("kubernetes/base/storage.yaml", "local", "rancher.io/local-path")],
		set(),
	],
	"cloud secret store in base fails": [
		[k8s(
			"kubernetes/base/secrets.yaml", "secrets-store.csi.x-k8s.io/v1", "SecretProviderClass", "keys",
			{"spec": {"provider": "azure"}},
		)],
		{"SecretProviderClass/keys"},
	],
	"cloud ingress class in base fails": [
		[k8s(
			"kubernetes/base/ingress.yaml", "networking.k8s.io/v1", "IngressClass", "alb",
			{"spec": {"controller": "ingress.k8s.aws/alb"}},
		)],
		{"IngressClass/alb"},
	],
}

test_named[name] if {
	some name, [resources, want] in cases
	named := {v.resource | some v in layers.violation} with data.inventory as inventory.of(resources)
	named == want
}

test_cloud_registry_module_in_module_fails if {
	call := tf("modules/cluster", "terraform_module", "eks", {"source": "terraform-aws-modules/eks/aws"})
	some v in layers.violation with data.inventory as inventory.of([call])
	v.evidence.cloud == "AWS"
}

test_cloud_storage_class_in_base_fails if {
	sc := storage_class("kubernetes/base/storage.yaml", "fast", "ebs.csi.aws.com")
	some v in layers.violation with data.inventory as inventory.of([sc])
	v.evidence.cloud == "AWS"
}

test_target_with_neither_is_not_applicable if {
	dockerfile := {
		"id": "Dockerfile/x", "apiVersion": "docker", "kind": "Dockerfile",
		"name": "x", "source": "dockerfile", "object": {},
	}
	layers.not_applicable with data.inventory as inventory.of([dockerfile])
}
