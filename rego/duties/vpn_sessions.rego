# METADATA
# title: Operator VPN sessions last at most 4 hours and require SSO
# description: >-
#   Speedrun operators reach a customer cell's dashboards over the cell's VPN only on demand:
#   every session starts with an SSO login (so it carries the operator's identity and the
#   identity provider's MFA and offboarding) and ends after at most 4 hours
#   (kaze-policy.yaml bounds.vpnSessionHours). A VPN that admits devices by static keys, or
#   whose sessions last longer or never expire, turns on-demand access into standing access.
#   Checked: the WireGuard gateway's configuration (auth, sessionMaxDuration), a headscale
#   control server (oidc, oidc.expiry, which defaults to 180 days) and AWS Client VPN endpoints
#   (federated authentication, session_timeout_hours, which defaults to 24).
# custom:
#   id: KZ-SOD-05
#   severity: medium
#   scopes: [iac]
#   reference: "docs/requirements.md#observability-in-a-customer-vpc; docs/requirements.md#operator-access"
#   remediation: >-
#     Require SSO for every VPN login (gateway auth: oidc with the SSO issuer; headscale: an
#     oidc section; AWS Client VPN: federated-authentication) and limit sessions to the bound
#     (gateway sessionMaxDuration: 4h; headscale oidc.expiry: 4h with use_expiry_from_token:
#     false). AWS Client VPN accepts no session shorter than 8 hours: use the cell's WireGuard
#     gateway instead.
#   frameworks:
#     soc2: [CC6.1, CC6.2]
#     iso27001: [A.8.5, A.8.2]
#     nist80053: [AC-12, AC-17, IA-2]
package kaze.duties.vpn_sessions

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s
import data.kaze.lib.naming
import data.kaze.lib.tenancy
import data.kaze.lib.terraform as tf

bound := object.get(tenancy.config, ["bounds", "vpnSessionHours"], 4)

not_applicable := "no operator VPN in this target (no WireGuard gateway or headscale configuration, no AWS Client VPN endpoint)" if {
	count(vpns) == 0
	count(errors) == 0
}

# ---------------------------------------------------------------------------------------
# The VPNs: {resource, what, product, session: {field, value, hours}, sso: {settings, on}}.
# hours is a number, 0 for never, or null when it cannot be known.

vpns := array.concat(array.concat(client_vpn_endpoints, headscale_servers), gateways)

client_vpn_endpoints := [vpn |
	some r in tf.resources(data.inventory, "aws_ec2_client_vpn_endpoint")
	timeout := object.get(r.object, "session_timeout_hours", 24)
	types := [t | some option in tf.blocks(r.object, "authentication_options"); t := object.get(option, "type", null)]
	vpn := {
		"resource": r,
		"what": tf.address(r),
		"product": "AWS Client VPN",
		"session": {"field": "session_timeout_hours", "value": timeout, "hours": number_or_null(timeout)},
		"sso": {"settings": {"authentication_options.type": types}, "on": "federated-authentication" in types},
	}
]

number_or_null(value) := value if is_number(value)

number_or_null(value) := null if not is_number(value)

# YAML documents in ConfigMaps (and Secrets' stringData), with where they come from.
documents := [{"resource": r, "key": key, "text": text, "doc": doc} |
	some source in [["ConfigMap", "data"], ["Secret", "stringData"]]
	some r in k8s.resources_of_kind(source[0])
	some key, text in coerce.as_object(object.get(r.object, source[1], {}))
	is_string(text)
	yaml.is_valid(text)
	doc := yaml.unmarshal(text)
	is_object(doc)
]

# headscale's configuration: two of its own top-level keys (server_url may come from the
# environment instead).
headscale_keys := {"server_url", "noise", "prefixes", "derp", "grpc_listen_addr", "ephemeral_node_inactivity_timeout", "unix_socket"}

headscale(doc) if count(headscale_keys & {k | some k, _ in doc}) >= 2

# headscale: SSO is an oidc section with an issuer; a login then lasts oidc.expiry (180d by
# default, 0 for never), or the ID token's lifetime when use_expiry_from_token is true.
headscale_servers := [vpn |
	some d in documents
	headscale(d.doc)
	oidc := coerce.as_object(object.get(d.doc, "oidc", {}))
	vpn := {
		"resource": d.resource,
		"what": sprintf("%s %s (%s)", [d.resource.kind, naming.display(d.resource), d.key]),
		"product": "headscale",
		"session": headscale_session(oidc),
		"sso": {"settings": {"oidc.issuer": object.get(oidc, "issuer", null)}, "on": non_empty(object.get(oidc, "issuer", null))},
	}
]

headscale_session(oidc) := {"field": "oidc.use_expiry_from_token", "value": true, "hours": null} if {
	object.get(oidc, "use_expiry_from_token", false) == true
}

headscale_session(oidc) := {"field": "oidc.expiry", "value": expiry, "hours": duration_hours(expiry)} if {
	object.get(oidc, "use_expiry_from_token", false) != true
	expiry := object.get(oidc, "expiry", "180d")
}

# The platform's WireGuard gateway: auth (oidc or saml), sessionMaxDuration.
gateway(doc) if {
	protocol := object.get(doc, "protocol", "")
	is_string(protocol)
	lower(protocol) == "wireguard"
}

gateway(doc) if "sessionMaxDuration" in object.keys(doc)

gateways := [vpn |
	some d in documents
	gateway(d.doc)
	not headscale(d.doc)
	duration := object.get(d.doc, "sessionMaxDuration", null)
	auth := object.get(d.doc, "auth", null)
	vpn := {
		"resource": d.resource,
		"what": sprintf("%s %s (%s)", [d.resource.kind, naming.display(d.resource), d.key]),
		"product": "the WireGuard gateway",
		"session": {"field": "sessionMaxDuration", "value": duration, "hours": duration_hours(duration)},
		"sso": {"settings": {"auth": auth, "oidc.issuer": object.get(d.doc, ["oidc", "issuer"], null)}, "on": gateway_sso(d.doc, auth)},
	}
]

gateway_sso(doc, auth) if {
	auth == "oidc"
	non_empty(object.get(doc, ["oidc", "issuer"], null))
}

gateway_sso(_, auth) if auth == "saml"

default gateway_sso(_, _) := false

non_empty(value) if {
	is_string(value)
	trim_space(value) != ""
}

default non_empty(_) := false

# ---------------------------------------------------------------------------------------
# Durations as Go and headscale write them (4h, 240m, 1h30m, 180d, 0), in hours.

unit_seconds := {"ns": 0.000000001, "us": 0.000001, "µs": 0.000001, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}

duration_pattern := `([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|w|y)`

duration_hours(value) := 0 if value in {0, "0"}

duration_hours(value) := seconds / 3600 if {
	value != "0"
	valid_duration(value)
	seconds := sum([s |
		some part in regex.find_all_string_submatch_n(duration_pattern, value, -1)
		s := to_number(part[1]) * unit_seconds[part[2]]
	])
}

duration_hours(value) := null if {
	not value in {0, "0"}
	not valid_duration(value)
}

valid_duration(value) if {
	is_string(value)
	regex.match(concat("", [`^(`, duration_pattern, `)+$`]), value)
}

# ---------------------------------------------------------------------------------------
# Findings.

violation contains v if {
	some vpn in vpns
	not vpn.sso.on
	v := {
		"msg": sprintf("%s: %s lets operators connect without SSO (%s): require an SSO login for every session", [vpn.what, vpn.product, settings_text(vpn.sso.settings)]),
		"resource": vpn.resource.id,
		"evidence": object.union({"product": vpn.product}, vpn.sso.settings),
	}
}

violation contains v if {
	some vpn in vpns
	vpn.sso.on
	vpn.session.hours == 0
	v := {
		"msg": sprintf("%s: %s sessions never expire (%s = %v): limit them to %v hours", [vpn.what, vpn.product, vpn.session.field, vpn.session.value, bound]),
		"resource": vpn.resource.id,
		"evidence": session_evidence(vpn),
	}
}

violation contains v if {
	some vpn in vpns
	vpn.sso.on
	is_number(vpn.session.hours)
	vpn.session.hours > bound
	v := {
		"msg": sprintf("%s: %s sessions last %v hours (%s = %v), over the %v-hour bound: limit them to %v hours%s", [vpn.what, vpn.product, vpn.session.hours, vpn.session.field, vpn.session.value, bound, bound, product_hint(vpn)]),
		"resource": vpn.resource.id,
		"evidence": session_evidence(vpn),
	}
}

violation contains v if {
	some vpn in vpns
	vpn.sso.on
	vpn.session.hours == null
	v := {
		"msg": sprintf("%s: the length of %s sessions cannot be verified (%s = %v): set an explicit duration of at most %v hours", [vpn.what, vpn.product, vpn.session.field, vpn.session.value, bound]),
		"resource": vpn.resource.id,
		"evidence": session_evidence(vpn),
	}
}

settings_text(settings) := concat(", ", [sprintf("%s = %v", [k, v]) | some k, v in settings])

session_evidence(vpn) := {"product": vpn.product, vpn.session.field: vpn.session.value, "session_hours": vpn.session.hours, "bound_hours": bound}

product_hint(vpn) := " (AWS Client VPN accepts no less than 8 hours: use the cell's WireGuard gateway instead)" if vpn.product == "AWS Client VPN"

product_hint(vpn) := "" if vpn.product != "AWS Client VPN"

# A ConfigMap labelled as the operator VPN whose configuration cannot be read.
errors contains msg if {
	some r in k8s.resources_of_kind("ConfigMap")
	labels := k8s.labels(r.object)
	labelled_vpn(labels)
	not readable(r)
	msg := sprintf("ConfigMap %s is labelled as the operator VPN, but holds no headscale or WireGuard gateway configuration that can be read (valid YAML)", [naming.display(r)])
}

labelled_vpn(labels) if labels["kaze.io/component"] == "operator-vpn"

labelled_vpn(labels) if labels["app.kubernetes.io/name"] in {"headscale", "vpn-gateway"}

readable(r) if {
	some vpn in vpns
	vpn.resource.id == r.id
}
