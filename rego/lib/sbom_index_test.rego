package kaze.lib.sbom_index_test

import rego.v1

import data.kaze.lib.sbom_index
import data.kaze.testing.inventory

index(api, sboms) := inventory.resource("SbomIndexSnapshot", null, "sboms", {"apiVersion": api, "sboms": sboms})

test_the_sboms_of_every_index_snapshot if {
	first := index("snapshot.kaze.io/v1", [{"file": "a.cdx.json"}, {"file": "b.cdx.json"}])
	sbom_index.snapshot_ids == [first.id] with data.inventory as inventory.of([first])
	listed := {[first.id, {"file": "a.cdx.json"}], [first.id, {"file": "b.cdx.json"}]}
	sbom_index.sboms == listed with data.inventory as inventory.of([first])
}

test_another_api_version_is_no_index if {
	other := index("snapshot.example.com/v1", [{"file": "a.cdx.json"}])
	sbom_index.snapshot_ids == [] with data.inventory as inventory.of([other])
	sbom_index.sboms == set() with data.inventory as inventory.of([other])
}
