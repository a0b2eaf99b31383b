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

inv := data.inventory

not_applicable := "no Terraform in this target" if not tf.present(inv)

not_applicable := "this target's Terraform defines no Kubernetes cluster (EKS, GKE, AKS) and no audit-log storage" if {
	tf.present(inv)
	count(clusters) == 0
	count(audit_stores) == 0
}

cluster_kinds := ["aws_eks_cluster", "google_container_cluster", "azurerm_kubernetes_cluster"]

store_kinds := ["aws_s3_bucket", "google_storage_bucket", "azurerm_storage_account"]

clusters := [c | some kind in cluster_kinds; some c in tf.resources(inv, kind)]

audit_stores := [s | some kind in store_kinds; some s in tf.resources(inv, kind); audit_store(s)]

# ---------------------------------------------------------------------------------------
# Which stores hold audit logs: named or tagged for it, or the destination of an audit-log
# sink (GCP) or of an AKS kube-audit diagnostic setting (Azure).

audit_store(store) if contains(lower(store.name), "audit")

audit_store(store) if {
	some field in ["bucket", "bucket_prefix", "name"]
	value := object.get(store.object, field, "")
	is_string(value)
	contains(lower(value), "audit")
}

audit_store(store) if {
	some field in ["tags", "labels"]
	some text in tf.strings_of(object.get(store.object, field, {}))
	contains(lower(text), "audit")
}

audit_store(store) if {
	some sink in tf.resources(inv, "google_logging_project_sink")
	filter := object.get(sink.object, "filter", "")
	is_string(filter)
	contains(filter, "cloudaudit")
	tf.links(sink, "destination", store)
}

audit_store(store) if {
	some setting in tf.resources(inv, "azurerm_monitor_diagnostic_setting")
	sends_kube_audit(setting)
	tf.links(setting, "storage_account_id", store)
}

# ---------------------------------------------------------------------------------------
# The API audit log of each cluster.

violation contains v if {
	some cluster in tf.resources(inv, "aws_eks_cluster")
	types := object.get(cluster.object, "enabled_cluster_log_types", [])
	not audit_type_enabled(types)
	v := {
		"msg": sprintf("%s does not send the Kubernetes API audit log (enabled_cluster_log_types = %v): add \"audit\" to enabled_cluster_log_types", [tf.address(cluster), types]),
		"resource": cluster.id,
		"evidence": {"enabled_cluster_log_types": types},
	}
}

audit_type_enabled(types) if {
	is_array(types)
	"audit" in types
}

violation contains v if {
	some cluster in tf.resources(inv, "azurerm_kubernetes_cluster")
	settings := [tf.address(s) | some s in tf.resources(inv, "azurerm_monitor_diagnostic_setting"); tf.links(s, "target_resource_id", cluster)]
	not aks_audit_on(cluster)
	v := {
		"msg": sprintf("%s has no diagnostic setting that collects the kube-audit log: add an azurerm_monitor_diagnostic_setting for the cluster with an enabled_log of category kube-audit, sent to the immutable audit storage account", [tf.address(cluster)]),
		"resource": cluster.id,
		"evidence": {"diagnostic_settings": settings},
	}
}

aks_audit_on(cluster) if {
	some setting in tf.resources(inv, "azurerm_monitor_diagnostic_setting")
	tf.links(setting, "target_resource_id", cluster)
	sends_kube_audit(setting)
}

sends_kube_audit(setting) if {
	some log in array.concat(tf.blocks(setting.object, "enabled_log"), tf.blocks(setting.object, "log"))
	is_object(log)
	tf.as_bool(object.get(log, "enabled", true)) != false
	audit_log_category(log)
}

audit_log_category(log) if object.get(log, "category", "") in {"kube-audit", "kube-audit-admin"}

audit_log_category(log) if object.get(log, "category_group", "") in {"audit", "allLogs"}

violation contains v if {
	count(audit_stores) == 0
	some cluster in clusters
	v := {
		"msg": sprintf("%s has no audit-log storage in this Terraform: deliver its API audit log to a bucket named or tagged for audit logs, with object lock in COMPLIANCE mode (or a locked retention policy)", [tf.address(cluster)]),
		"resource": cluster.id,
		"evidence": {"audit_stores": []},
	}
}

# ---------------------------------------------------------------------------------------
# S3 (and MinIO through the AWS provider): object lock, with a COMPLIANCE default retention.

s3_lock_enabled(bucket) if tf.as_bool(bucket.object.object_lock_enabled) == true

s3_lock_enabled(bucket) if {
	some legacy in tf.blocks(bucket.object, "object_lock_configuration")
	legacy.object_lock_enabled == "Enabled"
}

s3_lock_configurations(bucket) := [c |
	some c in tf.resources(inv, "aws_s3_bucket_object_lock_configuration")
	configures(c, bucket)
]

configures(other, bucket) if tf.links(other, "bucket", bucket)

configures(other, bucket) if {
	tf.same_module(other, bucket)
	name := bucket.object.bucket
	is_string(name)
	not tf.is_expression(name)
	other.object.bucket == name
}

s3_retention_modes(bucket) := {mode |
	some holder in array.concat(s3_lock_configurations(bucket), [bucket])
	some rule in array.concat(tf.blocks(holder.object, "rule"), [r | some l in tf.blocks(holder.object, "object_lock_configuration"); some r in tf.blocks(l, "rule")])
	some retention in tf.blocks(rule, "default_retention")
	is_object(retention)
	mode := object.get(retention, "mode", null)
}

violation contains v if {
	some bucket in audit_stores
	bucket.kind == "aws_s3_bucket"
	not s3_lock_enabled(bucket)
	v := {
		"msg": sprintf("%s holds audit logs but has no object lock (object_lock_enabled = %v), so they can be deleted or overwritten: set object_lock_enabled = true and add an aws_s3_bucket_object_lock_configuration with a default retention in COMPLIANCE mode", [tf.address(bucket), object.get(bucket.object, "object_lock_enabled", null)]),
		"resource": bucket.id,
		"evidence": {"object_lock_enabled": object.get(bucket.object, "object_lock_enabled", null)},
	}
}

violation contains v if {
	some bucket in audit_stores
	bucket.kind == "aws_s3_bucket"
	s3_lock_enabled(bucket)
	count(s3_retention_modes(bucket)) == 0
	v := {
		"msg": sprintf("%s has object lock on but no default retention, so objects are locked only when their writer asks: add an aws_s3_bucket_object_lock_configuration with rule.default_retention in COMPLIANCE mode", [tf.address(bucket)]),
		"resource": bucket.id,
		"evidence": {"object_lock_enabled": true, "lock_configurations": [tf.address(c) | some c in s3_lock_configurations(bucket)]},
	}
}

violation contains v if {
	some bucket in audit_stores
	bucket.kind == "aws_s3_bucket"
	s3_lock_enabled(bucket)
	some mode in s3_retention_modes(bucket)
	mode != "COMPLIANCE"
	v := {
		"msg": sprintf("%s locks its audit logs in %v mode, which a user with s3:BypassGovernanceRetention can lift: set the default retention mode to COMPLIANCE", [tf.address(bucket), mode]),
		"resource": bucket.id,
		"evidence": {"retention_mode": mode, "lock_configurations": [tf.address(c) | some c in s3_lock_configurations(bucket)]},
	}
}

# ---------------------------------------------------------------------------------------
# GCS: a locked retention policy. Azure: an account-level immutability policy, Locked.

violation contains v if {
	some bucket in audit_stores
	bucket.kind == "google_storage_bucket"
	policy := tf.block(bucket.object, "retention_policy")
	tf.as_bool(object.get(policy, "is_locked", false)) != true
	v := {
		"msg": sprintf("%s holds audit logs without a locked retention policy, so they can be deleted: add retention_policy { retention_period = <seconds>, is_locked = true }", [tf.address(bucket)]),
		"resource": bucket.id,
		"evidence": {"retention_policy": policy},
	}
}

violation contains v if {
	some account in audit_stores
	account.kind == "azurerm_storage_account"
	policy := tf.block(account.object, "immutability_policy")
	state := object.get(policy, "state", null)
	state != "Locked"
	v := {
		"msg": sprintf("%s holds audit logs but its immutability policy is %v, not Locked, so they can be changed or deleted: add immutability_policy { state = \"Locked\", period_since_creation_in_days = <days> }", [tf.address(account), state]),
		"resource": account.id,
		"evidence": {"immutability_policy": policy},
	}
}

# ---------------------------------------------------------------------------------------
# The client can export: something grants read access to the store.

read_actions := `^s3:(GetObject|Get\*|\*)$`

exportable(bucket) if {
	bucket.kind == "aws_s3_bucket"
	some policy in tf.resources(inv, "aws_s3_bucket_policy")
	configures(policy, bucket)
	s3_policy_grants_read(policy)
}

s3_policy_grants_read(policy) if {
	text := object.get(policy.object, "policy", "")
	is_string(text)
	regex.match(`s3:Get(Object|\*)`, text)
}

s3_policy_grants_read(policy) if {
	text := object.get(policy.object, "policy", "")
	is_string(text)
	some match in regex.find_all_string_submatch_n(`data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json`, text, -1)
	some document in tf.data_sources(inv, policy, "aws_iam_policy_document", match[1])
	some statement in tf.blocks(document.object, "statement")
	is_object(statement)
	object.get(statement, "effect", "Allow") == "Allow"
	actions := object.get(statement, "actions", [])
	is_array(actions)
	some action in actions
	is_string(action)
	regex.match(read_actions, action)
}

gcs_reader_roles := {"roles/storage.objectViewer", "roles/storage.legacyObjectReader", "roles/storage.objectAdmin", "roles/storage.admin"}

exportable(bucket) if {
	bucket.kind == "google_storage_bucket"
	some kind in ["google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"]
	some grant in tf.resources(inv, kind)
	configures(grant, bucket)
	grant.object.role in gcs_reader_roles
}

azure_reader_roles := {"Storage Blob Data Reader", "Storage Blob Data Contributor", "Storage Blob Data Owner", "Reader and Data Access"}

exportable(account) if {
	account.kind == "azurerm_storage_account"
	some grant in tf.resources(inv, "azurerm_role_assignment")
	tf.links(grant, "scope", account)
	grant.object.role_definition_name in azure_reader_roles
}

# A call of the platform's storage module (modules/storage) that names the client's
# auditors: the module refuses a store without them, and the provider folder grants them
# access in its own terms (a MinIO group policy on bare metal).
exportable(store) if {
	some call in tf.resources(inv, "terraform_module")
	tf.links(call, "bucket_id", store)
	principals := object.get(call.object, "export_principals", [])
	is_string(principals)
	count(principals) > 0
}

exportable(store) if {
	some call in tf.resources(inv, "terraform_module")
	tf.links(call, "bucket_id", store)
	principals := object.get(call.object, "export_principals", [])
	is_array(principals)
	count(principals) > 0
}

export_hint := {
	"aws_s3_bucket": "an aws_s3_bucket_policy that allows the client's auditors s3:GetObject and s3:ListBucket",
	"google_storage_bucket": "a google_storage_bucket_iam_member with roles/storage.objectViewer for the client's auditors",
	"azurerm_storage_account": "an azurerm_role_assignment of Storage Blob Data Reader on the account for the client's auditors",
}

violation contains v if {
	some store in audit_stores
	not exportable(store)
	v := {
		"msg": sprintf("%s holds audit logs that the client cannot export: no grant gives the client's auditors read access; add %s", [tf.address(store), export_hint[store.kind]]),
		"resource": store.id,
		"evidence": {"read_grants": []},
	}
}
