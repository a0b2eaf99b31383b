# METADATA
# title: The cluster's API audit log is on and goes to immutable storage the client can export
# description: >-
#   Regulated clients need audit logs nobody can rewrite, and that they own. The Kubernetes API
#   audit log must be on (EKS enabled_cluster_log_types has "audit"; AKS has a diagnostic
#   setting for kube-audit; GKE's Admin Activity audit log is always on), and every audit-log
#   store must be immutable: S3 (or MinIO) object lock with a default retention in COMPLIANCE
#   mode, a locked GCS retention policy, or a Locked Azure immutability policy. A GOVERNANCE
#   lock can be lifted by anyone holding s3:BypassGovernanceRetention. The store must also
#   grant the client's auditors read access, so that they can export their logs.
# custom:
#   id: KZ-AUD-01
#   severity: high
#   scopes: [iac]
#   reference: "docs/requirements.md#audit-trail"
#   remediation: >-
#     Turn the API audit log on (EKS: add "audit" to enabled_cluster_log_types; AKS: an
#     azurerm_monitor_diagnostic_setting with the kube-audit category), deliver it to a bucket
#     with object lock in COMPLIANCE mode (GCS: retention_policy with is_locked = true; Azure:
#     immutability_policy with state = "Locked"), and grant the client's auditors read access
#     to that bucket.
#   frameworks:
#     soc2: [CC7.2, CC4.1]
#     iso27001: [A.8.15, A.5.28]
#     nist80053: [AU-2, AU-9, AU-11, AU-12]
#     cis_kubernetes: ["3.2.1"]
package kaze.audit.audit_log_storage

import rego.v1

import data.kaze.lib.terraform as tf

_inv := data.inventory

not_applicable := "no Terraform in this target" if not tf.present(_inv)

not_applicable := concat("", [
	"this target's Terraform defines no Kubernetes cluster (EKS, GKE, AKS) ",
	"and no audit-log storage",
]) if {
	tf.present(_inv)
	count(_clusters) == 0
	count(_audit_stores) == 0
}

_cluster_kinds := ["aws_eks_cluster", "google_container_cluster", "azurerm_kubernetes_cluster"]

_store_kinds := ["aws_s3_bucket", "google_storage_bucket", "azurerm_storage_account"]

_clusters := [c | some kind in _cluster_kinds; some c in tf.resources(_inv, kind)]

_audit_stores := [s | some kind in _store_kinds; some s in tf.resources(_inv, kind); _audit_store(s)]

# ---------------------------------------------------------------------------------------
# Which stores hold audit logs: named or tagged for it, or the destination of an audit-log
# sink (GCP) or of an AKS kube-audit diagnostic setting (Azure).

_audit_store(store) if contains(lower(store.name), "audit")

_audit_store(store) if {
	some field in ["bucket", "bucket_prefix", "name"]
	value := object.get(store.object, field, "")
	is_string(value)
	contains(lower(value), "audit")
}

_audit_store(store) if {
	some field in ["tags", "labels"]
	some text in tf.strings_of(object.get(store.object, field, {}))
	contains(lower(text), "audit")
}

_audit_store(store) if {
	some sink in tf.resources(_inv, "google_logging_project_sink")
	filter := object.get(sink.object, "filter", "")
	is_string(filter)
	contains(filter, "cloudaudit")
	tf.links(sink, "destination", store)
}

_audit_store(store) if {
	some setting in tf.resources(_inv, "azurerm_monitor_diagnostic_setting")
	_sends_kube_audit(setting)
	tf.links(setting, "storage_account_id", store)
}

# ---------------------------------------------------------------------------------------
# The API audit log of each cluster.

_audit_type_enabled(types) if {
	is_array(types)
	"audit" in types
}

_aks_audit_on(cluster) if {
	some setting in tf.resources(_inv, "azurerm_monitor_diagnostic_setting")
	tf.links(setting, "target_resource_id", cluster)
	_sends_kube_audit(setting)
}

_sends_kube_audit(setting) if {
	some log in array.concat(tf.blocks(setting.object, "enabled_log"), tf.blocks(setting.object, "log"))
	is_object(log)
	tf.as_bool(object.get(log, "enabled", true)) != false
	_audit_log_category(log)
}

_audit_log_category(log) if object.get(log, "category", "") in {"kube-audit", "kube-audit-admin"}

_audit_log_category(log) if object.get(log, "category_group", "") in {"audit", "allLogs"}

# ---------------------------------------------------------------------------------------
# S3 (and MinIO through the AWS provider): object lock, with a COMPLIANCE default retention.

_s3_lock_enabled(bucket) if tf.as_bool(bucket.object.object_lock_enabled) == true

_s3_lock_enabled(bucket) if {
	some legacy in tf.blocks(bucket.object, "object_lock_configuration")
	legacy.object_lock_enabled == "Enabled"
}

_s3_lock_configurations(bucket) := [c |
	some c in tf.resources(_inv, "aws_s3_bucket_object_lock_configuration")
	_configures(c, bucket)
]

_configures(other, bucket) if tf.links(other, "bucket", bucket)

_configures(other, bucket) if {
	tf.same_module(other, bucket)
	name := bucket.object.bucket
	is_string(name)
	not tf.is_expression(name)
	other.object.bucket == name
}

_s3_retention_modes(bucket) := {mode |
	some holder in array.concat(_s3_lock_configurations(bucket), [bucket])
	legacy_rules := [r | some l in tf.blocks(holder.object, "object_lock_configuration"); some r in tf.blocks(l, "rule")]
	some rule in array.concat(tf.blocks(holder.object, "rule"), legacy_rules)
	some retention in tf.blocks(rule, "default_retention")
	is_object(retention)
	mode := object.get(retention, "mode", null)
}

# ---------------------------------------------------------------------------------------
# The client can export: something grants read access to the store.

_read_actions := `^s3:(GetObject|Get\*|\*)$`

_s3_policy_grants_read(policy) if {
	text := object.get(policy.object, "policy", "")
	is_string(text)
	regex.match(`s3:Get(Object|\*)`, text)
}

_s3_policy_grants_read(policy) if {
	text := object.get(policy.object, "policy", "")
	is_string(text)
	document_ref := `data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json`
	some match in regex.find_all_string_submatch_n(document_ref, text, -1)
	some document in tf.data_sources(_inv, policy, "aws_iam_policy_document", match[1])
	some statement in tf.blocks(document.object, "statement")
	is_object(statement)
	object.get(statement, "effect", "Allow") == "Allow"
	actions := object.get(statement, "actions", [])
	is_array(actions)
	some action in actions
	is_string(action)
	regex.match(_read_actions, action)
}

_gcs_reader_roles := {
	"roles/storage.objectViewer",
	"roles/storage.legacyObjectReader",
	"roles/storage.objectAdmin",
	"roles/storage.admin",
}

_azure_reader_roles := {
	"Storage Blob Data Reader",
	"Storage Blob Data Contributor",
	"Storage Blob Data Owner",
	"Reader and Data Access",
}

_exportable(store) if {
	store.kind == "aws_s3_bucket"
	some policy in tf.resources(_inv, "aws_s3_bucket_policy")
	_configures(policy, store)
	_s3_policy_grants_read(policy)
}

_exportable(store) if {
	store.kind == "google_storage_bucket"
	some kind in ["google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"]
	some grant in tf.resources(_inv, kind)
	_configures(grant, store)
	grant.object.role in _gcs_reader_roles
}

_exportable(store) if {
	store.kind == "azurerm_storage_account"
	some grant in tf.resources(_inv, "azurerm_role_assignment")
	tf.links(grant, "scope", store)
	grant.object.role_definition_name in _azure_reader_roles
}

# A call of the platform's storage module (modules/storage) that names the client's
# auditors: the module refuses a store without them, and the provider folder grants them
# access in its own terms (a MinIO group policy on bare metal).
_exportable(store) if {
	some call in tf.resources(_inv, "terraform_module")
	tf.links(call, "bucket_id", store)
	principals := object.get(call.object, "export_principals", [])
	is_string(principals)
	count(principals) > 0
}

_exportable(store) if {
	some call in tf.resources(_inv, "terraform_module")
	tf.links(call, "bucket_id", store)
	principals := object.get(call.object, "export_principals", [])
	is_array(principals)
	count(principals) > 0
}

_export_hint := {
	"aws_s3_bucket": "an aws_s3_bucket_policy that allows the client's auditors s3:GetObject and s3:ListBucket",
	"google_storage_bucket": concat("", [
		"a google_storage_bucket_iam_member with roles/storage.objectViewer ",
		"for the client's auditors",
	]),
	"azurerm_storage_account": concat("", [
		"an azurerm_role_assignment of Storage Blob Data Reader on the account ",
		"for the client's auditors",
	]),
}

# ---------------------------------------------------------------------------------------
# Findings: the API audit log of each cluster; S3 object lock in COMPLIANCE mode; GCS a
# locked retention policy; Azure a Locked account-level immutability policy; a read grant.

violation contains v if {
	some cluster in tf.resources(_inv, "aws_eks_cluster")
	types := object.get(cluster.object, "enabled_cluster_log_types", [])
	not _audit_type_enabled(types)
	v := {
		"msg": sprintf(
			concat("", [
				"%s does not send the Kubernetes API audit log (enabled_cluster_log_types = %v): add ",
				"\"audit\" to enabled_cluster_log_types",
			]),
			[tf.address(cluster), types],
		),
		"resource": cluster.id,
		"evidence": {"enabled_cluster_log_types": types},
	}
}

violation contains v if {
	some cluster in tf.resources(_inv, "azurerm_kubernetes_cluster")
	not _aks_audit_on(cluster)
	settings := [tf.address(s) |
		some s in tf.resources(_inv, "azurerm_monitor_diagnostic_setting")
		tf.links(s, "target_resource_id", cluster)
	]
	v := {
		"msg": sprintf(
			concat("", [
				"%s has no diagnostic setting that collects the kube-audit log: add an ",
				"azurerm_monitor_diagnostic_setting for the cluster with an enabled_log of category ",
				"kube-audit, sent to the immutable audit storage account",
			]),
			[tf.address(cluster)],
		),
		"resource": cluster.id,
		"evidence": {"diagnostic_settings": settings},
	}
}

violation contains v if {
	count(_audit_stores) == 0
	some cluster in _clusters
	v := {
		"msg": sprintf(
			concat("", [
				"%s has no audit-log storage in this Terraform: deliver its API audit log to a bucket ",
				"named or tagged for audit logs, with object lock in COMPLIANCE mode (or a locked ",
				"retention policy)",
			]),
			[tf.address(cluster)],
		),
		"resource": cluster.id,
		"evidence": {"audit_stores": []},
	}
}

violation contains v if {
	some bucket in _audit_stores
	bucket.kind == "aws_s3_bucket"
	not _s3_lock_enabled(bucket)
	v := {
		"msg": sprintf(
			concat("", [
				"%s holds audit logs but has no object lock (object_lock_enabled = %v), so they can be ",
				"deleted or overwritten: set object_lock_enabled = true and add an ",
				"aws_s3_bucket_object_lock_configuration with a default retention in COMPLIANCE mode",
			]),
			[tf.address(bucket), object.get(bucket.object, "object_lock_enabled", null)],
		),
		"resource": bucket.id,
		"evidence": {"object_lock_enabled": object.get(bucket.object, "object_lock_enabled", null)},
	}
}

violation contains v if {
	some bucket in _audit_stores
	bucket.kind == "aws_s3_bucket"
	_s3_lock_enabled(bucket)
	count(_s3_retention_modes(bucket)) == 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s has object lock on but no default retention, so objects are locked only when their ",
				"writer asks: add an aws_s3_bucket_object_lock_configuration with rule.default_retention ",
				"in COMPLIANCE mode",
			]),
			[tf.address(bucket)],
		),
		"resource": bucket.id,
		"evidence": {
			"object_lock_enabled": true,
			"lock_configurations": [tf.address(c) | some c in _s3_lock_configurations(bucket)],
		},
	}
}

violation contains v if {
	some bucket in _audit_stores
	bucket.kind == "aws_s3_bucket"
	_s3_lock_enabled(bucket)
	some mode in _s3_retention_modes(bucket)
	mode != "COMPLIANCE"
	v := {
		"msg": sprintf(
			concat("", [
				"%s locks its audit logs in %v mode, which a user with s3:BypassGovernanceRetention can ",
				"lift: set the default retention mode to COMPLIANCE",
			]),
			[tf.address(bucket), mode],
		),
		"resource": bucket.id,
		"evidence": {
			"retention_mode": mode,
			"lock_configurations": [tf.address(c) | some c in _s3_lock_configurations(bucket)],
		},
	}
}

violation contains v if {
	some bucket in _audit_stores
	bucket.kind == "google_storage_bucket"
	policy := tf.block(bucket.object, "retention_policy")
	tf.as_bool(object.get(policy, "is_locked", false)) != true
	v := {
		"msg": sprintf(
			concat("", [
				"%s holds audit logs without a locked retention policy, so they can be deleted: add ",
				"retention_policy { retention_period = <seconds>, is_locked = true }",
			]),
			[tf.address(bucket)],
		),
		"resource": bucket.id,
		"evidence": {"retention_policy": policy},
	}
}

violation contains v if {
	some account in _audit_stores
	account.kind == "azurerm_storage_account"
	policy := tf.block(account.object, "immutability_policy")
	state := object.get(policy, "state", null)
	state != "Locked"
	v := {
		"msg": sprintf(
			concat("", [
				"%s holds audit logs but its immutability policy is %v, not Locked, so they can be ",
				"changed or deleted: add immutability_policy { state = \"Locked\", ",
				"period_since_creation_in_days = <days> }",
			]),
			[tf.address(account), state],
		),
		"resource": account.id,
		"evidence": {"immutability_policy": policy},
	}
}

violation contains v if {
	some store in _audit_stores
	not _exportable(store)
	v := {
		"msg": sprintf(
			concat("", [
				"%s holds audit logs that the client cannot export: no grant gives the client's auditors ",
				"read access; add %s",
			]),
			[tf.address(store), _export_hint[store.kind]],
		),
		"resource": store.id,
		"evidence": {"read_grants": []},
	}
}
