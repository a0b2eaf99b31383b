package kaze.tenancy.no_host_access_test

import rego.v1

import data.kaze.tenancy.no_host_access

inv := {"namespaces": {
	"tenant-a": {"tenant": "a", "plane": null, "labels": {}},
	"shared": {"tenant": null, "plane": "shared", "labels": {}},
	"kube-system": {"tenant": null, "plane": "system", "labels": {}},
}}

container := {
	"name": "app",
	"image": "registry.kaze.io/kaze/app@sha256:00",
	"securityContext": {"capabilities": {"drop": ["ALL"]}},
}

deployment(ns, pod_spec) := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "app", "namespace": ns},
	"spec": {"template": {"spec": object.union({"containers": [container]}, pod_spec)}},
}

host_pv(claim_ref) := object.union(
	{
		"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "node-disk"},
		"spec": {"hostPath": {"path": "/var/lib"}},
	},
	{"spec": claim_ref},
)

claim(ns, volume) := {
	"id": sprintf("PersistentVolumeClaim/%s/data", [ns]),
	"object": {
		"kind": "PersistentVolumeClaim",
		"metadata": {"name": "data", "namespace": ns},
		"spec": {"volumeName": volume},
	},
}

with_claims(claims) := object.union(inv, {
	"resources": {c.id: c | some c in claims},
	"by_kind": {"PersistentVolumeClaim": [c.id | some c in claims]},
})

test_host_path_volume_bound_by_claim_ref_of_tenant_fails if {
	doc := {"id": "PersistentVolume/node-disk", "object": host_pv({"claimRef": {"namespace": "tenant-a", "name": "data"}})}
	claims_inv := with_claims([])
	vs := no_host_access.violation with input as doc with data.inventory as claims_inv
	some v in vs
	v.resource == "PersistentVolume/node-disk"
	contains(v.msg, "/var/lib")
	contains(v.msg, "namespace tenant-a")
}

test_host_path_volume_named_by_a_tenant_claim_fails if {
	doc := {"id": "PersistentVolume/node-disk", "object": host_pv({})}
	claims_inv := with_claims([claim("shared", "node-disk")])
	vs := no_host_access.violation with input as doc with data.inventory as claims_inv
	some v in vs
	contains(v.msg, "namespace shared")
}

test_host_path_volume_of_system_claim_passes if {
	pv := host_pv({"claimRef": {"namespace": "kube-system", "name": "data"}})
	doc := {"id": "PersistentVolume/node-disk", "object": pv}
	claims_inv := with_claims([claim("kube-system", "node-disk")])
	vs := no_host_access.violation with input as doc with data.inventory as claims_inv
	count(vs) == 0
}

test_unbound_host_path_volume_passes if {
	doc := {"id": "PersistentVolume/node-disk", "object": host_pv({})}
	claims_inv := with_claims([claim("tenant-a", "other-disk")])
	vs := no_host_access.violation with input as doc with data.inventory as claims_inv
	count(vs) == 0
}

test_bound_volume_without_host_path_passes if {
	pv := {"kind": "PersistentVolume", "metadata": {"name": "node-disk"}, "spec": {
		"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"},
		"claimRef": {"namespace": "tenant-a", "name": "data"},
	}}
	doc := {"id": "PersistentVolume/node-disk", "object": pv}
	claims_inv := with_claims([claim("tenant-a", "node-disk")])
	vs := no_host_access.violation with input as doc with data.inventory as claims_inv
	count(vs) == 0
}

test_hardened_workload_passes if {
	doc := {"id": "x", "object": deployment("tenant-a", {"hostNetwork": false, "hostPID": false})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	count(vs) == 0
}

test_host_namespaces_fail if {
	doc := {"id": "x", "object": deployment("tenant-a", {"hostNetwork": true, "hostPID": true, "hostIPC": true})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	{v.evidence.field | some v in vs} == {"hostNetwork", "hostPID", "hostIPC"}
	every v in vs {
		v.resource == "x"
	}
}

test_host_path_fails_in_shared_plane if {
	volumes := [{"name": "sock", "hostPath": {"path": "/run/containerd.sock"}}]
	doc := {"id": "x", "object": deployment("shared", {"volumes": volumes})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	some v in vs
	v.evidence.field == "volumes"
	contains(v.msg, "shared-plane namespace shared")
	contains(v.msg, "/run/containerd.sock")
}

test_privileged_init_container_of_cronjob_fails if {
	init := {"name": "init", "image": "i", "securityContext": {"privileged": true}}
	cron := {
		"kind": "CronJob", "metadata": {"name": "c", "namespace": "tenant-a"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [init], "containers": [container]}}}}},
	}
	doc := {"id": "x", "object": cron}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	some v in vs
	contains(v.msg, "runs container init privileged")
}

test_added_capability_fails if {
	c := object.union(container, {"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}})
	pod := {"kind": "Pod", "metadata": {"name": "p", "namespace": "tenant-a"}, "spec": {"containers": [c]}}
	doc := {"id": "x", "object": pod}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	some v in vs
	contains(v.msg, "NET_ADMIN")
}

test_empty_add_list_passes if {
	c := object.union(container, {"securityContext": {"capabilities": {"drop": ["ALL"], "add": []}}})
	doc := {"id": "x", "object": deployment("tenant-a", {"containers": [c]})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	count(vs) == 0
}

test_windows_host_process_fails if {
	doc := {"id": "x", "object": deployment("tenant-a", {"securityContext": {"windowsOptions": {"hostProcess": true}}})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	some v in vs
	v.evidence.field == "securityContext.windowsOptions.hostProcess"
}

test_system_namespace_is_out_of_scope if {
	doc := {"id": "x", "object": deployment("kube-system", {"hostNetwork": true})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	count(vs) == 0
}

test_unlabelled_namespace_is_out_of_scope if {
	doc := {"id": "x", "object": deployment("elsewhere", {"hostNetwork": true})}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	count(vs) == 0
}

test_other_kinds_ignored if {
	cm := {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "tenant-a"}, "spec": {"hostNetwork": true}}
	doc := {"id": "x", "object": cm}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	count(vs) == 0
}

# The evidence names the offending field by its path in the object: the report's line.
test_evidence_names_the_field_path if {
	pod := {
		"volumes": [{"name": "cache", "emptyDir": {}}, {"name": "sock", "hostPath": {"path": "/run"}}],
		"hostPID": true,
	}
	privileged := {"name": "p", "image": "i", "securityContext": {"privileged": true}}
	containers := {"spec": {"template": {"spec": {"containers": [container, privileged]}}}}
	obj := object.union(deployment("tenant-a", pod), containers)
	doc := {"id": "x", "object": obj}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	{v.evidence.field_path | some v in vs} == {
		["spec", "template", "spec", "hostPID"],
		["spec", "template", "spec", "volumes", 1, "hostPath"],
		["spec", "template", "spec", "containers", 1, "securityContext", "privileged"],
	}
}

test_evidence_path_of_cronjob_init_container if {
	init := {"name": "init", "image": "i", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}
	cron := {
		"kind": "CronJob", "metadata": {"name": "c", "namespace": "tenant-a"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [init], "containers": [container]}}}}},
	}
	doc := {"id": "x", "object": cron}
	vs := no_host_access.violation with input as doc with data.inventory as inv
	some v in vs
	v.evidence.field_path == [
		"spec", "jobTemplate", "spec", "template", "spec",
		"initContainers", 0, "securityContext", "capabilities", "add",
	]
}
