package kaze.secrets.vault_audit_device_test

import rego.v1

import data.kaze.secrets.vault_audit_device
import data.kaze.testing.inventory

_with_snapshot(snapshot_object) := inventory.of([inventory.resource("VaultSnapshot", null, "cell", snapshot_object)])

_file_device(path) := {"type": "file", "options": {"file_path": path}}

_socket_device := {"type": "socket", "options": {"address": "fluent-bit.kaze-monitoring.svc:5170"}}

test_devices_that_record[name] if {
	some name, devices in {
		"file device": {"file/": _file_device("/vault/audit/audit.log")},
		"socket device": {"socket/": _socket_device},
		"discard next to a real device": {"file/": _file_device("discard"), "file2/": _file_device("/vault/audit/audit.log")},
		"stdout counts as recording": {"file/": _file_device("stdout")},
	}
	inv := _with_snapshot({"auditDevices": devices})
	count(vault_audit_device.violation) == 0 with data.inventory as inv
}

test_no_device_fails if {
	inv := _with_snapshot({"auditDevices": {}})
	some v in vault_audit_device.violation with data.inventory as inv
	v.resource == "VaultSnapshot/cell"
}

test_discard_device_fails if {
	inv := _with_snapshot({"auditDevices": {"file/": _file_device("discard")}})
	some v in vault_audit_device.violation with data.inventory as inv
	v.evidence.auditDevices["file/"].file_path == "discard"
}

test_discard_under_options_path_fails if {
	inv := _with_snapshot({"auditDevices": {"file/": {"type": "file", "options": {"path": " Discard "}}}})
	count(vault_audit_device.violation) == 1 with data.inventory as inv
}

test_snapshot_without_audit_devices_is_an_error if {
	count(vault_audit_device.errors) == 1 with data.inventory as _with_snapshot({"policies": {}})
}

test_not_applicable_without_snapshot if {
	vault_audit_device.not_applicable with data.inventory as inventory.of([])
}
