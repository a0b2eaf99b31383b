# METADATA
# title: What a credential looks like
# description: >-
#   The detectors of KZ-SEC-04 (no committed secrets): names that say credential, values
#   that are not one written out (paths, URLs, references, placeholders, booleans, numbers)
#   and the well-known credential formats. Functions of a value only: cheap enough for
#   per-object rules.
package kaze.lib.secret_patterns

import rego.v1

# The last word of a name that says credential, or the last two.
_credential_words := concat("|", [
	`password|passwd|passphrase|pwd|pass|secret|token|apikey|credentials?|jwt`,
	`(api|access|secret|private|client|auth|signing|encryption|master|account)[_.\-]?key`,
	`client[_.\-]?secret`,
])

# METADATA
# title: credential_name
# description: >-
#   The last word (or two) of the name says credential: snake, kebab, dotted, camelCase or
#   SCREAMING_CASE.
credential_name(name) if {
	is_string(name)
	words := regex.replace(name, `([a-z0-9])([A-Z])`, "${1}_${2}")
	regex.match(sprintf(`(?i)(^|[_.\-/])(%s)$`, [_credential_words]), words)
}

# A name that ends in "secret" alone often names a Kubernetes Secret rather than holding one.
_names_a_secret_object(name, value) if {
	regex.match(`(?i)(^|[_.\-])secret$`, name)
	not regex.match(`(?i)client[_.\-]secret$`, name)
	regex.match(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`, value)
}

# METADATA
# title: not_literal
# description: >-
#   The value is not a credential written out: empty, a path, a URL (without an inline
#   password) or a reference to a secret store, a placeholder expanded elsewhere ($(VAR),
#   ${…}, {{…}}), a boolean or a number.
# scope: document
not_literal(value) if trim_space(value) == ""

not_literal(value) if regex.match(`^(/|\./|~/|file:)`, value)

not_literal(value) if contains(value, "$(")

not_literal(value) if contains(value, "${")

not_literal(value) if contains(value, "{{")

not_literal(value) if {
	regex.match(`(?i)^(true|false|yes|no|on|off|enabled|disabled|none|null|required|optional)$`, value)
}

not_literal(value) if regex.match(`^[0-9]+$`, value)

# A URL or a reference to a secret store (a URL with an inline password is a finding).
not_literal(value) if {
	regex.match(`^[A-Za-z][A-Za-z0-9+.\-]*://`, value)
	not inline_password(value)
}

not_literal(value) if {
	regex.match(`^(arn:aws[a-z-]*:|projects/[^/]+/secrets/|ref\+|vault:|awssm:|gcpsm:|azkv:)`, value)
}

# METADATA
# title: inline_password
# description: The value holds a URL with a password in it (scheme://user:password@host).
inline_password(value) if regex.match(`[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]+:[^/\s@$]+@`, value)

# METADATA
# title: credential_formats
# description: Formats that are a credential whatever the name around them, by what they are.
credential_formats := {
	"a PEM private key": `-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----`,
	"an AWS access key id": `(^|[^A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Za-z0-9]|$)`,
	"an Anthropic API key": `(^|[^A-Za-z0-9])sk-ant-[A-Za-z0-9_\-]{8,}`,
	"an OpenAI API key": `(^|[^A-Za-z0-9])sk-(proj-)?[A-Za-z0-9]{20,}`,
	"a Stripe secret key": `(^|[^A-Za-z0-9])(sk|rk)_live_[A-Za-z0-9]{16,}`,
	"a GitHub token": `(^|[^A-Za-z0-9])(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`,
	"a GitLab token": `(^|[^A-Za-z0-9])glpat-[A-Za-z0-9_\-]{20,}`,
	"a Slack token": `(^|[^A-Za-z0-9])xox[abposr]-[A-Za-z0-9\-]{10,}`,
	"a Google API key": `(^|[^A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}`,
	"a Vault token": `(^|[^A-Za-z0-9])hv[sbr]\.[A-Za-z0-9_\-]{24,}`,
	"a URL with an inline password": `[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]+:[^/\s@$]+@`,
}

# METADATA
# title: formats_in
# description: >-
#   The credential formats (their descriptions in credential_formats) found in the value;
#   empty for a value that is not a string.
formats_in(value) := {what |
	is_string(value)
	some what, pattern in credential_formats
	regex.match(pattern, value)
}

# METADATA
# title: literal_credential
# description: >-
#   A credential-named setting written out: the name says credential and the value is a
#   literal string, not a Kubernetes object name under a name whose last word is secret. The
#   value never leaves here.
literal_credential(name, value) if {
	credential_name(name)
	is_string(value)
	not not_literal(value)
	not _names_a_secret_object(name, value)
}
