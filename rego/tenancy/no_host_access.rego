# METADATA
# title: No tenant or shared-plane workload uses the host's namespaces, privileged mode, hostPath or added capabilities
# description: >-
#   A pod that shares the node's network, PID or IPC namespace, runs a privileged (or Windows
#   host-process) container, mounts a hostPath volume or adds Linux capabilities can see or
#   reach what other tenants run on the same node, and a compromise of it is a compromise of
#   the node. Tenant namespaces and the shared plane run tenant work and share nodes with other
#   tenants, so none of their workloads (init and ephemeral containers included) may do any of
#   these. A hostPath PersistentVolume bound by a claim of such a namespace (the claim's
#   volumeName, or the volume's claimRef) is host access too.
# custom:
#   id: KZ-TEN-05
#   severity: high
#   scopes: [iac, cluster, admission]
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController, PersistentVolume]
#   reference: "docs/requirements.md#workload-identity; docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Remove hostNetwork, hostPID and hostIPC (or set them to false), set privileged: false
#     and drop the capabilities.add list of every container, and replace hostPath volumes by
#     emptyDir, a ConfigMap, a projected volume or a PersistentVolumeClaim of a storage class
#     (not a hostPath PersistentVolume). Node-level agents
#     belong in a kaze.io/plane=system namespace.
#   frameworks:
#     soc2: [CC6.1, CC6.8]
#     iso27001: [A.8.2, A.8.9]
#     nist80053: [AC-6, CM-7, SC-39]
#     cis_kubernetes: ["5.2.2", "5.2.3", "5.2.4", "5.2.5", "5.2.9", "5.2.11", "5.2.12"]
package kaze.tenancy.no_host_access

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.tenancy

_applies if {
	k8s.is_workload(input.object)
	tenancy.is_workload_namespace(k8s.namespace(input.object))
}

_spec := k8s.pod_spec(input.object)

_in_spec(rest) := array.concat(k8s.pod_spec_path(input.object), rest)

# Each finding: what the workload does, the field to change, and that field's path in the
# object (the line a report points at; k8s.pod_spec_path), built only for what is found.
_findings contains {
	"what": sprintf("uses %s", [field]),
	"field": field,
	"path": _in_spec([field]),
	"fix": sprintf("remove %s (or set it to false)", [field]),
} if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	_spec[field] == true
}

_findings contains {
	"what": sprintf("mounts the hostPath %v as volume %s", [object.get(volume.hostPath, "path", ""), volume.name]),
	"field": "volumes",
	"path": _in_spec(["volumes", i, "hostPath"]),
	"fix": "replace it by an emptyDir, ConfigMap, projected volume or PersistentVolumeClaim",
} if {
	some i, volume in object.get(_spec, "volumes", [])
	volume.hostPath
}

_findings contains {
	"what": sprintf("runs container %s privileged", [c.name]),
	"field": "securityContext.privileged",
	"path": _in_spec([list, i, "securityContext", "privileged"]),
	"fix": "set privileged to false",
} if {
	some list in k8s.container_fields
	some i, c in object.get(_spec, list, [])
	c.securityContext.privileged == true
}

_findings contains {
	"what": sprintf(
		"adds the capabilities %s to container %s",
		[concat(", ", c.securityContext.capabilities.add), c.name],
	),
	"field": "securityContext.capabilities.add",
	"path": _in_spec([list, i, "securityContext", "capabilities", "add"]),
	"fix": "remove the capabilities.add list (keep drop: [ALL])",
} if {
	some list in k8s.container_fields
	some i, c in object.get(_spec, list, [])
	count(object.get(c, ["securityContext", "capabilities", "add"], [])) > 0
}

_findings contains {
	"what": "runs as a Windows host process",
	"field": "securityContext.windowsOptions.hostProcess",
	"path": _in_spec(["securityContext", "windowsOptions", "hostProcess"]),
	"fix": "set hostProcess to false",
} if {
	_spec.securityContext.windowsOptions.hostProcess == true
}

_findings contains {
	"what": sprintf("runs container %s as a Windows host process", [c.name]),
	"field": "securityContext.windowsOptions.hostProcess",
	"path": _in_spec([list, i, "securityContext", "windowsOptions", "hostProcess"]),
	"fix": "set hostProcess to false",
} if {
	some list in k8s.container_fields
	some i, c in object.get(_spec, list, [])
	c.securityContext.windowsOptions.hostProcess == true
}

_kind_of_namespace := "tenant" if tenancy.is_tenant_namespace(k8s.namespace(input.object))

_kind_of_namespace := "shared-plane" if {
	not tenancy.is_tenant_namespace(k8s.namespace(input.object))
	tenancy.is_shared_namespace(k8s.namespace(input.object))
}

# A hostPath PersistentVolume is the node's disk, wherever the pod that mounts it runs: bound
# to a claim of a tenant or shared-plane namespace, it is host access from there. Bound either
# way: the volume's claimRef (pre-binding), or a claim's volumeName.
_pv_claims contains ns if {
	input.object.kind == "PersistentVolume"
	ns := input.object.spec.claimRef.namespace
}

_pv_claims contains k8s.namespace(claim.object) if {
	input.object.kind == "PersistentVolume"
	some claim in k8s.resources_of_kind("PersistentVolumeClaim")
	claim.object.spec.volumeName == k8s.name(input.object)
}

violation contains v if {
	_applies
	some f in _findings
	v := {
		"msg": sprintf(
			concat("", [
				"%s %s/%s in %s namespace %s %s: %s; tenant and shared-plane workloads may not use the node's namespaces, ",
				"privileged mode, hostPath volumes or added capabilities",
			]),
			[
				input.object.kind, k8s.namespace(input.object), k8s.name(input.object),
				_kind_of_namespace, k8s.namespace(input.object), f.what, f.fix,
			],
		),
		"resource": input.id,
		"evidence": {"field": f.field, "finding": f.what, "field_path": f.path},
	}
}

violation contains v if {
	input.object.kind == "PersistentVolume"
	path := input.object.spec.hostPath.path
	some ns in _pv_claims
	tenancy.is_workload_namespace(ns)
	v := {
		"msg": sprintf(
			concat("", [
				"PersistentVolume %s is the hostPath %v of the node and is bound by a claim in namespace %s: ",
				"tenant and shared-plane workloads may not mount the node's filesystem; ",
				"bind their claims to volumes of a storage class instead",
			]),
			[k8s.name(input.object), path, ns],
		),
		"resource": input.id,
		"evidence": {
			"field": "spec.hostPath",
			"finding": sprintf("hostPath %v bound from %s", [path, ns]),
			"field_path": ["spec", "hostPath"],
		},
	}
}
