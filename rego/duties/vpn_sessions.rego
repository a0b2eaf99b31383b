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

_bound := object.get(tenancy.config, ["bounds", "vpnSessionHours"], 4)

not_applicable := concat("", [
	"no operator VPN in this target ",
	"(no WireGuard gateway or headscale configuration, no AWS Client VPN endpoint)",
]) if {
	count(_vpns) == 0
	count(errors) == 0
}

# ---------------------------------------------------------------------------------------
# The VPNs: {resource, what, product, session: {field, value, hours}, sso: {settings, on}}.
# hours is a number, 0 for never, or null when it cannot be known.

_vpns := [vpn | some found in [_client_vpn_endpoints, _headscale_servers, _gateways]; some vpn in found]

_client_vpn_endpoints := [vpn |
	some r in tf.resources(data.inventory, "aws_ec2_client_vpn_endpoint")
	timeout := object.get(r.object, "session_timeout_hours", 24)
	types := [t | some option in tf.blocks(r.object, "authentication_options"); t := object.get(option, "type", null)]
	vpn := {
		"resource": r,
		"what": tf.address(r),
		"product": "AWS Client VPN",
		"session": {"field": "session_timeout_hours", "value": timeout, "hours": _number_or_null(timeout)},
		"sso": {"settings": {"authentication_options.type": types}, "on": "federated-authentication" in types},
	}
]

_number_or_null(value) := value if is_number(value)

_number_or_null(value) := null if not is_number(value)

# YAML documents in ConfigMaps (and Secrets' stringData), with where they come from.
_documents := [{"resource": r, "key": key, "text": text, "doc": doc} |
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
_headscale_keys := {
	"server_url", "noise", "prefixes", "derp", "grpc_listen_addr",
	"ephemeral_node_inactivity_timeout", "unix_socket",
}

_headscale(doc) if count(_headscale_keys & object.keys(doc)) >= 2

# headscale: SSO is an oidc section with an issuer; a login then lasts oidc.expiry (180d by
# default, 0 for never), or the ID token's lifetime when use_expiry_from_token is true.
_headscale_servers := [vpn |
	some d in _documents
	_headscale(d.doc)
	oidc := coerce.as_object(object.get(d.doc, "oidc", {}))
	vpn := {
		"resource": d.resource,
		"what": sprintf("%s %s (%s)", [d.resource.kind, naming.display(d.resource), d.key]),
		"product": "headscale",
		"session": _headscale_session(oidc),
		"sso": {
			"settings": {"oidc.issuer": object.get(oidc, "issuer", null)},
			"on": _non_empty(object.get(oidc, "issuer", null)),
		},
	}
]

_headscale_session(oidc) := {"field": "oidc.use_expiry_from_token", "value": true, "hours": null} if {
	oidc.use_expiry_from_token == true
}

_headscale_session(oidc) := {"field": "oidc.expiry", "value": expiry, "hours": _duration_hours(expiry)} if {
	object.get(oidc, "use_expiry_from_token", false) != true
	expiry := object.get(oidc, "expiry", "180d")
}

# The platform's WireGuard gateway: auth (oidc or saml), sessionMaxDuration.
_gateway(doc) if {
	protocol := object.get(doc, "protocol", "")
	is_string(protocol)
	lower(protocol) == "wireguard"
}

_gateway(doc) if "sessionMaxDuration" in object.keys(doc)

_gateways := [vpn |
	some d in _documents
	_gateway(d.doc)
	not _headscale(d.doc)
	duration := object.get(d.doc, "sessionMaxDuration", null)
	auth := object.get(d.doc, "auth", null)
	vpn := {
		"resource": d.resource,
		"what": sprintf("%s %s (%s)", [d.resource.kind, naming.display(d.resource), d.key]),
		"product": "the WireGuard gateway",
		"session": {"field": "sessionMaxDuration", "value": duration, "hours": _duration_hours(duration)},
		"sso": {
			"settings": {"auth": auth, "oidc.issuer": object.get(d.doc, ["oidc", "issuer"], null)},
			"on": _gateway_sso(d.doc, auth),
		},
	}
]

default _gateway_sso(_, _) := false

_gateway_sso(doc, "oidc") if _non_empty(object.get(doc, ["oidc", "issuer"], null))

_gateway_sso(_, "saml") := true

default _non_empty(_) := false

_non_empty(value) if {
	is_string(value)
	trim_space(value) != ""
}

# ---------------------------------------------------------------------------------------
# Durations as Go and headscale write them (4h, 240m, 1h30m, 180d, 0), in hours.

_unit_seconds := {
	"ns": 0.000000001, "us": 0.000001, "µs": 0.000001, "ms": 0.001, "s": 1,
	"m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000,
}

_duration_pattern := `([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|w|y)`

_duration_hours(value) := 0 if value in {0, "0"}

_duration_hours(value) := seconds / 3600 if {
	value != "0"
	_valid_duration(value)
	seconds := sum([s |
		some part in regex.find_all_string_submatch_n(_duration_pattern, value, -1)
		s := to_number(part[1]) * _unit_seconds[part[2]]
	])
}

_duration_hours(value) := null if {
	not value in {0, "0"}
	not _valid_duration(value)
}

_valid_duration(value) if {
	is_string(value)
	regex.match(concat("", [`^(`, _duration_pattern, `)+$`]), value)
}

# ---------------------------------------------------------------------------------------
# Findings.

violation contains v if {
	some vpn in _vpns
	not vpn.sso.on
	v := {
		"msg": sprintf(
			"%s: %s lets operators connect without SSO (%s): require an SSO login for every session",
			[vpn.what, vpn.product, _settings_text(vpn.sso.settings)],
		),
		"resource": vpn.resource.id,
		"evidence": object.union({"product": vpn.product}, vpn.sso.settings),
	}
}

violation contains v if {
	some vpn in _vpns
	vpn.sso.on
	vpn.session.hours == 0
	v := {
		"msg": sprintf(
			"%s: %s sessions never expire (%s = %v): limit them to %v hours",
			[vpn.what, vpn.product, vpn.session.field, vpn.session.value, _bound],
		),
		"resource": vpn.resource.id,
		"evidence": _session_evidence(vpn),
	}
}

violation contains v if {
	some vpn in _vpns
	vpn.sso.on
	is_number(vpn.session.hours)
	vpn.session.hours > _bound
	v := {
		"msg": sprintf(
			"%s: %s sessions last %v hours (%s = %v), over the %v-hour bound: limit them to %v hours%s",
			[
				vpn.what, vpn.product, vpn.session.hours, vpn.session.field, vpn.session.value,
				_bound, _bound, _product_hint(vpn),
			],
		),
		"resource": vpn.resource.id,
		"evidence": _session_evidence(vpn),
	}
}

violation contains v if {
	some vpn in _vpns
	vpn.sso.on
	vpn.session.hours == null
	v := {
		"msg": sprintf(
			"%s: the length of %s sessions cannot be verified (%s = %v): set an explicit duration of at most %v hours",
			[vpn.what, vpn.product, vpn.session.field, vpn.session.value, _bound],
		),
		"resource": vpn.resource.id,
		"evidence": _session_evidence(vpn),
	}
}

_settings_text(settings) := concat(", ", [sprintf("%s = %v", [k, v]) | some k, v in settings])

_session_evidence(vpn) := {
	"product": vpn.product,
	vpn.session.field: vpn.session.value,
	"session_hours": vpn.session.hours,
	"bound_hours": _bound,
}

_product_hint(vpn) := " (AWS Client VPN accepts no less than 8 hours: use the cell's WireGuard gateway instead)" if {
	vpn.product == "AWS Client VPN"
}

_product_hint(vpn) := "" if vpn.product != "AWS Client VPN"

# A ConfigMap labelled as the operator VPN whose configuration cannot be read.
errors contains msg if {
	some r in k8s.resources_of_kind("ConfigMap")
	labels := k8s.labels(r.object)
	_labelled_vpn(labels)
	not _readable(r)
	msg := sprintf(
		concat("", [
			"ConfigMap %s is labelled as the operator VPN, ",
			"but holds no headscale or WireGuard gateway configuration that can be read (valid YAML)",
		]),
		[naming.display(r)],
	)
}

_labelled_vpn(labels) if labels["kaze.io/component"] == "operator-vpn"

_labelled_vpn(labels) if labels["app.kubernetes.io/name"] in {"headscale", "vpn-gateway"}

_readable(r) if {
	some vpn in _vpns
	vpn.resource.id == r.id
}
