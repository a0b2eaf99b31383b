package kaze.secrets.no_committed_secrets_test

import rego.v1

import data.kaze.secrets.no_committed_secrets

repository := {"scopes": {"iac": true, "admission": false}, "resources": {}}

admission := {"scopes": {"iac": false, "admission": true}, "resources": {}}

# Fake values, built so that no credential-looking literal sits in this file.
fake_key := concat("", ["sk-ant-", "FIXTURE", "-not-a-real-key-0000"])

fake_github := concat("", ["ghp_", "FIXTURE0123456789abcdefghijklmnopqrstu"])

check(obj) := vs if {
	vs := no_committed_secrets.violation with input as {"id": "x", "object": obj} with data.inventory as repository
}

# No finding may carry a value.
leaks(vs, value) if {
	some v in vs
	contains(json.marshal(v), value)
}

secret(fields) := object.union({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "tenant-acme"}}, fields)

test_secret_with_data_fails_in_a_repository if {
	vs := check(secret({"data": {"password": "Zml4dHVyZQ==", "username": "a2F6ZQ=="}}))
	count(vs) == 1
	some v in vs
	v.evidence.keys == ["password", "username"]
	not leaks(vs, "Zml4dHVyZQ==")
}

test_secret_with_string_data_fails if {
	vs := check(secret({"stringData": {"api-key": fake_key}}))
	count(vs) == 1
	not leaks(vs, fake_key)
}

test_secret_without_values_passes if {
	count(check(secret({}))) == 0
	count(check(secret({"data": {}}))) == 0
	count(check(secret({"data": {"token": ""}}))) == 0
}

test_secret_at_admission_is_left_to_its_controller if {
	s := secret({"data": {"tls.key": "Zml4dHVyZQ=="}})
	count(no_committed_secrets.violation) == 0 with input as {"id": "x", "object": s} with data.inventory as admission
}

deployment(env, args) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "agent", "namespace": "tenant-acme"}, "spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "i", "env": env, "args": args}]}}}}

test_literal_api_key_in_env_fails if {
	vs := check(deployment([{"name": "ANTHROPIC_API_KEY", "value": fake_key}], []))
	count(vs) == 1
	not leaks(vs, fake_key)
}

test_literal_credential_in_env_fails_at_admission_too if {
	d := deployment([{"name": "DB_PASSWORD", "value": "Fixture-Passw0rd"}], [])
	count(no_committed_secrets.violation) == 1 with input as {"id": "x", "object": d} with data.inventory as admission
}

test_references_and_non_credentials_pass if {
	env := [
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
	count(check(deployment(env, []))) == 0
}

test_name_ending_in_secret_with_a_real_value_fails if {
	count(check(deployment([{"name": "JWT_SECRET", "value": "Fixture+Secret/Value=="}], []))) == 1
}

test_known_format_under_any_name_fails if {
	vs := check(deployment([{"name": "GH", "value": fake_github}], []))
	some v in vs
	v.evidence.finding == "holds a GitHub token"
	not leaks(vs, fake_github)
}

test_flags_with_credentials_fail if {
	count(check(deployment([], ["--db-password=Fixture-Passw0rd"]))) == 1
	count(check(deployment([], ["--token", "Fixture-T0ken-Value"]))) == 1
	count(check(deployment([], ["--token-file=/var/run/token", "--tls-key=/etc/tls/tls.key", "--verbose"]))) == 0
}

test_url_with_inline_password_fails if {
	vs := check(deployment([{"name": "DATABASE_URL", "value": "postgres://kaze:Fixture-Passw0rd@db:5432/kaze"}], []))
	count(vs) == 1
	not leaks(vs, "Fixture-Passw0rd")
	count(check(deployment([{"name": "DATABASE_URL", "value": "postgres://kaze:$(PGPASSWORD)@db:5432/kaze"}], []))) == 0
}

configmap(values) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "tenant-acme"}, "data": values}

test_configmap_with_credential_key_fails if {
	vs := check(configmap({"apiKey": "Fixture-Key-Value", "log_level": "info"}))
	count(vs) == 1
	some v in vs
	v.evidence.key == "apiKey"
}

test_configmap_with_private_key_fails if {
	pem := concat("", ["-----BEGIN RSA PRIVATE ", "KEY-----\nFIXTURE\n-----END RSA PRIVATE KEY-----\n"])
	count(check(configmap({"tls.pem": pem}))) == 1
}

test_plain_configmap_passes if {
	config := "storage \"raft\" {\n  path = \"/vault/data\"\n}\nseal \"awskms\" {\n  kms_key_id = \"alias/kaze\"\n}\n"
	count(check(configmap({"vault.hcl": config, "token_ttl": "3600", "secret_name": "agent-tls"}))) == 0
}

# Terraform: the inventory says which resource type the object is.
terraform(kind, obj) := vs if {
	inv := object.union(repository, {"resources": {"tf": {"id": "tf", "kind": kind, "name": "x", "apiVersion": "terraform", "object": obj}}})
	vs := no_committed_secrets.violation with input as {"id": "tf", "object": obj} with data.inventory as inv
}

test_terraform_literal_password_fails if {
	vs := terraform("aws_db_instance", {"username": "kaze", "password": "Fixture-Passw0rd"})
	count(vs) == 1
	not leaks(vs, "Fixture-Passw0rd")
}

test_terraform_expressions_and_flags_pass if {
	count(terraform("aws_db_instance", {"password": "${var.db_password}", "manage_master_user_password": true})) == 0
	count(terraform("aws_db_instance", {"password": "${random_password.db.result}"})) == 0
}

test_terraform_provider_keys_fail if {
	vs := terraform("terraform_provider", {"region": "eu-west-1", "access_key": "FIXTUREACCESSKEY", "secret_key": "Fixture/Secret+Key"})
	count(vs) == 2
}

test_terraform_nested_block_fails if {
	vs := terraform("azurerm_kubernetes_cluster", {"windows_profile": [{"admin_username": "kaze", "admin_password": "Fixture-Passw0rd"}]})
	some v in vs
	v.evidence.attribute == "windows_profile.admin_password"
}

test_terraform_secret_values_fail if {
	count(terraform("kubernetes_secret_v1", {"metadata": [{"name": "s"}], "data": {"url": "Fixture"}})) == 1
	count(terraform("aws_secretsmanager_secret_version", {"secret_id": "${aws_secretsmanager_secret.x.id}", "secret_string": "Fixture"})) == 1
	count(terraform("aws_secretsmanager_secret_version", {"secret_id": "${aws_secretsmanager_secret.x.id}", "secret_string": "${random_password.x.result}"})) == 0
	count(terraform("aws_ssm_parameter", {"type": "SecureString", "value": "Fixture"})) == 1
	count(terraform("aws_ssm_parameter", {"type": "String", "value": "eu-west-1"})) == 0
}

test_terraform_name_value_pairs_fail if {
	vs := terraform("helm_release", {"set": [{"name": "auth.password", "value": "Fixture"}, {"name": "replicas", "value": "2"}]})
	count(vs) == 1
}

test_terraform_variable_defaults if {
	count(terraform("terraform_variable", {"type": "string", "sensitive": true, "default": "Fixture"})) == 1
	count(terraform("terraform_variable", {"type": "string", "default": "eu-west-1"})) == 0
}

test_terraform_variable_named_like_a_credential if {
	inv := object.union(repository, {"resources": {"tf": {"id": "tf", "kind": "terraform_variable", "name": "db_password", "apiVersion": "terraform", "object": {"default": "Fixture"}}}})
	count(no_committed_secrets.violation) == 1 with input as {"id": "tf", "object": {"default": "Fixture"}} with data.inventory as inv
}

test_credential_name_words if {
	no_committed_secrets.credential_name("ANTHROPIC_API_KEY")
	no_committed_secrets.credential_name("clientSecret")
	no_committed_secrets.credential_name("db-pass")
	no_committed_secrets.credential_name("auth.password")
	not no_committed_secrets.credential_name("AWS_ACCESS_KEY_ID")
	not no_committed_secrets.credential_name("BYPASS")
	not no_committed_secrets.credential_name("token_ttl")
	not no_committed_secrets.credential_name("secret_name")
	not no_committed_secrets.credential_name("passwordPolicy")
}

test_client_secret_is_never_read_as_a_secret_name if {
	count(check(deployment([{"name": "OIDC_CLIENT_SECRET", "value": "fixturevalue"}], []))) == 1
	count(check(configmap({"clientSecret": "fixturevalue"}))) == 1
}
