# METADATA
# title: No secret value is committed in Kubernetes manifests or Terraform
# description: >-
#   A value in a repository is in every clone, fork, CI log and backup, forever: it cannot
#   be rotated away, and whoever reads the repository holds the credential. Secrets come
#   from Vault (External Secrets, the Vault agent, a projected volume) or from the cloud's
#   secret manager, and manifests only reference them. The control finds, in a repository: a
#   Kubernetes Secret with a non-empty value in data or stringData (base64 is an encoding,
#   not encryption; a Secret without values, filled by the control plane or an operator, is
#   fine; at admission, Secrets are left to the controllers that fill them). In workloads
#   (and at admission) and ConfigMaps: an env value, a command-line flag or a ConfigMap key
#   whose name says credential (the last word of the name is password, passwd, passphrase,
#   pwd, pass, secret, token, apikey, credential(s) or jwt, or the last two are api/access/
#   secret/private/client/auth/signing/encryption/master/account key or client secret;
#   NAME_ID, _FILE, _PATH, _URL and the like are not) set to a literal, that is, not a path,
#   a URL, a $(VAR) or ${…} reference, a boolean or a number, nor, for a name whose last
#   word is secret (not client secret), a lowercase Kubernetes object name (the Secret it
#   names); and, in any value, a well-known credential format (a PEM private key, an AWS
#   access key id, Anthropic, OpenAI, Stripe, GitHub, GitLab, Slack or Google API keys, a
#   Vault token, a URL with an inline password). In Terraform (providers, modules, variable
#   defaults and the resource types that take a credential, listed in kinds): an attribute,
#   map key or name/value pair with a credential name set to a literal string (an expression
#   `${…}` is not one), a literal in an attribute that holds a secret value (secret_string,
#   secret_data, data_json, a kubernetes_secret's data…), and the credential formats above.
#   Findings name the attribute or key, never its value.
# custom:
#   id: KZ-SEC-04
#   severity: high
#   scopes: [iac, admission]
#   kinds:
#     - Secret
#     - ConfigMap
#     - Pod
#     - Deployment
#     - StatefulSet
#     - DaemonSet
#     - ReplicaSet
#     - Job
#     - CronJob
#     - ReplicationController
#     - terraform_provider
#     - terraform_module
#     - terraform_variable
#     - aws_db_instance
#     - aws_rds_cluster
#     - aws_docdb_cluster
#     - aws_redshift_cluster
#     - aws_redshiftserverless_namespace
#     - aws_elasticache_replication_group
#     - aws_elasticache_user
#     - aws_memorydb_user
#     - aws_mq_broker
#     - aws_opensearch_domain
#     - aws_elasticsearch_domain
#     - aws_dms_endpoint
#     - aws_directory_service_directory
#     - aws_lightsail_database
#     - aws_secretsmanager_secret_version
#     - aws_ssm_parameter
#     - aws_lambda_function
#     - google_sql_user
#     - google_sql_database_instance
#     - google_secret_manager_secret_version
#     - google_container_cluster
#     - google_cloud_run_service
#     - google_cloud_run_v2_service
#     - google_cloudfunctions_function
#     - google_cloudfunctions2_function
#     - azurerm_postgresql_flexible_server
#     - azurerm_postgresql_server
#     - azurerm_mysql_flexible_server
#     - azurerm_mssql_server
#     - azurerm_linux_virtual_machine
#     - azurerm_windows_virtual_machine
#     - azurerm_linux_virtual_machine_scale_set
#     - azurerm_windows_virtual_machine_scale_set
#     - azurerm_kubernetes_cluster
#     - azurerm_key_vault_secret
#     - azurerm_container_group
#     - azurerm_linux_web_app
#     - azurerm_windows_web_app
#     - azurerm_linux_function_app
#     - azurerm_windows_function_app
#     - kubernetes_secret
#     - kubernetes_secret_v1
#     - kubernetes_config_map
#     - kubernetes_config_map_v1
#     - kubernetes_deployment
#     - kubernetes_deployment_v1
#     - kubernetes_stateful_set
#     - kubernetes_stateful_set_v1
#     - kubernetes_daemonset
#     - kubernetes_daemon_set_v1
#     - kubernetes_job
#     - kubernetes_job_v1
#     - kubernetes_cron_job
#     - kubernetes_cron_job_v1
#     - kubernetes_pod
#     - kubernetes_pod_v1
#     - helm_release
#     - vault_generic_secret
#     - vault_kv_secret
#     - vault_kv_secret_v2
#     - vault_database_secret_backend_connection
#     - vault_kubernetes_auth_backend_config
#     - vault_jwt_auth_backend
#     - vault_ldap_auth_backend
#     - vault_approle_auth_backend_role_secret_id
#   reference: "docs/requirements.md#secrets; docs/requirements.md#credential-lifecycle"
#   remediation: >-
#     Remove the value from the repository and rotate it (it is in the history). Keep it in
#     Vault and reference it: an ExternalSecret (or the Vault agent) creates the Secret, a
#     container reads it through env valueFrom.secretKeyRef or a mounted file, and Terraform
#     takes it from a sensitive variable set by the pipeline, from the provider's environment
#     (AWS_*, GOOGLE_*, ARM_*), or lets the service manage it (RDS
#     manage_master_user_password, IAM database authentication).
#   frameworks:
#     soc2: [CC6.1]
#     iso27001: [A.5.17, A.8.4, A.8.12]
#     nist80053: [IA-5(7), SC-28]
#     cis_kubernetes: ["5.4.1", "5.4.2"]
package kaze.secrets.no_committed_secrets

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.secret_patterns
import data.kaze.lib.terraform as tf

# What a credential looks like (names, literals, formats): kaze.lib.secret_patterns.

violation contains v if {
	_kubernetes
	_in_repository
	input.object.kind == "Secret"
	some field in ["data", "stringData"]
	keys := _secret_keys(field)
	count(keys) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s carries literal values in %s (keys %s): remove them from the repository, rotate them, ",
				"and let an ExternalSecret (or the operator that owns it) fill the Secret from Vault",
			]),
			[_describe, field, concat(", ", keys)],
		),
		"resource": input.id,
		"evidence": {
			"field": field,
			"keys": keys,
			"type": object.get(input.object, "type", "Opaque"),
			"field_path": [field, keys[0]],
		},
	}
}

violation contains v if {
	some f in _workload_findings
	v := {
		"msg": sprintf(
			concat("", [
				"%s: %s %s, a credential in the manifest: read it from a Secret ",
				"(env valueFrom.secretKeyRef or a mounted file) that Vault fills",
			]),
			[_describe, f.where, f.why],
		),
		"resource": input.id,
		"evidence": {"where": f.where, "finding": f.why, "field_path": f.path},
	}
}

violation contains v if {
	some f in _configmap_findings
	v := {
		"msg": sprintf(
			concat("", [
				"%s: key %s %s, a credential in a ConfigMap (which anyone who may read the namespace's configuration ",
				"reads): move it to a Secret that Vault fills and reference that",
			]),
			[_describe, f.key, f.why],
		),
		"resource": input.id,
		"evidence": {"key": f.key, "finding": f.why, "field_path": f.path},
	}
}

violation contains v if {
	some f in _terraform_findings
	v := {
		"msg": sprintf(
			concat("", [
				"%s: %s %s, a credential committed in Terraform: take it from a sensitive variable set by the ",
				"pipeline, from the provider's environment, or let the service manage it, and rotate it",
			]),
			[_address, f.attribute, f.why],
		),
		"resource": input.id,
		"evidence": {"attribute": f.attribute, "finding": f.why},
	}
}

# "holds <the formats found>", for a value that holds credential formats.
_holds(formats) := sprintf("holds %s", [concat(" and ", sort(formats))])

# ---------------------------------------------------------------------------------------
# Kubernetes

_terraform_resource := r if {
	r := data.inventory.resources[input.id]
	r.apiVersion == "terraform"
}

_kubernetes if {
	not _terraform_resource
	is_string(input.object.kind)
}

_in_repository if data.inventory.scopes.iac == true

_describe := sprintf("%s %s/%s", [input.object.kind, k8s.namespace(input.object), k8s.name(input.object)]) if {
	input.object.metadata.namespace
}

_describe := sprintf("%s %s", [input.object.kind, k8s.name(input.object)]) if {
	not input.object.metadata.namespace
}

_secret_keys(field) := sort([key |
	some key, value in object.get(input.object, field, {})
	is_string(value)
	trim_space(value) != ""
])

# Workloads: env values and command-line flags of every container.
_containers := k8s.containers(k8s.pod_spec(input.object)) if {
	_kubernetes
	input.object.kind in k8s.workload_kinds
}

# _in_container is the path of a field of container c (by its name: the first of that name).
_in_container(c, rest) := k8s.below(k8s.container_path(input.object, c.name), rest)

_workload_findings contains finding if {
	some c in _containers
	some i, e in object.get(c, "env", [])
	secret_patterns.literal_credential(e.name, object.get(e, "value", ""))
	finding := {
		"where": sprintf("container %s env %s", [c.name, e.name]),
		"why": "is set to a literal value",
		"path": _in_container(c, ["env", i, "value"]),
	}
}

_workload_findings contains finding if {
	some c in _containers
	some i, e in object.get(c, "env", [])
	not secret_patterns.literal_credential(e.name, object.get(e, "value", ""))
	formats := secret_patterns.formats_in(object.get(e, "value", ""))
	count(formats) > 0
	finding := {
		"where": sprintf("container %s env %s", [c.name, e.name]),
		"why": _holds(formats),
		"path": _in_container(c, ["env", i, "value"]),
	}
}

# --flag=value
_workload_findings contains finding if {
	some c in _containers
	some field in ["command", "args"]
	some i, arg in object.get(c, field, [])
	is_string(arg)
	regex.match(`^--?[A-Za-z0-9][A-Za-z0-9_.\-]*=`, arg)
	flag := split(arg, "=")[0]
	secret_patterns.literal_credential(trim_left(flag, "-"), substring(arg, count(flag) + 1, -1))
	finding := {
		"where": sprintf("container %s %s flag %s", [c.name, field, flag]),
		"why": "is set to a literal value",
		"path": _in_container(c, [field, i]),
	}
}

# --flag value
_workload_findings contains finding if {
	some c in _containers
	some field in ["command", "args"]
	args := object.get(c, field, [])
	some i, flag in args
	is_string(flag)
	regex.match(`^--?[A-Za-z0-9][A-Za-z0-9_.\-]*$`, flag)
	i + 1 < count(args)
	value := args[i + 1]
	is_string(value)
	not startswith(value, "-")
	secret_patterns.literal_credential(trim_left(flag, "-"), value)
	finding := {
		"where": sprintf("container %s %s flag %s", [c.name, field, flag]),
		"why": "is set to a literal value",
		"path": _in_container(c, [field, i + 1]),
	}
}

_workload_findings contains finding if {
	some c in _containers
	some field in ["command", "args"]
	formats := union({secret_patterns.formats_in(arg) | some arg in object.get(c, field, [])})
	count(formats) > 0
	finding := {
		"where": sprintf("container %s %s", [c.name, field]),
		"why": _holds(formats),
		"path": _in_container(c, [field]),
	}
}

# ConfigMaps: credential-named keys with literal values, and credential formats anywhere.
_configmap_findings contains {"key": key, "why": "is set to a literal value", "path": ["data", key]} if {
	_kubernetes
	input.object.kind == "ConfigMap"
	some key, value in object.get(input.object, "data", {})
	secret_patterns.literal_credential(key, value)
}

_configmap_findings contains {"key": key, "why": _holds(formats), "path": ["data", key]} if {
	_kubernetes
	input.object.kind == "ConfigMap"
	some key, value in object.get(input.object, "data", {})
	not secret_patterns.literal_credential(key, value)
	formats := secret_patterns.formats_in(value)
	count(formats) > 0
}

# ---------------------------------------------------------------------------------------
# Terraform

_address := sprintf("%s.%s", [_terraform_resource.kind, _terraform_resource.name])

# Attributes that hold a secret value whatever their name.
_secret_value_attributes := {
	"aws_secretsmanager_secret_version": {"secret_string", "secret_binary"},
	"google_secret_manager_secret_version": {"secret_data"},
	"azurerm_key_vault_secret": {"value"},
	"vault_generic_secret": {"data_json"},
	"vault_kv_secret": {"data_json"},
	"vault_kv_secret_v2": {"data_json"},
	"vault_ldap_auth_backend": {"bindpass"},
	"vault_approle_auth_backend_role_secret_id": {"secret_id"},
}

# Maps whose every value is a secret value.
_secret_maps := {
	"kubernetes_secret": {"data", "binary_data"},
	"kubernetes_secret_v1": {"data", "binary_data"},
	"azurerm_container_group": {"secure_environment_variables"},
}

# The dotted path of an attribute inside a resource (block indexes dropped).
_attribute_path(path) := concat(".", [p | some p in path; is_string(p)])

# The name a value is set under: its key, or for a list item, the list's key.
_value_name(path) := path[count(path) - 1] if is_string(path[count(path) - 1])

_value_name(path) := path[count(path) - 2] if {
	is_number(path[count(path) - 1])
	count(path) > 1
}

_terraform_findings contains {"attribute": _attribute_path(path), "why": "is set to a literal string"} if {
	_terraform_resource.kind != "terraform_variable"
	walk(input.object, [path, value])
	is_string(value)
	secret_patterns.literal_credential(_value_name(path), value)
}

# {name = "...", value = "..."} pairs: env blocks, helm set / set_sensitive, app settings.
_terraform_findings contains finding if {
	_terraform_resource
	walk(input.object, [path, pair])
	is_object(pair)
	is_string(pair.name)
	secret_patterns.literal_credential(pair.name, object.get(pair, "value", ""))
	finding := {
		"attribute": sprintf("%s (%s)", [_attribute_path(path), pair.name]),
		"why": "is set to a literal string",
	}
}

_terraform_findings contains {"attribute": _attribute_path(path), "why": "holds a secret value written out"} if {
	some attribute in object.get(_secret_value_attributes, _terraform_resource.kind, set())
	walk(input.object, [path, value])
	path[0] == attribute
	is_string(value)
	not secret_patterns.not_literal(value)
}

_terraform_findings contains finding if {
	some attribute in object.get(_secret_maps, _terraform_resource.kind, set())
	some block in _maps_of(input.object[attribute])
	some key, value in block
	is_string(value)
	not secret_patterns.not_literal(value)
	finding := {"attribute": sprintf("%s.%s", [attribute, key]), "why": "holds a secret value written out"}
}

# An SSM parameter is a secret when its type says so.
_terraform_findings contains {"attribute": "value", "why": "holds a SecureString value written out"} if {
	_terraform_resource.kind == "aws_ssm_parameter"
	input.object.type == "SecureString"
	is_string(input.object.value)
	not secret_patterns.not_literal(input.object.value)
}

# helm_release set_sensitive: sensitive by definition.
_terraform_findings contains finding if {
	_terraform_resource.kind == "helm_release"
	some s in _maps_of(object.get(input.object, "set_sensitive", []))
	is_string(object.get(s, "value", null))
	not secret_patterns.not_literal(s.value)
	finding := {
		"attribute": sprintf("set_sensitive (%v)", [object.get(s, "name", "?")]),
		"why": "is set to a literal string",
	}
}

_terraform_findings contains {"attribute": _attribute_path(path), "why": _holds(formats)} if {
	_terraform_resource
	walk(input.object, [path, value])
	not secret_patterns.literal_credential(_value_name(path), value)
	formats := secret_patterns.formats_in(value)
	count(formats) > 0
}

# A variable whose default is a credential: named like one, or declared sensitive.
_terraform_findings contains finding if {
	_terraform_resource.kind == "terraform_variable"
	_credential_variable(_terraform_resource)
	is_string(input.object["default"])
	not secret_patterns.not_literal(input.object["default"])
	finding := {"attribute": "default", "why": "is a literal default of a variable that holds a credential"}
}

_credential_variable(r) if secret_patterns.credential_name(r.name)

_credential_variable(_) if tf.as_bool(input.object.sensitive) == true

_maps_of(value) := [value] if is_object(value)

_maps_of(value) := [m | some m in value; is_object(m)] if is_array(value)

_maps_of(value) := [] if {
	not is_object(value)
	not is_array(value)
}
