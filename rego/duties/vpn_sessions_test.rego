package kaze.duties.vpn_sessions_test

import rego.v1

import data.kaze.duties.vpn_sessions

inventory(resources, config) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
	"config": config,
}

config_map(name, labels, key, text) := {
	"id": sprintf("ConfigMap/vpn/%s", [name]),
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"namespace": "vpn",
	"name": name,
	"source": "kubernetes",
	"object": {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "vpn", "labels": labels}, "data": {key: text}},
}

headscale(oidc) := config_map("headscale-config", {"app.kubernetes.io/name": "headscale"}, "config.yaml", concat("", [
	"server_url: https://vpn.example\nnoise:\n  private_key_path: /k\nprefixes:\n  v4: 100.64.0.0/10\n",
	oidc,
]))

sso(expiry) := sprintf("oidc:\n  issuer: https://sso.kaze.io\n  client_id: headscale\n  expiry: %s\n  use_expiry_from_token: false\n", [expiry])

findings(resources) := found if {
	found := vpn_sessions.violation with data.inventory as inventory(resources, null)
}

test_sso_and_four_hours_pass if {
	count(findings([headscale(sso("4h"))])) == 0
}

test_minutes_and_mixed_units if {
	count(findings([headscale(sso("240m"))])) == 0
	count(findings([headscale(sso("1h30m"))])) == 0
	count(findings([headscale(sso("4h1m"))])) == 1
}

test_eight_hours_fail if {
	some v in findings([headscale(sso("8h"))])
	v.resource == "ConfigMap/vpn/headscale-config"
	v.evidence.session_hours == 8
	v.evidence.bound_hours == 4
}

test_zero_never_expires if {
	some v in findings([headscale(sso("\"0\""))])
	contains(v.msg, "never expire")
}

test_default_expiry_is_180_days if {
	some v in findings([headscale("oidc:\n  issuer: https://sso.kaze.io\n")])
	v.evidence.session_hours == 4320
}

test_expiry_from_token_cannot_be_verified if {
	some v in findings([headscale("oidc:\n  issuer: https://sso.kaze.io\n  use_expiry_from_token: true\n")])
	contains(v.msg, "cannot be verified")
}

test_without_oidc_fails if {
	some v in findings([headscale("")])
	contains(v.msg, "without SSO")
}

test_configured_bound if {
	found := vpn_sessions.violation with data.inventory as inventory([headscale(sso("8h"))], {"bounds": {"vpnSessionHours": 8}})
	count(found) == 0
}

gateway(auth, duration) := config_map("vpn-gateway", {}, "vpn.yaml", sprintf("protocol: wireguard\nauth: %s\noidc:\n  issuer: https://sso.speedrun.example\nsessionMaxDuration: %s\n", [auth, duration]))

test_gateway_with_sso_and_four_hours_passes if {
	count(findings([gateway("oidc", "4h")])) == 0
}

test_gateway_without_sso_fails if {
	some v in findings([gateway("psk", "4h")])
	v.evidence.auth == "psk"
}

test_gateway_long_sessions_fail if {
	count(findings([gateway("oidc", "12h")])) == 1
}

client_vpn(obj) := {
	"id": "terraform/providers/aws/aws_ec2_client_vpn_endpoint.operators",
	"apiVersion": "terraform",
	"kind": "aws_ec2_client_vpn_endpoint",
	"name": "operators",
	"source": "terraform",
	"object": obj,
}

federated := [{"type": "federated-authentication", "saml_provider_arn": "${var.sso}"}]

test_client_vpn_default_24_hours_fails if {
	some v in findings([client_vpn({"authentication_options": federated})])
	v.evidence.session_hours == 24
}

test_client_vpn_without_federation_fails if {
	some v in findings([client_vpn({"session_timeout_hours": 8, "authentication_options": [{"type": "certificate-authentication"}]})])
	contains(v.msg, "without SSO")
}

test_client_vpn_within_bound_passes if {
	found := vpn_sessions.violation with data.inventory as inventory([client_vpn({"session_timeout_hours": 8, "authentication_options": federated})], {"bounds": {"vpnSessionHours": 8}})
	count(found) == 0
}

test_no_vpn_is_not_applicable if {
	vpn_sessions.not_applicable with data.inventory as inventory([], null)
}

test_unreadable_labelled_configuration_is_an_error if {
	broken := config_map("headscale-config", {"kaze.io/component": "operator-vpn"}, "config.yaml", "oidc: [\n")
	some msg in vpn_sessions.errors with data.inventory as inventory([broken], null)
	contains(msg, "operator VPN")
	not vpn_sessions.not_applicable with data.inventory as inventory([broken], null)
}
