package kaze.mtls.cross_cell_gateways_test

import rego.v1

import data.kaze.mtls.cross_cell_gateways

cross_cell := {"kaze.io/traffic": "cross-cell"}

ingress(labels, annotations) := {
	"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
	"metadata": {"name": "cross-cell", "namespace": "kaze-cell-gateway", "labels": labels, "annotations": annotations},
	"spec": {"tls": [{"hosts": ["cell.example"], "secretName": "tls"}], "rules": []},
}

mtls_annotations := {
	"nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
	"nginx.ingress.kubernetes.io/auth-tls-secret": "kaze-cell-gateway/cells-ca",
}

https := {"name": "cells", "protocol": "HTTPS", "port": 443, "tls": {"mode": "Terminate", "certificateRefs": [{"name": "tls"}]}}

valid_only := {"validation": {"caCertificateRefs": [{"kind": "ConfigMap", "name": "cells-ca"}], "mode": "AllowValidOnly"}}

gateway(listeners, frontend) := {
	"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
	"metadata": {"name": "cross-cell", "namespace": "kaze-cell-gateway", "labels": cross_cell},
	"spec": {"gatewayClassName": "envoy", "listeners": listeners, "tls": {"frontend": frontend}},
}

check(obj) := found if {
	found := cross_cell_gateways.violation with input as {"id": "x", "object": obj}
}

test_nginx_client_cert_required_passes if {
	count(check(ingress(cross_cell, mtls_annotations))) == 0
}

test_nginx_client_cert_optional_fails if {
	some v in check(ingress(cross_cell, object.union(mtls_annotations, {"nginx.ingress.kubernetes.io/auth-tls-verify-client": "optional"})))
	v.evidence == {"auth-tls-verify-client": "optional"}
}

test_nginx_without_ca_fails if {
	count(check(ingress(cross_cell, {"nginx.ingress.kubernetes.io/auth-tls-verify-client": "on"}))) == 1
}

test_nginx_plain_http_allowed_fails if {
	count(check(ingress(cross_cell, object.union(mtls_annotations, {"nginx.ingress.kubernetes.io/ssl-redirect": "false"})))) == 1
}

test_ingress_not_cross_cell_is_not_judged if {
	count(check(ingress({}, {}))) == 0
}

test_gateway_allow_valid_only_passes if {
	count(check(gateway([https], {"default": valid_only}))) == 0
}

test_gateway_default_mode_is_allow_valid_only if {
	count(check(gateway([https], {"default": {"validation": {"caCertificateRefs": [{"name": "ca"}]}}}))) == 0
}

test_gateway_without_validation_fails if {
	some v in check(gateway([https], {}))
	contains(v.msg, "no frontend client certificate validation")
}

test_gateway_insecure_fallback_fails if {
	fallback := {"validation": {"caCertificateRefs": [{"name": "ca"}], "mode": "AllowInsecureFallback"}}
	some v in check(gateway([https], {"default": fallback}))
	contains(v.msg, "AllowInsecureFallback")
}

test_gateway_per_port_override_weakens_the_default if {
	per_port := [{"port": 443, "tls": {"validation": {"caCertificateRefs": [{"name": "ca"}], "mode": "AllowInsecureFallback"}}}]
	count(check(gateway([https], {"default": valid_only, "perPort": per_port}))) == 1
}

test_gateway_http_listener_fails if {
	http := {"name": "cells-http", "protocol": "HTTP", "port": 80}
	some v in check(gateway([https, http], {"default": valid_only}))
	v.evidence.protocol == "HTTP"
}

test_gateway_tls_passthrough_fails if {
	passthrough := {"name": "raw", "protocol": "TLS", "port": 8443, "tls": {"mode": "Passthrough"}}
	count(check(gateway([passthrough], {"default": valid_only}))) == 1
}

test_gateway_legacy_listener_validation_passes if {
	legacy := object.union(https, {"tls": {"mode": "Terminate", "frontendValidation": {"caCertificateRefs": [{"name": "ca"}]}}})
	count(check(gateway([legacy], {}))) == 0
}

istio(mode) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "n", "labels": cross_cell}, "spec": {"servers": [{"port": {"number": 443, "protocol": "HTTPS"}, "tls": {"mode": mode}}]}}

test_istio_gateway_mutual_passes_and_simple_fails if {
	count(check(istio("MUTUAL"))) == 0
	count(check(istio("SIMPLE"))) == 1
}

test_cross_cell_load_balancer_service_fails if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n", "labels": cross_cell}, "spec": {"type": "LoadBalancer"}}
	some v in check(svc)
	v.evidence.exposure == ["type LoadBalancer"]
}

test_cross_cell_cluster_ip_service_passes if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n", "labels": cross_cell}, "spec": {"ports": [{"port": 443}]}}
	count(check(svc)) == 0
}

test_unlabelled_load_balancer_is_not_judged if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "LoadBalancer"}}
	count(check(svc)) == 0
}

routed(obj, host) := object.union(obj, {"spec": {"tls": [{"hosts": [host], "secretName": "tls"}], "rules": [{"host": host}]}})

# the inventory holds a cross-cell Ingress, requiring client certificates, on cell.example
with_cross_cell_host(obj) := found if {
	gateway_ingress := routed(ingress(cross_cell, mtls_annotations), "cell.example")
	inventory := {
		"resources": {"Ingress/kaze-cell-gateway/cross-cell": {"kind": "Ingress", "object": gateway_ingress}},
		"by_kind": {"Ingress": ["Ingress/kaze-cell-gateway/cross-cell"]},
		"by_kaze_label": {"kaze.io/traffic=cross-cell": ["Ingress/kaze-cell-gateway/cross-cell"]},
	}
	found := cross_cell_gateways.violation with input as {"id": "x", "object": obj} with data.inventory as inventory
}

test_unlabelled_ingress_on_the_cross_cell_host_without_client_cert_fails if {
	some v in with_cross_cell_host(routed(ingress({}, {}), "Cell.Example"))
	v.evidence == {"auth-tls-verify-client": null, "cross_cell_hosts": ["cell.example"]}
}

test_unlabelled_ingress_on_the_cross_cell_host_with_client_cert_passes if {
	count(with_cross_cell_host(routed(ingress({}, mtls_annotations), "cell.example"))) == 0
}

test_unlabelled_ingress_on_another_host_is_not_judged if {
	count(with_cross_cell_host(routed(ingress({}, {}), "console.example"))) == 0
}

# The inventory holds the Service ns/api (ports http 8080 → http, federation 8081 → federation)
# and a cross-cell Ingress, requiring client certificates, on federation.example routing to
# port federation, by name.
api_service := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "ns"}, "spec": {"ports": [
	{"name": "http", "port": 8080, "targetPort": "http"},
	{"name": "federation", "port": 8081, "targetPort": "federation"},
]}}

backend(port) := {"service": {"name": "api", "port": port}}

on_path(obj, host, be) := object.union(obj, {"metadata": {"name": host, "namespace": "ns"}, "spec": {"tls": [{"hosts": [host], "secretName": "tls"}], "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": be}]}}]}})

federation_ingress := on_path(ingress(cross_cell, mtls_annotations), "federation.example", backend({"name": "federation"}))

with_cross_cell_backend(obj, services) := found if {
	resources := object.union(
		{"Ingress/ns/federation.example": {"id": "Ingress/ns/federation.example", "kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "namespace": "ns", "name": "federation.example", "object": federation_ingress}},
		{sprintf("Service/ns/%s", [s.metadata.name]): {"id": sprintf("Service/ns/%s", [s.metadata.name]), "kind": "Service", "apiVersion": "v1", "namespace": "ns", "name": s.metadata.name, "object": s} | some s in services},
	)
	inventory := {
		"resources": resources,
		"by_kind": {"Ingress": ["Ingress/ns/federation.example"]},
		"by_kaze_label": {"kaze.io/traffic=cross-cell": ["Ingress/ns/federation.example"]},
		"by_namespace": {"ns": [id | some id, _ in resources]},
	}
	found := cross_cell_gateways.violation with input as {"id": "Ingress/ns/api.example", "object": obj} with data.inventory as inventory
}

test_unlabelled_ingress_to_the_cross_cell_backend_by_number_fails if {
	obj := on_path(ingress({}, {}), "api.example", backend({"number": 8081}))
	some v in with_cross_cell_backend(obj, [api_service])
	v.evidence == {
		"auth-tls-verify-client": null, "cross_cell_ingress": "Ingress/ns/federation.example",
		"backend": {"namespace": "ns", "service": "api", "port": {"targetPort": "federation"}},
	}
	contains(v.msg, "the backend of the cross-cell Ingress ns/federation.example")
}

test_unlabelled_default_backend_to_another_port_on_the_same_target_fails if {
	# port http of this Service forwards to the federation API's container port as well
	aliased := json.patch(api_service, [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": "federation"}])
	obj := object.union(ingress({}, {}), {"metadata": {"namespace": "ns"}, "spec": {"defaultBackend": backend({"name": "http"})}})
	count(with_cross_cell_backend(obj, [aliased])) == 2
}

test_unlabelled_ingress_to_another_service_port_passes if {
	count(with_cross_cell_backend(on_path(ingress({}, {}), "api.example", backend({"name": "http"})), [api_service])) == 0
	count(with_cross_cell_backend(on_path(ingress({}, {}), "api.example", backend({"number": 8080})), [api_service])) == 0
}

test_unlabelled_ingress_to_the_cross_cell_backend_with_client_cert_passes if {
	count(with_cross_cell_backend(on_path(ingress({}, mtls_annotations), "api.example", backend({"name": "federation"})), [api_service])) == 0
}

test_without_the_service_ports_are_compared_as_given if {
	count(with_cross_cell_backend(on_path(ingress({}, {}), "api.example", backend({"name": "federation"})), [])) == 2
	count(with_cross_cell_backend(on_path(ingress({}, {}), "api.example", backend({"number": 8081})), [])) == 0
}

test_backend_in_another_namespace_is_not_shared if {
	obj := json.patch(on_path(ingress({}, {}), "api.example", backend({"name": "federation"})), [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	count(with_cross_cell_backend(obj, [api_service])) == 0
}

test_the_core_service_is_found_when_a_knative_service_holds_its_id if {
	knative := {"id": "Service/ns/api", "kind": "Service", "apiVersion": "serving.knative.dev/v1", "namespace": "ns", "name": "api", "object": {}}
	core := {"id": "Service/ns/api#2", "kind": "Service", "apiVersion": "v1", "namespace": "ns", "name": "api", "object": api_service}
	found := cross_cell_gateways.service_port("ns", "api", {"number": 8081}) with data.inventory as {
		"resources": {"Service/ns/api": knative, "Service/ns/api#2": core},
		"by_namespace": {"ns": ["Service/ns/api", "Service/ns/api#2"]},
	}
	found == {"targetPort": "federation"}
}
