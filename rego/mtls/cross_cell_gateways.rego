# METADATA
# title: Cross-cell traffic enters a cell only through gateways that require mutual TLS
# description: >-
#   Cells talk to each other (agent discovery, knowledge sync, federated monitoring) across
#   networks the platform does not control, and a breach of one cell must not spread to
#   another. Every cross-cell entry point (labelled kaze.io/traffic: cross-cell) must therefore
#   be a gateway that terminates TLS and requires a client certificate from the cells' CA on
#   every listener: an nginx Ingress with auth-tls-verify-client "on", a Gateway API Gateway
#   whose frontend validation accepts only valid certificates (AllowValidOnly) and has no
#   plaintext or pass-through listener, or an Istio Gateway in MUTUAL mode. A Service that
#   exposes a workload outside the cluster directly bypasses the gateway altogether, and so
#   does an unlabelled Ingress on the host of a cross-cell Ingress: ingress-nginx serves every
#   Ingress of a host as one server, so the same requirements hold for it. So, too, for an
#   unlabelled Ingress on any other host that routes (by a path or its defaultBackend) to the
#   backend of a cross-cell Ingress: the same Service port of the same namespace, a port named
#   by name or by number being the Service port (and the target port) the Service maps it to.
# custom:
#   id: KZ-MTL-04
#   severity: high
#   scopes: [iac]
#   kinds: [Ingress, Gateway, Service]
#   reference: "docs/requirements.md#cross-cell-traffic; docs/requirements.md#workload-identity"
#   remediation: >-
#     Route cross-cell traffic through the cell gateway. On an nginx Ingress set
#     nginx.ingress.kubernetes.io/auth-tls-verify-client: "on" and auth-tls-secret to the cells'
#     CA; on a Gateway set spec.tls.frontend.default.validation with caCertificateRefs and mode
#     AllowValidOnly, and keep only HTTPS/TLS listeners that terminate TLS; on an Istio Gateway use
#     tls.mode MUTUAL. Make cross-cell Services ClusterIP and expose them through the gateway.
#   frameworks:
#     soc2: [CC6.1, CC6.6, CC6.7]
#     iso27001: [A.5.14, A.8.20, A.8.21, A.8.24]
#     nist80053: [SC-7, SC-8, SC-8(1), IA-3]
package kaze.mtls.cross_cell_gateways

import rego.v1

import data.kaze.lib.inventory
import data.kaze.lib.k8s

_cross_cell if k8s.labels(input.object)["kaze.io/traffic"] == "cross-cell"

_subject := sprintf("%s %s/%s", [input.object.kind, k8s.namespace(input.object), k8s.name(input.object)])

_api_group := split(object.get(input.object, "apiVersion", ""), "/")[0]

violation contains v if {
	_cross_cell
	some problem in _problems
	v := {
		"msg": sprintf("Cross-cell %s %s: %s", [_subject, problem.what, problem.fix]),
		"resource": input.id,
		"evidence": problem.evidence,
	}
}

# An Ingress not labelled cross-cell that serves a cross-cell Ingress's host is part of that
# entry point: ingress-nginx merges the Ingresses of a host into one server, so one that asks
# for no client certificate opens a route around mutual TLS to the same host (and, with the
# same path, the same backend). The label cannot exempt it.
violation contains v if {
	count(_shared_hosts) > 0
	some problem in _problems
	v := {
		"msg": sprintf(
			"%s serves the cross-cell host %s without the kaze.io/traffic: cross-cell label, and %s: %s, or serve another host",
			[_subject, concat(", ", sort(_shared_hosts)), problem.what, problem.fix],
		),
		"resource": input.id,
		"evidence": object.union(problem.evidence, {"cross_cell_hosts": sort(_shared_hosts)}),
	}
}

# An unlabelled Ingress on another host that routes to a cross-cell Ingress's backend is a route
# around mutual TLS all the same: https://<its host>/<the cross-cell path> reaches the same
# Service port, and so the same pods and port, without a client certificate.
violation contains v if {
	some shared in _shared_backends
	some problem in _problems
	v := {
		"msg": sprintf(
			concat("", [
				"%s routes to %s, the backend of the cross-cell Ingress %s, without the kaze.io/traffic: cross-cell label, ",
				"and %s: %s, or serve the cross-cell API on a Service port of its own that only the cross-cell Ingress routes to",
			]),
			[_subject, _backend_text(shared.backend), _id_text(shared.ingress), problem.what, problem.fix],
		),
		"resource": input.id,
		"evidence": object.union(
			problem.evidence,
			{"cross_cell_ingress": shared.ingress, "backend": shared.backend},
		),
	}
}

# The hosts of the cross-cell Ingresses, and those of them an unlabelled Ingress serves.
_cross_cell_ingresses := [ingress |
	some ingress in k8s.labelled("kaze.io/traffic", "cross-cell")
	ingress.kind == "Ingress"
]

_cross_cell_hosts contains lower(host) if {
	some ingress in _cross_cell_ingresses
	some rule in object.get(ingress.object, ["spec", "rules"], [])
	host := object.get(rule, "host", "")
	host != ""
}

_shared_hosts contains lower(host) if {
	input.object.kind == "Ingress"
	not _cross_cell
	some rule in object.get(input.object, ["spec", "rules"], [])
	host := object.get(rule, "host", "")
	lower(host) in _cross_cell_hosts
}

# The backends of the cross-cell Ingresses, each with the id of the Ingress routing to it. Read
# for an unlabelled Ingress only: other objects never walk the inventory for it.
_cross_cell_backends contains {
	"backend": _backend_key(k8s.namespace(ingress.object), backend.service),
	"ingress": ingress.id,
} if {
	input.object.kind == "Ingress"
	not _cross_cell
	some ingress in _cross_cell_ingresses
	some backend in _ingress_backends(ingress.object)
}

_shared_backends contains shared if {
	count(_cross_cell_backends) > 0
	some backend in _ingress_backends(input.object)
	key := _backend_key(k8s.namespace(input.object), backend.service)
	some shared in _cross_cell_backends
	shared.backend == key
}

# ingress_backends lists the Service backends of an Ingress: its defaultBackend and every path's.
_ingress_backends(obj) := [backend |
	paths := [path |
		some rule in object.get(obj, ["spec", "rules"], [])
		some path in object.get(rule, ["http", "paths"], [])
	]
	some backend in array.concat(
		[object.get(obj, ["spec", "defaultBackend"], {})],
		[object.get(path, "backend", {}) | some path in paths],
	)
	is_object(object.get(backend, "service", null))
]

# backend_key is what a Service backend reaches: an Ingress names the Service port by name or by
# number, which the Service maps to one of its ports and that to a target port on the pods. Two
# backends that reach the same target port of the same Service are one. Without the Service in
# the inventory (or without that port in it), the port is compared as the Ingress gives it.
_backend_key(ns, service) := {"namespace": ns, "service": object.get(service, "name", ""), "port": port} if {
	port := _service_port(ns, object.get(service, "name", ""), object.get(service, "port", {}))
}

_service_port(ns, name, port) := {"targetPort": object.get(p, "targetPort", p.port)} if {
	svc := _v1_service(ns, name)
	some p in object.get(svc.object, ["spec", "ports"], [])
	object.get(p, "protocol", "TCP") == "TCP" # an Ingress proxies TCP: 53/UDP beside 53/TCP is another port
	_names_port(p, port)
} else := port

# v1_service is the core Service ns/name: by its id (one look-up, not a walk per backend), or
# through the namespace index when a Service of another API group (Knative's) holds that id.
_v1_service(ns, name) := svc if {
	svc := data.inventory.resources[sprintf("Service/%s/%s", [ns, name])]
	svc.apiVersion == "v1"
} else := svc if {
	# another API group's Service (Knative's) holds the id: only then walk the namespace,
	# which for a Service not in the inventory at all made the rule quadratic in Ingresses
	data.inventory.resources[sprintf("Service/%s/%s", [ns, name])].apiVersion != "v1"
	some svc in inventory.resources_in(ns, "Service")
	svc.apiVersion == "v1"
	svc.name == name
}

_names_port(p, port) if p.name == port.name

_names_port(p, port) if p.port == port.number

_backend_text(b) := sprintf("Service %s/%s target port %v", [b.namespace, b.service, b.port.targetPort]) if {
	b.port.targetPort
} else := sprintf(
	"Service %s/%s port %v",
	[b.namespace, b.service, object.get(b.port, "name", object.get(b.port, "number", null))],
)

_id_text(id) := concat("/", array.slice(parts, 1, count(parts))) if parts := split(id, "/")

# nginx Ingress ---------------------------------------------------------------------------

_problems contains {
	"what": sprintf("does not require a client certificate (auth-tls-verify-client is %v)", [verify]),
	"fix": "set nginx.ingress.kubernetes.io/auth-tls-verify-client: \"on\" with auth-tls-secret naming the cells' CA",
	"evidence": {"auth-tls-verify-client": verify},
} if {
	input.object.kind == "Ingress"
	verify := _ingress_annotation("auth-tls-verify-client")
	lower(sprintf("%v", [verify])) != "on"
}

_problems contains {
	"what": "names no CA to verify client certificates against (no auth-tls-secret)",
	"fix": "set nginx.ingress.kubernetes.io/auth-tls-secret to the Secret holding the cells' CA",
	"evidence": {"auth-tls-secret": null},
} if {
	input.object.kind == "Ingress"
	_ingress_annotation("auth-tls-secret") == null
}

_problems contains {
	"what": "has no TLS section, so no TLS (and no client certificate) is negotiated",
	"fix": "add spec.tls with the gateway's certificate and require client certificates",
	"evidence": {"tls": null},
} if {
	input.object.kind == "Ingress"
	count(object.get(input.object, ["spec", "tls"], [])) == 0
}

_problems contains {
	"what": "serves plain HTTP as well (ssl-redirect is \"false\"), where no client certificate is asked for",
	"fix": "remove nginx.ingress.kubernetes.io/ssl-redirect: \"false\"",
	"evidence": {"ssl-redirect": _ingress_annotation("ssl-redirect")},
} if {
	input.object.kind == "Ingress"
	lower(sprintf("%v", [_ingress_annotation("ssl-redirect")])) == "false"
	lower(sprintf("%v", [_ingress_annotation("force-ssl-redirect")])) != "true"
}

# Gateway API -----------------------------------------------------------------------------

_problems contains {
	"what": sprintf(
		"has listener %v on port %v with protocol %v, which carries no TLS",
		[object.get(listener, "name", null), object.get(listener, "port", null), object.get(listener, "protocol", null)],
	),
	"fix": "remove the listener; cross-cell traffic must use HTTPS or TLS listeners that require client certificates",
	"evidence": {
		"listener": object.get(listener, "name", null),
		"port": object.get(listener, "port", null),
		"protocol": object.get(listener, "protocol", null),
	},
} if {
	_gateway_api
	some listener in _listeners
	not _protocol(listener) in {"HTTPS", "TLS"}
}

_problems contains {
	"what": sprintf(
		"passes TLS through on listener %v (port %v) without checking client certificates",
		[object.get(listener, "name", null), object.get(listener, "port", null)],
	),
	"fix": "terminate TLS on the gateway (tls.mode: Terminate) and validate client certificates",
	"evidence": {
		"listener": object.get(listener, "name", null),
		"port": object.get(listener, "port", null),
		"tls.mode": object.get(listener, ["tls", "mode"], null),
	},
} if {
	_gateway_api
	some listener in _listeners
	_protocol(listener) in {"HTTPS", "TLS"}
	not _terminates_tls(listener)
}

_problems contains {
	"what": sprintf(
		"does not require a valid client certificate on listener %v (port %v), because %s",
		[object.get(listener, "name", null), object.get(listener, "port", null), _why_no_client_cert(listener)],
	),
	"fix": "set spec.tls.frontend.default.validation with caCertificateRefs naming the cells' CA and mode AllowValidOnly",
	"evidence": {
		"listener": object.get(listener, "name", null),
		"port": object.get(listener, "port", null),
		"validation": _validation(object.get(listener, "port", null)),
	},
} if {
	_gateway_api
	some listener in _listeners
	_terminates_tls(listener)
	not _requires_client_cert(listener)
}

# Istio Gateway ---------------------------------------------------------------------------

_problems contains {
	"what": sprintf(
		"does not require mutual TLS on server port %v (tls.mode %v)",
		[object.get(server, ["port", "number"], null), mode],
	),
	"fix": "set tls.mode: MUTUAL with the cells' CA as caCertificates (or credentialName with ca.crt)",
	"evidence": {"port": object.get(server, "port", null), "tls.mode": mode},
} if {
	input.object.kind == "Gateway"
	_api_group == "networking.istio.io"
	some server in object.get(input.object, ["spec", "servers"], [])
	object.get(server, ["tls", "httpsRedirect"], false) != true
	mode := object.get(server, ["tls", "mode"], null)
	not mode in {"MUTUAL", "ISTIO_MUTUAL"}
}

# Service ---------------------------------------------------------------------------------

_problems contains {
	"what": sprintf(
		"exposes its pods outside the cluster directly (%s), bypassing the mutual-TLS gateway",
		[concat(", ", sort(_exposure))],
	),
	"fix": "make the Service ClusterIP and route cross-cell traffic to it through the cell gateway",
	"evidence": {"type": object.get(input.object, ["spec", "type"], "ClusterIP"), "exposure": sort(_exposure)},
} if {
	input.object.kind == "Service"
	count(_exposure) > 0
}

# Helpers ---------------------------------------------------------------------------------

_nginx := "nginx.ingress.kubernetes.io/"

_ingress_annotation(name) := object.get(k8s.annotations(input.object), concat("", [_nginx, name]), null)

_gateway_api if {
	input.object.kind == "Gateway"
	_api_group == "gateway.networking.k8s.io"
}

_listeners := object.get(input.object, ["spec", "listeners"], [])

_protocol(listener) := upper(sprintf("%v", [object.get(listener, "protocol", "")]))

_terminates_tls(listener) if {
	_protocol(listener) in {"HTTPS", "TLS"}
	object.get(listener, ["tls", "mode"], "Terminate") == "Terminate"
}

# The frontend validation in force on a port: its perPort entry, else the default.
_frontend := object.get(input.object, ["spec", "tls", "frontend"], {})

_validation(port) := v if {
	some entry in object.get(_frontend, "perPort", [])
	entry.port == port
	v := object.get(entry, ["tls", "validation"], {})
} else := object.get(_frontend, ["default", "validation"], {})

# Gateway API before v1.3 put the validation on the listener (experimental frontendValidation).
_legacy_validation(listener) if {
	count(object.get(listener, ["tls", "frontendValidation", "caCertificateRefs"], [])) > 0
}

_requires_client_cert(listener) if {
	rule := _validation(object.get(listener, "port", null))
	is_object(rule)
	count(object.get(rule, "caCertificateRefs", [])) > 0
	object.get(rule, "mode", "AllowValidOnly") == "AllowValidOnly"
}

_requires_client_cert(listener) if _legacy_validation(listener)

_why_no_client_cert(listener) := "no frontend client certificate validation is configured" if {
	not is_object(_validation(object.get(listener, "port", null)))
} else := "no frontend client certificate validation is configured" if {
	_validation(object.get(listener, "port", null)) == {}
} else := "the frontend validation names no CA certificate" if {
	count(object.get(_validation(object.get(listener, "port", null)), "caCertificateRefs", [])) == 0
} else := sprintf(
	"frontend validation mode %v admits connections without a valid certificate",
	[object.get(_validation(object.get(listener, "port", null)), "mode", "AllowValidOnly")],
)

_exposure contains sprintf("type %s", [type]) if {
	type := object.get(input.object, ["spec", "type"], "ClusterIP")
	type in {"LoadBalancer", "NodePort"}
}

_exposure contains "externalIPs" if count(object.get(input.object, ["spec", "externalIPs"], [])) > 0
