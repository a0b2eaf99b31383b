package kaze.lib.secret_patterns_test

import rego.v1

import data.kaze.lib.secret_patterns as patterns

# Fake values, built so that no credential-looking literal sits in this file.
fake_key := concat("", ["sk-ant-", "FIXTURE", "-not-a-real-key-0000"])

fake_github := concat("", ["ghp_", "FIXTURE0123456789abcdefghijklmnopqrstu"])

fake_pem := concat("", ["-----BEGIN RSA PRIVATE ", "KEY-----\nFIXTURE\n-----END RSA PRIVATE KEY-----\n"])

fake_url := "postgres://kaze:Fixture-Passw0rd@db:5432/kaze"

test_credential_names[name] if {
	some name in {"ANTHROPIC_API_KEY", "clientSecret", "db-pass", "auth.password", "JWT_SECRET", "x-api-key"}
	patterns.credential_name(name)
}

test_not_credential_names[name] if {
	some name in {"AWS_ACCESS_KEY_ID", "BYPASS", "token_ttl", "secret_name", "passwordPolicy", "PWD_FILE"}
	not patterns.credential_name(name)
}

test_credential_name_of_a_non_string if {
	not patterns.credential_name(42)
}

test_not_literal[value] if {
	some value in {
		"", "  ", "/var/run/secrets/kaze/anthropic-key", "./token", "$(PGPASSWORD)", "${var.db_password}",
		"{{ .Values.password }}", "true", "Disabled", "4096", "https://sso.example/token",
		"arn:aws:secretsmanager:eu-west-1:000000000000:secret:kaze", "vault:secret/data/kaze#password",
	}
	patterns.not_literal(value)
}

test_literal[value] if {
	some value in {fake_url, "Fixture-Passw0rd", "agent-tls"}
	not patterns.not_literal(value)
}

test_inline_password if {
	patterns.inline_password(fake_url)
}

test_no_inline_password[value] if {
	some value in {"postgres://kaze:$(PGPASSWORD)@db:5432/kaze", "postgres://db:5432/kaze", "kaze@db"}
	not patterns.inline_password(value)
}

test_formats_in[name] if {
	some name, [value, want] in {
		"anthropic": [fake_key, {"an Anthropic API key"}],
		"github": [fake_github, {"a GitHub token"}],
		"pem": [fake_pem, {"a PEM private key"}],
		"url": [fake_url, {"a URL with an inline password"}],
		"plain": ["Fixture-Passw0rd", set()],
		"not a string": [42, set()],
	}
	patterns.formats_in(value) == want
}

test_every_format_has_a_pattern if {
	every what, pattern in patterns.credential_formats {
		is_string(what)
		is_string(pattern)
	}
}

test_literal_credentials[name] if {
	some name, [key, value] in {
		"literal password": ["DB_PASSWORD", "Fixture-Passw0rd"],
		"secret with a real value": ["JWT_SECRET", "Fixture+Secret/Value=="],
		"client secret is never a Secret name": ["OIDC_CLIENT_SECRET", "fixturevalue"],
	}
	patterns.literal_credential(key, value)
}

test_not_literal_credentials[name] if {
	some name, [key, value] in {
		"reference": ["DB_PASSWORD", "$(PGPASSWORD)"],
		"not a credential name": ["LOG_LEVEL", "Fixture-Passw0rd"],
		"not a string": ["DB_PASSWORD", 42],
		"names a Secret": ["TLS_SECRET", "agent-tls"],
	}
	not patterns.literal_credential(key, value)
}
