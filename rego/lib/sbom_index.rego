# METADATA
# title: The SBOM index
# description: >-
#   The SBOMs a target's SBOM index (SbomIndexSnapshot, kaze_policy/sources) recorded. It
#   walks the index's snapshots: cross-resource controls only import it.
package kaze.lib.sbom_index

import rego.v1

# METADATA
# title: snapshot_ids
# description: The inventory ids of the target's SBOM index snapshots (snapshot.kaze.io/v1).
snapshot_ids := [id |
	some id in object.get(data.inventory.by_kind, "SbomIndexSnapshot", [])
	data.inventory.resources[id].apiVersion == "snapshot.kaze.io/v1"
]

# METADATA
# title: sboms
# description: Each SBOM an index lists, with the id of the snapshot that lists it ([id, sbom]).
sboms contains [id, sbom] if {
	some id in snapshot_ids
	some sbom in object.get(data.inventory.resources[id].object, "sboms", [])
}
