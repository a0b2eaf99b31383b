package kaze.supply_chain.sbom_components_test

import rego.v1

import data.kaze.supply_chain.sbom_components

hash := [{"alg": "SHA-256", "content": "92796299eadb270743d276a0a620cd3f78393770f79ae5deec03571fde1e83ef"}]

component(fields) := object.union({"name": "openssl", "version": "3.0.15", "purl": "pkg:deb/debian/openssl@3.0.15", "hashes": hash, "licenses": ["Apache-2.0"]}, fields)

inventory(components) := {
	"config": {"licenses": {"deny": ["AGPL-3.0-only", "GPL-3.0-only", "SSPL-1.0"]}},
	"by_kind": {"SbomIndexSnapshot": ["SbomIndexSnapshot/cell"]},
	"resources": {"SbomIndexSnapshot/cell": {
		"id": "SbomIndexSnapshot/cell", "kind": "SbomIndexSnapshot", "apiVersion": "snapshot.kaze.io/v1",
		"object": {"sboms": [{"image": "registry.kaze.io/kaze/a@sha256:00", "file": "sboms/a.cdx.json", "valid": true, "components": components}]},
	}},
}

violations(components) := found if {
	found := sbom_components.violation with data.inventory as inventory(components)
}

test_complete_components_pass if {
	count(violations([component({}), component({"name": "libc6", "licenses": ["LGPL-2.1-or-later"]})])) == 0
}

test_component_without_purl_fails if {
	some v in violations([component({}), object.remove(component({"name": "anthropic"}), ["purl"])])
	v.resource == "SbomIndexSnapshot/cell"
	v.evidence.missing == "a package URL"
	v.evidence.components == ["anthropic 3.0.15"]
}

test_purl_must_be_a_package_url if {
	count(violations([component({"purl": "openssl"})])) == 1
}

test_component_without_version_fails if {
	some v in violations([object.remove(component({"name": "envoy"}), ["version"])])
	v.evidence.missing == "a version"
}

test_component_with_empty_hashes_fails if {
	some v in violations([component({"hashes": []})])
	v.evidence.missing == "a hash"
}

test_hash_without_content_fails if {
	count(violations([component({"hashes": [{"alg": "SHA-256", "content": ""}]})])) == 1
}

test_components_lacking_the_same_field_are_reported_together if {
	lacking := [object.remove(component({"name": sprintf("c%d", [i])}), ["hashes"]) | some i in numbers.range(1, 12)]
	some v in violations(lacking)
	count(v.evidence.components) == 12
	contains(v.msg, "and 2 more")
}

test_denied_license_fails if {
	some v in violations([component({"name": "ghostscript", "licenses": ["AGPL-3.0-only"]})])
	v.evidence.denied == ["AGPL-3.0-only"]
}

test_denied_license_in_conjunction_fails if {
	count(violations([component({"licenses": ["AGPL-3.0-only AND Apache-2.0"]})])) == 1
}

test_denied_license_with_an_alternative_passes if {
	count(violations([component({"licenses": ["GPL-3.0-only OR MIT"]})])) == 0
}

test_lookalike_licenses_pass if {
	count(violations([
		component({"licenses": ["LGPL-3.0-only"]}),
		component({"licenses": ["GPL-2.0-only"]}),
		component({"licenses": ["LGPL-3.0-only OR MIT"]}),
	])) == 0
}

test_license_ids_compare_case_insensitively if {
	count(violations([component({"licenses": ["agpl-3.0-only"]})])) == 1
}

test_deprecated_gnu_id_means_only if {
	count(violations([component({"licenses": ["GPL-3.0"]})])) == 1
	count(violations([component({"licenses": ["GPL-3.0+"]})])) == 0
}

test_exception_does_not_change_the_license if {
	count(violations([component({"licenses": ["GPL-3.0-only WITH Classpath-exception-2.0"]})])) == 1
}

test_parenthesised_expressions if {
	count(violations([component({"licenses": ["(MIT OR SSPL-1.0) AND Apache-2.0"]})])) == 0
	count(violations([component({"licenses": ["MIT AND (SSPL-1.0 OR AGPL-3.0-only)"]})])) == 1
	count(violations([component({"licenses": ["MIT OR (SSPL-1.0 AND Apache-2.0)"]})])) == 0
	count(violations([component({"licenses": ["SSPL-1.0 OR GPL-3.0-only AND MIT"]})])) == 1
	count(violations([component({"licenses": ["((SSPL-1.0 OR (MIT AND Apache-2.0)))"]})])) == 0
}

test_several_license_entries_all_apply if {
	count(violations([component({"licenses": ["MIT", "SSPL-1.0"]})])) == 1
}

test_cyclonedx_license_objects_are_read if {
	count(violations([component({"licenses": [{"license": {"id": "SSPL-1.0"}}]})])) == 1
	count(violations([component({"licenses": [{"expression": "MIT OR SSPL-1.0"}]})])) == 0
}

test_no_deny_list_checks_fields_only if {
	inv := json.patch(inventory([component({"licenses": ["SSPL-1.0"]})]), [{"op": "replace", "path": "/config", "value": null}])
	count(sbom_components.violation) == 0 with data.inventory as inv
}

test_sbom_without_components_is_an_error if {
	inv := json.patch(inventory([]), [{"op": "remove", "path": "/resources/SbomIndexSnapshot~1cell/object/sboms/0/components"}])
	count(sbom_components.errors) == 1 with data.inventory as inv
}

test_not_applicable_without_index if {
	sbom_components.not_applicable with data.inventory as {"by_kind": {}, "resources": {}, "config": null}
}

# Without configuration: missing fields fail; a licensed component's licence is undecided.
no_config(components) := json.patch(inventory(components), [{"op": "replace", "path": "/config", "value": null}])

test_no_config_component_without_hash_fails if {
	some v in sbom_components.violation with data.inventory as no_config([object.remove(component({}), ["hashes"])])
	v.evidence.missing == "a hash"
}

test_no_config_licensed_component_is_undecided if {
	count(sbom_components.violation) == 0 with data.inventory as no_config([component({"licenses": ["AGPL-3.0-only"]})])
	contains(sbom_components.undecided, "licenses.deny") with data.inventory as no_config([component({"licenses": ["AGPL-3.0-only"]})])
}

test_no_config_unlicensed_components_are_decided if {
	not sbom_components.undecided with data.inventory as no_config([object.remove(component({}), ["licenses"])])
}

test_deny_list_is_not_undecided if {
	not sbom_components.undecided with data.inventory as inventory([component({})])
}
