package kaze.mtls.cross_cell_gateways_test

import rego.v1

import data.kaze.mtls.cross_cell_gateways
import data.kaze.testing.inventory

_cross_cell := {"kaze.io/traffic": "cross-cell"}

_ingress(labels, annotations) := {
	"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
	"metadata": {"name": "cross-cell", "namespace": "kaze-cell-gateway", "labels": labels, "annotations": annotations},
	"spec": {"tls": [{"hosts": ["cell.example"], "secretName": "tls"}], "rules": []},
}

_mtls_annotations := {
	"nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
	"nginx.ingress.kubernetes.io/auth-tls-secret": "kaze-cell-gateway/cells-ca",
}

_with_annotation(key, value) := object.union(
	_mtls_annotations,
	{sprintf("nginx.ingress.kubernetes.io/%s", [key]): value},
)

_https := {
	"name": "cells", "protocol": "HTTPS", "port": 443,
	"tls": {"mode": "Terminate", "certificateRefs": [{"name": "tls"}]},
}

_valid_only := {"validation": {
	"caCertificateRefs": [{"kind": "ConfigMap", "name": "cells-ca"}],
	"mode": "AllowValidOnly",
}}

_fallback := {"validation": {"caCertificateRefs": [{"name": "ca"}], "mode": "AllowInsecureFallback"}}

_gateway(listeners, frontend) := {
	"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
	"metadata": {"name": "cross-cell", "namespace": "kaze-cell-gateway", "labels": _cross_cell},
	"spec": {"gatewayClassName": "envoy", "listeners": listeners, "tls": {"frontend": frontend}},
}

_istio(mode) := {
	"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
	"metadata": {"name": "g", "namespace": "n", "labels": _cross_cell},
	"spec": {"servers": [{"port": {"number": 443, "protocol": "HTTPS"}, "tls": {"mode": mode}}]},
}

_service(labels, spec) := {
	"apiVersion": "v1", "kind": "Service",
	"metadata": {"name": "s", "namespace": "n", "labels": labels},
	"spec": spec,
}

_legacy := object.union(_https, {"tls": {
	"mode": "Terminate",
	"frontendValidation": {"caCertificateRefs": [{"name": "ca"}]},
}})

# name: [the object under review (no inventory), how many findings]
_objects := {
	"nginx requiring a client certificate": [_ingress(_cross_cell, _mtls_annotations), 0],
	"nginx without a CA": [_ingress(_cross_cell, {"nginx.ingress.kubernetes.io/auth-tls-verify-client": "on"}), 1],
	"nginx allowing plain HTTP": [_ingress(_cross_cell, _with_annotation("ssl-redirect", "false")), 1],
	"an Ingress not cross-cell": [_ingress({}, {}), 0],
	"a Gateway allowing valid certificates only": [_gateway([_https], {"default": _valid_only}), 0],
	"a Gateway's default mode": [
		_gateway([_https], {"default": {"validation": {"caCertificateRefs": [{"name": "ca"}]}}}),
		0,
	],
	"a per-port override weakening the default": [
		_gateway([_https], {"default": _valid_only, "perPort": [{"port": 443, "tls": _fallback}]}),
		1,
	],
	"TLS passthrough": [
		_gateway(
			[{"name": "raw", "protocol": "TLS", "port": 8443, "tls": {"mode": "Passthrough"}}],
			{"default": _valid_only},
		),
		1,
	],
	"a legacy listener validation": [_gateway([_legacy], {}), 0],
	"an Istio Gateway with mutual TLS": [_istio("MUTUAL"), 0],
	"an Istio Gateway with simple TLS": [_istio("SIMPLE"), 1],
	"a cross-cell ClusterIP Service": [_service(_cross_cell, {"ports": [{"port": 443}]}), 0],
	"an unlabelled LoadBalancer": [_service({}, {"type": "LoadBalancer"}), 0],
}

test_objects[name] if {
	some name, [obj, want] in _objects
	review := {"id": "x", "object": obj}
	vs := cross_cell_gateways.violation with input as review
	count(vs) == want
}

test_nginx_client_cert_optional_fails if {
	obj := _ingress(_cross_cell, _with_annotation("auth-tls-verify-client", "optional"))
	vs := cross_cell_gateways.violation with input as {"id": "x", "object": obj}
	some v in vs
	v.evidence == {"auth-tls-verify-client": "optional"}
}

test_gateway_without_validation_fails if {
	vs := cross_cell_gateways.violation with input as {"id": "x", "object": _gateway([_https], {})}
	some v in vs
	contains(v.msg, "no frontend client certificate validation")
}

test_gateway_insecure_fallback_fails if {
	vs := cross_cell_gateways.violation with input as {"id": "x", "object": _gateway([_https], {"default": _fallback})}
	some v in vs
	contains(v.msg, "AllowInsecureFallback")
}

test_gateway_http_listener_fails if {
	plain := {"name": "cells-http", "protocol": "HTTP", "port": 80}
	obj := _gateway([_https, plain], {"default": _valid_only})
	vs := cross_cell_gateways.violation with input as {"id": "x", "object": obj}
	some v in vs
	v.evidence.protocol == "HTTP"
}

test_cross_cell_load_balancer_service_fails if {
	obj := _service(_cross_cell, {"type": "LoadBalancer"})
	vs := cross_cell_gateways.violation with input as {"id": "x", "object": obj}
	some v in vs
	v.evidence.exposure == ["type LoadBalancer"]
}

_routed(obj, host) := object.union(obj, {"spec": {
	"tls": [{"hosts": [host], "secretName": "tls"}],
	"rules": [{"host": host}],
}})

# The inventory holds a cross-cell Ingress, requiring client certificates, on cell.example.
_cross_cell_host := {
	"resources": {"Ingress/kaze-cell-gateway/cross-cell": {
		"kind": "Ingress",
		"object": _routed(_ingress(_cross_cell, _mtls_annotations), "cell.example"),
	}},
	"by_kind": {"Ingress": ["Ingress/kaze-cell-gateway/cross-cell"]},
	"by_kaze_label": {"kaze.io/traffic=cross-cell": ["Ingress/kaze-cell-gateway/cross-cell"]},
}

test_unlabelled_ingress_on_the_cross_cell_host_without_client_cert_fails if {
	review := {"id": "x", "object": _routed(_ingress({}, {}), "Cell.Example")}
	vs := cross_cell_gateways.violation with input as review with data.inventory as _cross_cell_host
	some v in vs
	v.evidence == {"auth-tls-verify-client": null, "cross_cell_hosts": ["cell.example"]}
}

# name: [the unlabelled Ingress beside the cross-cell one, how many findings]
_beside_the_cross_cell_host := {
	"on its host, with a client certificate": [_routed(_ingress({}, _mtls_annotations), "cell.example"), 0],
	"on another host": [_routed(_ingress({}, {}), "console.example"), 0],
}

test_beside_the_cross_cell_host[name] if {
	some name, [obj, want] in _beside_the_cross_cell_host
	review := {"id": "x", "object": obj}
	vs := cross_cell_gateways.violation with input as review with data.inventory as _cross_cell_host
	count(vs) == want
}

# The inventory holds the Service ns/api (ports http 8080 → http, federation 8081 → federation)
# and a cross-cell Ingress, requiring client certificates, on federation.example routing to
# port federation, by name.
_api_service := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "ns"}, "spec": {
	"ports": [
		{"name": "http", "port": 8080, "targetPort": "http"},
		{"name": "federation", "port": 8081, "targetPort": "federation"},
	],
}}

_backend(port) := {"service": {"name": "api", "port": port}}

_on_path(obj, host, be) := object.union(obj, {
	"metadata": {"name": host, "namespace": "ns"},
	"spec": {
		"tls": [{"hosts": [host], "secretName": "tls"}],
		"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": be}]}}],
	},
})

_federation_ingress := inventory.resource(
	"Ingress", "ns", "federation.example",
	_on_path(_ingress(_cross_cell, _mtls_annotations), "federation.example", _backend({"name": "federation"})),
)

# The inventory of the federation Ingress and these Services (by_kaze_label as the scanner indexes it).
_with_services(services) := object.union(
	inventory.of(array.concat(
		[_federation_ingress],
		[inventory.resource("Service", "ns", s.metadata.name, s) | some s in services],
	)),
	{"by_kaze_label": {"kaze.io/traffic=cross-cell": ["Ingress/ns/federation.example"]}},
)

test_unlabelled_ingress_to_the_cross_cell_backend_by_number_fails if {
	obj := _on_path(_ingress({}, {}), "api.example", _backend({"number": 8081}))
	review := {"id": "Ingress/ns/api.example", "object": obj}
	vs := cross_cell_gateways.violation with input as review with data.inventory as _with_services([_api_service])
	some v in vs
	v.evidence == {
		"auth-tls-verify-client": null, "cross_cell_ingress": "Ingress/ns/federation.example",
		"backend": {"namespace": "ns", "service": "api", "port": {"targetPort": "federation"}},
	}
	contains(v.msg, "the backend of the cross-cell Ingress ns/federation.example")
}

# port http of this Service forwards to the federation API's container port as well
_aliased := json.patch(_api_service, [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": "federation"}])

_in_other_namespace(obj) := json.patch(obj, [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])

_default_backend := object.union(_ingress({}, {}), {
	"metadata": {"namespace": "ns"},
	"spec": {"defaultBackend": _backend({"name": "http"})},
})

# name: [the unlabelled Ingress, the Services in the inventory, how many findings]
_beside_the_cross_cell_backend := {
	"a default backend to another port on the same target": [_default_backend, [_aliased], 2],
	"another Service port by name": [
		_on_path(_ingress({}, {}), "api.example", _backend({"name": "http"})),
		[_api_service], 0,
	],
	"another Service port by number": [
		_on_path(_ingress({}, {}), "api.example", _backend({"number": 8080})),
		[_api_service], 0,
	],
	"the cross-cell backend with a client certificate": [
		_on_path(_ingress({}, _mtls_annotations), "api.example", _backend({"name": "federation"})),
		[_api_service], 0,
	],
	"without the Service, the port name as given": [
		_on_path(_ingress({}, {}), "api.example", _backend({"name": "federation"})),
		[], 2,
	],
	"without the Service, the port number as given": [
		_on_path(_ingress({}, {}), "api.example", _backend({"number": 8081})),
		[], 0,
	],
	"a backend in another namespace": [
		_in_other_namespace(_on_path(_ingress({}, {}), "api.example", _backend({"name": "federation"}))),
		[_api_service], 0,
	],
}

test_beside_the_cross_cell_backend[name] if {
	some name, [obj, services, want] in _beside_the_cross_cell_backend
	review := {"id": "Ingress/ns/api.example", "object": obj}
	vs := cross_cell_gateways.violation with input as review with data.inventory as _with_services(services)
	count(vs) == want
}

test_the_core_service_is_found_when_a_knative_service_holds_its_id if {
	knative := {
		"id": "Service/ns/api", "kind": "Service", "apiVersion": "serving.knative.dev/v1",
		"namespace": "ns", "name": "api", "object": {},
	}
	core := {
		"id": "Service/ns/api#2", "kind": "Service", "apiVersion": "v1",
		"namespace": "ns", "name": "api", "object": _api_service,
	}
	services := {
		"resources": {"Service/ns/api": knative, "Service/ns/api#2": core},
		"by_namespace": {"ns": ["Service/ns/api", "Service/ns/api#2"]},
	}
	found := cross_cell_gateways._service_port("ns", "api", {"number": 8081}) with data.inventory as services
	found == {"targetPort": "federation"}
}
