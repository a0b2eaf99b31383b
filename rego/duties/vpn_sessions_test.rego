package kaze.duties.vpn_sessions_test

import rego.v1

import data.kaze.duties.vpn_sessions
import data.kaze.testing.inventory

_config_map(name, labels, key, text) := inventory.resource("ConfigMap", "vpn", name, {
	"metadata": {"labels": labels},
	"data": {key: text},
})

_headscale(oidc) := _config_map("headscale-config", {"app.kubernetes.io/name": "headscale"}, "config.yaml", concat("", [
	"server_url: https://vpn.example\nnoise:\n  private_key_path: /k\nprefixes:\n  v4: 100.64.0.0/10\n",
	oidc,
]))

_sso(expiry) := sprintf(
	"oidc:\n  issuer: https://sso.kaze.io\n  client_id: headscale\n  expiry: %s\n  use_expiry_from_token: false\n",
	[expiry],
)

_gateway(auth, duration) := _config_map("vpn-gateway", {}, "vpn.yaml", sprintf(
	"protocol: wireguard\nauth: %s\noidc:\n  issuer: https://sso.speedrun.example\nsessionMaxDuration: %s\n",
	[auth, duration],
))

_client_vpn(obj) := {
	"id": "terraform/providers/aws/aws_ec2_client_vpn_endpoint.operators",
	"apiVersion": "terraform",
	"kind": "aws_ec2_client_vpn_endpoint",
	"name": "operators",
	"source": "terraform",
	"object": obj,
}

_federated := [{"type": "federated-authentication", "saml_provider_arn": "${var.sso}"}]

# [the VPN resource, how many findings under the default 4-hour bound].
test_findings_by_configuration[name] if {
	some name, [vpn, want] in {
		"Headscale expiring in 4h": [_headscale(_sso("4h")), 0],
		"Headscale expiring in 240m": [_headscale(_sso("240m")), 0],
		"Headscale expiring in 1h30m": [_headscale(_sso("1h30m")), 0],
		"Headscale expiring in 4h1m": [_headscale(_sso("4h1m")), 1],
		"gateway of 4h sessions": [_gateway("oidc", "4h"), 0],
		"gateway of 12h sessions": [_gateway("oidc", "12h"), 1],
	}
	count(vpn_sessions.violation) == want with data.inventory as inventory.with_config([vpn], null)
}

test_eight_hours_fail if {
	some v in vpn_sessions.violation with data.inventory as inventory.with_config([_headscale(_sso("8h"))], null)
	v.resource == "ConfigMap/vpn/headscale-config"
	v.evidence.session_hours == 8
	v.evidence.bound_hours == 4
}

# [the VPN resource, a part of the message of its one finding].
test_messages[name] if {
	some name, [vpn, text] in {
		"Headscale of no expiry": [_headscale(_sso("\"0\"")), "never expire"],
		"Headscale of the token's expiry": [
			_headscale("oidc:\n  issuer: https://sso.kaze.io\n  use_expiry_from_token: true\n"),
			"cannot be verified",
		],
		"Headscale without OIDC": [_headscale(""), "without SSO"],
		"Client VPN of certificates": [
			_client_vpn({
				"session_timeout_hours": 8,
				"authentication_options": [{"type": "certificate-authentication"}],
			}),
			"without SSO",
		],
	}
	found := vpn_sessions.violation with data.inventory as inventory.with_config([vpn], null)
	[v | some v in found; contains(v.msg, text)] != []
}

test_default_expiry_is_180_days if {
	resources := [_headscale("oidc:\n  issuer: https://sso.kaze.io\n")]
	some v in vpn_sessions.violation with data.inventory as inventory.with_config(resources, null)
	v.evidence.session_hours == 4320
}

test_gateway_without_sso_fails if {
	some v in vpn_sessions.violation with data.inventory as inventory.with_config([_gateway("psk", "4h")], null)
	v.evidence.auth == "psk"
}

test_client_vpn_default_24_hours_fails if {
	resources := [_client_vpn({"authentication_options": _federated})]
	some v in vpn_sessions.violation with data.inventory as inventory.with_config(resources, null)
	v.evidence.session_hours == 24
}

test_configured_bound[name] if {
	some name, vpn in {
		"Headscale expiring in 8h": _headscale(_sso("8h")),
		"Client VPN of 8h sessions": _client_vpn({"session_timeout_hours": 8, "authentication_options": _federated}),
	}
	inv := inventory.with_config([vpn], {"bounds": {"vpnSessionHours": 8}})
	count(vpn_sessions.violation) == 0 with data.inventory as inv
}

test_no_vpn_is_not_applicable if {
	vpn_sessions.not_applicable with data.inventory as inventory.with_config([], null)
}

test_unreadable_labelled_configuration_is_an_error if {
	broken := _config_map("headscale-config", {"kaze.io/component": "operator-vpn"}, "config.yaml", "oidc: [\n")
	some msg in vpn_sessions.errors with data.inventory as inventory.with_config([broken], null)
	contains(msg, "operator VPN")
	not vpn_sessions.not_applicable with data.inventory as inventory.with_config([broken], null)
}
