package kaze.audit.audit_log_storage_test

import rego.v1

import data.kaze.audit.audit_log_storage

tf(dir, kind, name, obj) := {
	"id": sprintf("terraform/%s/%s.%s", [dir, kind, name]),
	"apiVersion": "terraform",
	"kind": kind,
	"name": name,
	"source": "terraform",
	"file": sprintf("infra/terraform/%s/main.tf", [dir]),
	"object": obj,
}

inventory(resources) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
	"config": null,
}

eks(types) := tf("providers/aws", "aws_eks_cluster", "cell", {"name": "kaze", "enabled_cluster_log_types": types})

bucket(lock) := tf("providers/aws", "aws_s3_bucket", "audit", {
	"bucket": "kaze-audit-logs",
	"object_lock_enabled": lock,
})

lock_config(mode) := tf("providers/aws", "aws_s3_bucket_object_lock_configuration", "audit", {
	"bucket": "${aws_s3_bucket.audit.id}",
	"rule": [{"default_retention": [{"mode": mode, "days": 365}]}],
})

export_policy := tf("providers/aws", "aws_s3_bucket_policy", "audit", {
	"bucket": "${aws_s3_bucket.audit.id}",
	"policy": concat("", [
		"${jsonencode({Statement = [{Effect = \"Allow\", Action = [\"s3:GetObject\"], ",
		"Resource = [\"${aws_s3_bucket.audit.arn}/*\"]}]})}",
	]),
})

good_aws := [eks(["api", "audit"]), bucket(true), lock_config("COMPLIANCE"), export_policy]

test_locked_exportable_bucket_and_audit_log_pass if {
	count(audit_log_storage.violation) == 0 with data.inventory as inventory(good_aws)
	not audit_log_storage.not_applicable with data.inventory as inventory(good_aws)
}

test_no_terraform_is_not_applicable if {
	audit_log_storage.not_applicable == "no Terraform in this target" with data.inventory as {
		"resources": {},
		"by_kind": {},
		"config": null,
	}
}

test_terraform_without_cluster_or_store_is_not_applicable if {
	other := tf("modules/x", "aws_iam_role", "r", {})
	audit_log_storage.not_applicable with data.inventory as inventory([other])
}

test_eks_without_audit_log_type_fails if {
	resources := array.concat([eks(["api", "authenticator"])], array.slice(good_aws, 1, 4))
	got := audit_log_storage.violation with data.inventory as inventory(resources)
	{v.resource | some v in got} == {"terraform/providers/aws/aws_eks_cluster.cell"}
}

test_eks_without_log_types_fails if {
	cluster := tf("providers/aws", "aws_eks_cluster", "cell", {"name": "kaze"})
	resources := array.concat([cluster], array.slice(good_aws, 1, 4))
	got := audit_log_storage.violation with data.inventory as inventory(resources)
	{v.resource | some v in got} == {"terraform/providers/aws/aws_eks_cluster.cell"}
}

test_bucket_without_object_lock_fails if {
	inputs := [eks(["audit"]), bucket(false), export_policy]
	some v in audit_log_storage.violation with data.inventory as inventory(inputs)
	v.resource == "terraform/providers/aws/aws_s3_bucket.audit"
	v.evidence.object_lock_enabled == false
}

test_governance_mode_fails if {
	inputs := [eks(["audit"]), bucket(true), lock_config("GOVERNANCE"), export_policy]
	some v in audit_log_storage.violation with data.inventory as inventory(inputs)
	v.evidence.retention_mode == "GOVERNANCE"
}

test_object_lock_without_default_retention_fails if {
	got := audit_log_storage.violation with data.inventory as inventory([eks(["audit"]), bucket(true), export_policy])
	{v.resource | some v in got} == {"terraform/providers/aws/aws_s3_bucket.audit"}
}

test_legacy_inline_object_lock_configuration_counts if {
	legacy := tf("providers/aws", "aws_s3_bucket", "audit", {"bucket": "kaze-audit", "object_lock_configuration": [{
		"object_lock_enabled": "Enabled",
		"rule": [{"default_retention": [{"mode": "COMPLIANCE", "days": 365}]}],
	}]})
	got := audit_log_storage.violation with data.inventory as inventory([eks(["audit"]), legacy, export_policy])
	count({v.resource | some v in got}) == 0
}

test_lock_configuration_of_another_module_does_not_count if {
	elsewhere := object.union(lock_config("COMPLIANCE"), {
		"id": "terraform/providers/bare-metal/aws_s3_bucket_object_lock_configuration.audit",
		"file": "infra/terraform/providers/bare-metal/main.tf",
	})
	inputs := [eks(["audit"]), bucket(true), elsewhere, export_policy]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/aws/aws_s3_bucket.audit"}
}

test_bucket_that_is_not_an_audit_store_may_be_unlocked if {
	artifacts := tf("providers/aws", "aws_s3_bucket", "artifacts", {
		"bucket": "kaze-build-artifacts",
		"tags": {"kaze.io/purpose": "build"},
	})
	got := audit_log_storage.violation with data.inventory as inventory(array.concat(good_aws, [artifacts]))
	count({v.resource | some v in got}) == 0
}

test_audit_store_recognised_by_tag if {
	logs := tf("providers/aws", "aws_s3_bucket", "logs", {
		"bucket": "kaze-logs",
		"tags": {"kaze.io/purpose": "audit-logs"},
	})
	got := audit_log_storage.violation with data.inventory as inventory([eks(["audit"]), logs])
	{v.resource | some v in got} == {"terraform/providers/aws/aws_s3_bucket.logs"}
}

test_audit_store_without_read_grant_fails if {
	inputs := [eks(["audit"]), bucket(true), lock_config("COMPLIANCE")]
	some v in audit_log_storage.violation with data.inventory as inventory(inputs)
	contains(v.msg, "cannot export")
}

test_read_grant_through_policy_document if {
	policy := tf("providers/aws", "aws_s3_bucket_policy", "audit", {
		"bucket": "${aws_s3_bucket.audit.id}",
		"policy": "${data.aws_iam_policy_document.audit.json}",
	})
	document := tf("providers/aws", "terraform_data", "aws_iam_policy_document.audit", {
		"type": "aws_iam_policy_document",
		"statement": [
			{"effect": "Deny", "actions": ["s3:*"]},
			{"actions": ["s3:GetObject", "s3:ListBucket"]},
		],
	})
	inputs := [eks(["audit"]), bucket(true), lock_config("COMPLIANCE"), policy, document]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	count({v.resource | some v in got}) == 0
}

test_deny_statement_is_no_read_grant if {
	policy := tf("providers/aws", "aws_s3_bucket_policy", "audit", {
		"bucket": "${aws_s3_bucket.audit.id}",
		"policy": "${data.aws_iam_policy_document.audit.json}",
	})
	document := tf("providers/aws", "terraform_data", "aws_iam_policy_document.audit", {
		"type": "aws_iam_policy_document",
		"statement": [{"effect": "Deny", "actions": ["s3:*"]}],
	})
	inputs := [eks(["audit"]), bucket(true), lock_config("COMPLIANCE"), policy, document]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/aws/aws_s3_bucket.audit"}
}

test_export_principals_through_storage_module if {
	call := tf("providers/bare-metal", "terraform_module", "audit_store", {
		"source": "../../modules/storage",
		"bucket_id": "${aws_s3_bucket.audit.arn}",
		"export_principals": "${var.auditors}",
	})
	minio := tf("providers/bare-metal", "aws_s3_bucket", "audit", bucket(true).object)
	lock_kind := "aws_s3_bucket_object_lock_configuration"
	lock := tf("providers/bare-metal", lock_kind, "audit", lock_config("COMPLIANCE").object)
	got := audit_log_storage.violation with data.inventory as inventory([minio, lock, call])
	count({v.resource | some v in got}) == 0
}

test_cluster_without_audit_store_fails if {
	got := audit_log_storage.violation with data.inventory as inventory([eks(["audit"])])
	{v.resource | some v in got} == {"terraform/providers/aws/aws_eks_cluster.cell"}
}

gcs(policy) := tf("providers/gcp", "google_storage_bucket", "audit", {"name": "kaze-audit", "retention_policy": policy})

gcs_reader := tf("providers/gcp", "google_storage_bucket_iam_member", "client", {
	"bucket": "${google_storage_bucket.audit.name}",
	"role": "roles/storage.objectViewer",
})

gke := tf("providers/gcp", "google_container_cluster", "cell", {"name": "kaze"})

test_gcs_locked_retention_passes if {
	inputs := [gke, gcs([{"retention_period": 100, "is_locked": true}]), gcs_reader]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	count({v.resource | some v in got}) == 0
}

test_gcs_unlocked_retention_fails if {
	inputs := [gke, gcs([{"retention_period": 100, "is_locked": false}]), gcs_reader]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/gcp/google_storage_bucket.audit"}
}

test_gcs_without_retention_policy_fails if {
	inputs := [gke, tf("providers/gcp", "google_storage_bucket", "audit", {"name": "kaze-audit"}), gcs_reader]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/gcp/google_storage_bucket.audit"}
}

aks := tf("providers/azure", "azurerm_kubernetes_cluster", "cell", {"name": "kaze"})

account(state) := tf("providers/azure", "azurerm_storage_account", "audit", {
	"name": "kazeaudit",
	"immutability_policy": [{"state": state}],
})

diagnostic(category) := tf("providers/azure", "azurerm_monitor_diagnostic_setting", "kube_audit", {
	"target_resource_id": "${azurerm_kubernetes_cluster.cell.id}",
	"storage_account_id": "${azurerm_storage_account.audit.id}",
	"enabled_log": [{"category": category}],
})

azure_reader := tf("providers/azure", "azurerm_role_assignment", "client", {
	"scope": "${azurerm_storage_account.audit.id}",
	"role_definition_name": "Storage Blob Data Reader",
})

test_aks_with_kube_audit_to_locked_account_passes if {
	inputs := [aks, account("Locked"), diagnostic("kube-audit"), azure_reader]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	count({v.resource | some v in got}) == 0
}

test_aks_without_kube_audit_fails if {
	inputs := [aks, account("Locked"), diagnostic("guard"), azure_reader]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/azure/azurerm_kubernetes_cluster.cell"}
}

test_azure_unlocked_immutability_fails if {
	inputs := [aks, account("Unlocked"), diagnostic("kube-audit"), azure_reader]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/azure/azurerm_storage_account.audit"}
}

test_same_ids_in_two_folders_are_two_modules if {
	# One target holding two copies of providers/aws: both get the id terraform/providers/aws/…
	# (the second with #2); only the file tells the folders apart.
	locked := object.union(lock_config("COMPLIANCE"), {"file": "case-a/terraform/providers/aws/main.tf"})
	other_bucket := object.union(bucket(true), {
		"id": "terraform/providers/aws/aws_s3_bucket.audit#2",
		"file": "case-b/terraform/providers/aws/main.tf",
	})
	a_bucket := object.union(bucket(true), {"file": "case-a/terraform/providers/aws/main.tf"})
	a_policy := object.union(export_policy, {"file": "case-a/terraform/providers/aws/main.tf"})
	b_policy := object.union(export_policy, {
		"id": "terraform/providers/aws/aws_s3_bucket_policy.audit#2",
		"file": "case-b/terraform/providers/aws/main.tf",
	})
	inputs := [a_bucket, locked, a_policy, other_bucket, b_policy]
	got := audit_log_storage.violation with data.inventory as inventory(inputs)
	{v.resource | some v in got} == {"terraform/providers/aws/aws_s3_bucket.audit#2"}
}
