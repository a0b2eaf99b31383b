# METADATA
# title: No workload of one tenant can connect to a workload of another tenant
# description: >-
#   Having NetworkPolicies proves nothing about isolation: one rule with an empty
#   namespaceSelector, a NotIn selector, a pod label any tenant can set, or an ingress rule
#   without `from` lets another tenant in. This control judges what all NetworkPolicies
#   (Kubernetes and Cilium) allow together, egress at the source AND ingress at the
#   destination, for every pair of workloads: no tenant may reach another tenant's workloads,
#   and tenants may reach the shared plane (LLM Gateway, Agent Runtime) only on the ports it
#   declares.
# custom:
#   id: KZ-TEN-03
#   severity: critical
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#zero-trust-network; docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Change the policies named in the finding so that the connection is no longer allowed:
#     select peers by the namespace label kaze.io/tenant=<own tenant> or
#     kaze.io/plane=shared (together with any pod label, in one peer entry), never by an
#     empty or NotIn namespaceSelector, give every ingress rule a `from`, and open to the
#     shared plane only its declared container ports.
#   frameworks:
#     soc2: [CC6.1, CC6.6]
#     iso27001: [A.8.20, A.8.22]
#     nist80053: [SC-7, AC-4]
#     cis_kubernetes: ["5.3.2"]
package kaze.tenancy.netpol_reachability

import rego.v1

import data.kaze.lib.naming

netpol := object.get(data.inventory, ["facts", "netpol"], null)

# A list of the facts, or [] when it is absent or not a list (reported by errors).
facts(field) := l if {
	l := object.get(data.inventory, ["facts", "netpol", field], [])
	is_array(l)
} else := []

errors contains concat("", [
	"the NetworkPolicy reachability analysis (facts.netpol) is missing: ",
	"the tenants' isolation cannot be judged",
]) if {
	not is_object(netpol)
}

errors contains sprintf(
	"the NetworkPolicy reachability analysis has no %s list: the tenants' isolation cannot be judged",
	[field],
) if {
	is_object(netpol)
	some field in ["tenant_violations", "shared_undeclared"]
	not is_array(object.get(netpol, field, null))
}

port_text(w) := sprintf("%s port %v", [w.protocol, w.port]) if is_number(w.port)

port_text(w) := sprintf("%s ports %v", [w.protocol, w.port]) if not is_number(w.port)

allowed_by(w) := concat(", ", w.policies) if count(w.policies) > 0

allowed_by(w) := "no policy (the pods are not isolated)" if count(w.policies) == 0

evidence(w) := {
	"src": w.src,
	"src_tenant": w.src_tenant,
	"dst": w.dst,
	"dst_tenant": object.get(w, "dst_tenant", null),
	"dst_plane": object.get(w, "dst_plane", null),
	"protocol": w.protocol,
	"port": w.port,
	"policies": w.policies,
}

violation contains v if {
	some w in facts("tenant_violations")
	v := {
		"msg": sprintf(
			concat("", [
				"%s of tenant %s can open connections to %s of tenant %s (%s), allowed by %s: ",
				"restrict those policies so that no peer selects another tenant's namespace",
			]),
			[naming.describe(w.src), w.src_tenant, naming.describe(w.dst), w.dst_tenant, port_text(w), allowed_by(w)],
		),
		"resource": w.src,
		"evidence": evidence(w),
	}
}

violation contains v if {
	some w in facts("shared_undeclared")
	v := {
		"msg": sprintf(
			concat("", [
				"%s of tenant %s can reach the shared-plane %s on %s, which that workload does not declare as container ports, ",
				"allowed by %s: open only the shared plane's declared ports",
			]),
			[naming.describe(w.src), w.src_tenant, naming.describe(w.dst), port_text(w), allowed_by(w)],
		),
		"resource": w.src,
		"evidence": evidence(w),
	}
}
