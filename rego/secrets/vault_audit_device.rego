# METADATA
# title: Vault has at least one audit device enabled that records every request
# description: >-
#   Every secret read must be logged with who, when, which secret and from where, so that a
#   client can see which agent used its key and a leaked key can be traced. Vault records
#   requests only through its audit devices (sys/audit): with none enabled, reads leave no
#   trace. A file device whose file_path is "discard" is enabled but throws every entry away
#   (Vault's own keyword for a sink that keeps nothing), so it does not count; any other
#   file, syslog or socket device does.
# custom:
#   id: KZ-SEC-02
#   severity: high
#   scopes: [vault]
#   reference: "docs/requirements.md#operator-access; docs/requirements.md#provider-keys"
#   remediation: >-
#     Enable an audit device that keeps its entries, e.g. `vault audit enable file
#     file_path=/vault/audit/audit.log` on a persistent volume, or a socket device to the
#     cell's log pipeline; never file_path=discard. Two devices (file and socket) keep Vault
#     answering if one of them fails.
#   frameworks:
#     soc2: [CC7.2, CC7.3]
#     iso27001: [A.8.15, A.8.16]
#     nist80053: [AU-2, AU-3, AU-12]
package kaze.secrets.vault_audit_device

import rego.v1

import data.kaze.lib.vault

not_applicable := "no VaultSnapshot: the audit devices of a live Vault have not been read" if {
	count(vault.snapshots) == 0
}

errors contains msg if {
	some s in vault.snapshots
	not is_object(object.get(s.object, "auditDevices", null))
	msg := sprintf("%s does not report auditDevices (sys/audit): whether secret reads are logged cannot be judged", [s.id])
}

violation contains v if {
	some s in vault.snapshots
	devices := s.object.auditDevices
	is_object(devices)
	count(devices) == 0
	v := {
		"msg": sprintf(
			concat("", [
				"The Vault of %s has no audit device enabled, so no secret read is logged: ",
				"enable a file or socket audit device that keeps its entries",
			]),
			[s.id],
		),
		"resource": s.id,
		"evidence": {"auditDevices": {}},
	}
}

violation contains v if {
	some s in vault.snapshots
	devices := s.object.auditDevices
	is_object(devices)
	count(devices) > 0
	count(_recording(devices)) == 0
	v := {
		"msg": sprintf(
			concat("", [
				"The Vault of %s enables only audit devices that discard their entries (%s), so no secret read is logged: ",
				"point a file device at a real file (or enable a socket device to the cell's log pipeline)",
			]),
			[s.id, concat(", ", sort(object.keys(devices)))],
		),
		"resource": s.id,
		"evidence": {"auditDevices": {path: _device_evidence(d) | some path, d in devices}},
	}
}

_device_evidence(d) := {"type": object.get(d, "type", null), "file_path": object.get(d, ["options", "file_path"], null)}

# A device that keeps nothing.
_discards(device) if {
	device.type == "file"
	path := object.get(device, ["options", "file_path"], object.get(device, ["options", "path"], ""))
	lower(trim_space(sprintf("%v", [path]))) == "discard"
}

_recording(devices) := [path |
	some path, device in devices
	is_object(device)
	not _discards(device)
]
