package kaze.secrets.no_committed_secrets_test

import rego.v1

import data.kaze.secrets.no_committed_secrets
import data.kaze.testing.inventory

repository := {"scopes": {"iac": true, "admission": false}, "resources": {}}

admission := {"scopes": {"iac": false, "admission": true}, "resources": {}}

# Fake values, built so that no credential-looking literal sits in this file.
fake_key := concat("", ["sk-ant-", "FIXTURE", "-not-a-real-key-0000"])

fake_github := concat("", ["ghp_", "FIXTURE0123456789abcdefghijklmnopqrstu"])

fake_pem := concat("", ["-----BEGIN RSA PRIVATE ", "KEY-----\nFIXTURE\n-----END RSA PRIVATE KEY-----\n"])

# No finding may carry a value.
_leaks(vs, value) if {
	some v in vs
	contains(json.marshal(v), value)
}

_secret(fields) := object.union(
	{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "tenant-acme"}},
	fields,
)

_deployment(env, args) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "agent", "namespace": "tenant-acme"},
	"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "i", "env": env, "args": args}]}}},
}

_configmap(values) := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": {"name": "c", "namespace": "tenant-acme"},
	"data": values,
}

_references_and_non_credentials := [
	{"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "anthropic-key", "key": "api-key"}}},
	{"name": "ANTHROPIC_API_KEY_FILE", "value": "/var/run/secrets/kaze/anthropic-key"},
	{"name": "AWS_ACCESS_KEY_ID", "value": "not-a-secret-id"},
	{"name": "VAULT_TOKEN_PATH", "value": "/var/run/secrets/vault/token"},
	{"name": "DB_PASSWORD", "value": "$(PGPASSWORD)"},
	{"name": "REQUIRE_TOKEN", "value": "true"},
	{"name": "MAX_TOKENS", "value": "4096"},
	{"name": "TLS_SECRET", "value": "agent-tls"},
	{"name": "OAUTH_TOKEN", "value": "https://sso.example/token"},
	{"name": "PWD", "value": "/workspace"},
]

_plain_config := concat("", [
	"storage \"raft\" {\n  path = \"/vault/data\"\n}\n",
	"seal \"awskms\" {\n  kms_key_id = \"alias/kaze\"\n}\n",
])

# Kubernetes objects in a repository: how many findings, and the value none of them may carry.
test_kubernetes_in_a_repository[name] if {
	some name, [obj, want, value] in {
		"secret with data": [_secret({"data": {"password": "Zml4dHVyZQ==", "username": "a2F6ZQ=="}}), 1, "Zml4dHVyZQ=="],
		"secret with stringData": [_secret({"stringData": {"api-key": fake_key}}), 1, fake_key],
		"secret without values": [_secret({}), 0, ""],
		"secret with empty data": [_secret({"data": {}}), 0, ""],
		"secret with an empty value": [_secret({"data": {"token": ""}}), 0, ""],
		"literal api key in env": [_deployment([{"name": "ANTHROPIC_API_KEY", "value": fake_key}], []), 1, fake_key],
		"references and non-credentials": [_deployment(_references_and_non_credentials, []), 0, ""],
		"name ending in secret with a real value": [
			_deployment([{"name": "JWT_SECRET", "value": "Fixture+Secret/Value=="}], []),
			1, "Fixture+Secret/Value==",
		],
		"known format under any name": [_deployment([{"name": "GH", "value": fake_github}], []), 1, fake_github],
		"flag=value": [_deployment([], ["--db-password=Fixture-Passw0rd"]), 1, "Fixture-Passw0rd"],
		"flag value": [_deployment([], ["--token", "Fixture-T0ken-Value"]), 1, "Fixture-T0ken-Value"],
		"flags without credentials": [
			_deployment([], ["--token-file=/var/run/token", "--tls-key=/etc/tls/tls.key", "--verbose"]),
			0, "",
		],
		"url with an inline password": [
			_deployment([{"name": "DATABASE_URL", "value": "postgres://kaze:Fixture-Passw0rd@db:5432/kaze"}], []),
			1, "Fixture-Passw0rd",
		],
		"url with a reference": [
			_deployment([{"name": "DATABASE_URL", "value": "postgres://kaze:$(PGPASSWORD)@db:5432/kaze"}], []),
			0, "",
		],
		"client secret in env": [
			_deployment([{"name": "OIDC_CLIENT_SECRET", "value": "fixturevalue"}], []),
			1, "fixturevalue",
		],
		"configmap credential key": [
			_configmap({"apiKey": "Fixture-Key-Value", "log_level": "info"}),
			1, "Fixture-Key-Value",
		],
		"configmap private key": [_configmap({"tls.pem": fake_pem}), 1, "FIXTURE"],
		"configmap client secret": [_configmap({"clientSecret": "fixturevalue"}), 1, "fixturevalue"],
		"plain configmap": [
			_configmap({"vault.hcl": _plain_config, "token_ttl": "3600", "secret_name": "agent-tls"}),
			0, "",
		],
	}
	review := {"id": "x", "object": obj}
	vs := no_committed_secrets.violation with input as review with data.inventory as repository
	count(vs) == want
	not _leaks_any(vs, value)
}

# An empty value stands for none: every finding would contain it.
_leaks_any(vs, value) if {
	value != ""
	_leaks(vs, value)
}

test_secret_keys_are_the_evidence if {
	obj := _secret({"data": {"password": "Zml4dHVyZQ==", "username": "a2F6ZQ=="}})
	vs := no_committed_secrets.violation with input as {"id": "x", "object": obj} with data.inventory as repository
	some v in vs
	v.evidence.keys == ["password", "username"]
}

test_known_format_is_named if {
	obj := _deployment([{"name": "GH", "value": fake_github}], [])
	vs := no_committed_secrets.violation with input as {"id": "x", "object": obj} with data.inventory as repository
	some v in vs
	v.evidence.finding == "holds a GitHub token"
}

test_configmap_key_is_the_evidence if {
	obj := _configmap({"apiKey": "Fixture-Key-Value", "log_level": "info"})
	vs := no_committed_secrets.violation with input as {"id": "x", "object": obj} with data.inventory as repository
	some v in vs
	v.evidence.key == "apiKey"
}

test_secret_at_admission_is_left_to_its_controller if {
	s := _secret({"data": {"tls.key": "Zml4dHVyZQ=="}})
	count(no_committed_secrets.violation) == 0 with input as {"id": "x", "object": s} with data.inventory as admission
}

test_literal_credential_in_env_fails_at_admission_too if {
	d := _deployment([{"name": "DB_PASSWORD", "value": "Fixture-Passw0rd"}], [])
	count(no_committed_secrets.violation) == 1 with input as {"id": "x", "object": d} with data.inventory as admission
}

# Terraform: the inventory says which resource type the object is.
_terraform_inventory(kind, name) := object.union(
	inventory.of([inventory.resource(kind, null, name, {"apiVersion": "terraform"})]),
	{"scopes": repository.scopes},
)

test_terraform[name] if {
	some name, [kind, obj, want] in {
		"literal password": ["aws_db_instance", {"username": "kaze", "password": "Fixture-Passw0rd"}, 1],
		"expression and flag": [
			"aws_db_instance",
			{"password": "${var.db_password}", "manage_master_user_password": true}, 0,
		],
		"expression": ["aws_db_instance", {"password": "${random_password.db.result}"}, 0],
		"provider keys": [
			"terraform_provider",
			{"region": "eu-west-1", "access_key": "FIXTUREACCESSKEY", "secret_key": "Fixture/Secret+Key"}, 2,
		],
		"kubernetes secret data": ["kubernetes_secret_v1", {"metadata": [{"name": "s"}], "data": {"url": "Fixture"}}, 1],
		"secret string": [
			"aws_secretsmanager_secret_version",
			{"secret_id": "${aws_secretsmanager_secret.x.id}", "secret_string": "Fixture"}, 1,
		],
		"secret string from an expression": [
			"aws_secretsmanager_secret_version",
			{"secret_id": "${aws_secretsmanager_secret.x.id}", "secret_string": "${random_password.x.result}"}, 0,
		],
		"SecureString parameter": ["aws_ssm_parameter", {"type": "SecureString", "value": "Fixture"}, 1],
		"String parameter": ["aws_ssm_parameter", {"type": "String", "value": "eu-west-1"}, 0],
		"name/value pairs": [
			"helm_release",
			{"set": [{"name": "auth.password", "value": "Fixture"}, {"name": "replicas", "value": "2"}]}, 1,
		],
		"sensitive variable default": ["terraform_variable", {"type": "string", "sensitive": true, "default": "Fixture"}, 1],
		"plain variable default": ["terraform_variable", {"type": "string", "default": "eu-west-1"}, 0],
	}
	inv := _terraform_inventory(kind, "x")
	review := {"id": inventory.id_of(kind, null, "x"), "object": obj}
	vs := no_committed_secrets.violation with input as review with data.inventory as inv
	count(vs) == want
	not _leaks(vs, "Fixture")
}

test_terraform_nested_block_names_the_attribute if {
	obj := {"windows_profile": [{"admin_username": "kaze", "admin_password": "Fixture-Passw0rd"}]}
	inv := _terraform_inventory("azurerm_kubernetes_cluster", "x")
	review := {"id": "azurerm_kubernetes_cluster/x", "object": obj}
	vs := no_committed_secrets.violation with input as review with data.inventory as inv
	some v in vs
	v.evidence.attribute == "windows_profile.admin_password"
}

test_terraform_variable_named_like_a_credential if {
	inv := _terraform_inventory("terraform_variable", "db_password")
	review := {"id": "terraform_variable/db_password", "object": {"default": "Fixture"}}
	count(no_committed_secrets.violation) == 1 with input as review with data.inventory as inv
}
