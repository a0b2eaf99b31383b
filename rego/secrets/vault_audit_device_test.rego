package kaze.secrets.vault_audit_device_test

import rego.v1

import data.kaze.secrets.vault_audit_device

inventory(snapshot_object) := {
	"resources": {"VaultSnapshot/cell": {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell", "object": snapshot_object}},
	"by_kind": {"VaultSnapshot": ["VaultSnapshot/cell"]},
}

file_device(path) := {"type": "file", "options": {"file_path": path}}

test_file_device_passes if {
	count(vault_audit_device.violation) == 0 with data.inventory as inventory({"auditDevices": {"file/": file_device("/vault/audit/audit.log")}})
}

test_socket_device_passes if {
	socket := {"type": "socket", "options": {"address": "fluent-bit.kaze-monitoring.svc:5170"}}
	count(vault_audit_device.violation) == 0 with data.inventory as inventory({"auditDevices": {"socket/": socket}})
}

test_no_device_fails if {
	some v in vault_audit_device.violation with data.inventory as inventory({"auditDevices": {}})
	v.resource == "VaultSnapshot/cell"
}

test_discard_device_fails if {
	some v in vault_audit_device.violation with data.inventory as inventory({"auditDevices": {"file/": file_device("discard")}})
	v.evidence.auditDevices["file/"].file_path == "discard"
}

test_discard_next_to_a_real_device_passes if {
	devices := {"file/": file_device("discard"), "file2/": file_device("/vault/audit/audit.log")}
	count(vault_audit_device.violation) == 0 with data.inventory as inventory({"auditDevices": devices})
}

test_stdout_counts_as_recording if {
	count(vault_audit_device.violation) == 0 with data.inventory as inventory({"auditDevices": {"file/": file_device("stdout")}})
}

test_snapshot_without_audit_devices_is_an_error if {
	count(vault_audit_device.errors) == 1 with data.inventory as inventory({"policies": {}})
}

test_not_applicable_without_snapshot if {
	vault_audit_device.not_applicable with data.inventory as {"resources": {}, "by_kind": {}}
}
