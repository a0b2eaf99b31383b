# METADATA
# title: No RoleBinding in a tenant's namespace grants anything to another tenant's subject
# description: >-
#   A RoleBinding in a tenant's namespace that names a ServiceAccount of another tenant (as a
#   ServiceAccount, as the user system:serviceaccount:<namespace>:<name>, or through the group
#   system:serviceaccounts:<namespace>) lets that tenant's workloads act in this tenant's
#   namespace through the Kubernetes API: read its configuration or secrets, or change its
#   workloads. The cluster-wide groups system:serviceaccounts and system:authenticated
#   include every tenant's ServiceAccounts and are cross-tenant grants too.
# custom:
#   id: KZ-TEN-07
#   severity: high
#   scopes: [iac, cluster, admission]
#   kinds: [RoleBinding]
#   reference: "docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Remove the other tenant's subject from the RoleBinding. Grant in a tenant's namespace
#     only to that tenant's own ServiceAccounts and to the shared or system plane's; data a
#     tenant must share belongs in a shared-plane namespace.
#   frameworks:
#     soc2: [CC6.1, CC6.3]
#     iso27001: [A.5.15, A.5.18, A.8.2]
#     nist80053: [AC-3, AC-6]
package kaze.tenancy.rolebinding_subjects

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.tenancy

_binding_namespace := k8s.namespace(input.object)

_binding_tenant := tenancy.owner_of(_binding_namespace)

# The namespace whose ServiceAccounts a subject stands for.
_subject_namespace(s) := object.get(s, "namespace", _binding_namespace) if s.kind == "ServiceAccount"

_subject_namespace(s) := parts[2] if {
	s.kind == "User"
	parts := split(s.name, ":")
	count(parts) == 4
	parts[0] == "system"
	parts[1] == "serviceaccount"
}

_subject_namespace(s) := trim_prefix(s.name, "system:serviceaccounts:") if {
	s.kind == "Group"
	startswith(s.name, "system:serviceaccounts:")
}

# Groups that hold every tenant's ServiceAccounts.
_everyone_groups := {"system:serviceaccounts", "system:authenticated"}

_cross_tenant contains {"subject": s, "tenant": t, "why": sprintf("a subject of tenant %s", [t]), "index": i} if {
	some i, s in object.get(input.object, "subjects", [])
	t := tenancy.owner_of(_subject_namespace(s))
	t != _binding_tenant
}

_cross_tenant contains {
	"subject": s,
	"tenant": "*",
	"why": "a group that includes every tenant's ServiceAccounts",
	"index": i,
} if {
	some i, s in object.get(input.object, "subjects", [])
	s.kind == "Group"
	s.name in _everyone_groups
}

_subject_text(s) := sprintf("%s %s/%s", [s.kind, _subject_namespace(s), s.name]) if s.kind == "ServiceAccount"

_subject_text(s) := sprintf("%s %s", [s.kind, s.name]) if s.kind != "ServiceAccount"

violation contains v if {
	input.object.kind == "RoleBinding"
	_binding_tenant
	some c in _cross_tenant
	v := {
		"msg": sprintf(
			"RoleBinding %s/%s in the namespace of tenant %s grants %s %s to %s, %s: remove that subject from the binding",
			[
				_binding_namespace, k8s.name(input.object), _binding_tenant,
				object.get(input.object, ["roleRef", "kind"], "role"), object.get(input.object, ["roleRef", "name"], ""),
				_subject_text(c.subject), c.why,
			],
		),
		"resource": input.id,
		"evidence": {
			"binding_tenant": _binding_tenant,
			"subject": c.subject,
			"subject_tenant": c.tenant,
			"roleRef": object.get(input.object, "roleRef", {}),
			"field_path": ["subjects", c.index],
		},
	}
}
