package kaze.supply_chain.sbom_components_test

import rego.v1

import data.kaze.supply_chain.sbom_components

hash := [{"alg": "SHA-256", "content": "92796299eadb270743d276a0a620cd3f78393770f79ae5deec03571fde1e83ef"}]

component(fields) := object.union(
	{
		"name": "openssl",
		"version": "3.0.15",
		"purl": "pkg:deb/debian/openssl@3.0.15",
		"hashes": hash,
		"licenses": ["Apache-2.0"],
	},
	fields,
)

inventory(components) := {
	"config": {"licenses": {"deny": ["AGPL-3.0-only", "GPL-3.0-only", "SSPL-1.0"]}},
	"by_kind": {"SbomIndexSnapshot": ["SbomIndexSnapshot/cell"]},
	"resources": {"SbomIndexSnapshot/cell": {
		"id": "SbomIndexSnapshot/cell", "kind": "SbomIndexSnapshot", "apiVersion": "snapshot.kaze.io/v1",
		"object": {"sboms": [{
			"image": "registry.kaze.io/kaze/a@sha256:00",
			"file": "sboms/a.cdx.json",
			"valid": true,
			"components": components,
		}]},
	}},
}

licensed(licenses) := component({"licenses": licenses})

# Each case: the components of the SBOM, and the number of findings.
count_cases := {
	"complete components pass": [[component({}), component({"name": "libc6", "licenses": ["LGPL-2.1-or-later"]})], 0],
	"purl must be a package URL": [[component({"purl": "openssl"})], 1],
	"hash without content fails": [[component({"hashes": [{"alg": "SHA-256", "content": ""}]})], 1],
	"denied license in conjunction fails": [[licensed(["AGPL-3.0-only AND Apache-2.0"])], 1],
	"denied license with an alternative passes": [[licensed(["GPL-3.0-only OR MIT"])], 0],
	"lookalike licenses pass": [
		[licensed(["LGPL-3.0-only"]), licensed(["GPL-2.0-only"]), licensed(["LGPL-3.0-only OR MIT"])],
		0,
	],
	"license ids compare case-insensitively": [[licensed(["agpl-3.0-only"])], 1],
	"deprecated GNU id means only": [[licensed(["GPL-3.0"])], 1],
	"deprecated GNU id with + means or later": [[licensed(["GPL-3.0+"])], 0],
	"exception does not change the license": [[licensed(["GPL-3.0-only WITH Classpath-exception-2.0"])], 1],
	"parenthesised alternative": [[licensed(["(MIT OR SSPL-1.0) AND Apache-2.0"])], 0],
	"parenthesised denied pair": [[licensed(["MIT AND (SSPL-1.0 OR AGPL-3.0-only)"])], 1],
	"parenthesised conjunction as alternative": [[licensed(["MIT OR (SSPL-1.0 AND Apache-2.0)"])], 0],
	"AND binds tighter than OR": [[licensed(["SSPL-1.0 OR GPL-3.0-only AND MIT"])], 1],
	"nested parentheses": [[licensed(["((SSPL-1.0 OR (MIT AND Apache-2.0)))"])], 0],
	"several license entries all apply": [[licensed(["MIT", "SSPL-1.0"])], 1],
	"CycloneDX license object": [[licensed([{"license": {"id": "SSPL-1.0"}}])], 1],
	"CycloneDX license expression": [[licensed([{"expression": "MIT OR SSPL-1.0"}])], 0],
}

test_count[name] if {
	some name, [components, n] in count_cases
	inv := inventory(components)
	count(sbom_components.violation) == n with data.inventory as inv
}

# Each case: the components, and the evidence expected of a finding.
evidence_cases := {
	"component without purl fails": [
		[component({}), object.remove(component({"name": "anthropic"}), ["purl"])],
		{"missing": "a package URL", "components": ["anthropic 3.0.15"]},
	],
	"component without version fails": [
		[object.remove(component({"name": "envoy"}), ["version"])],
		{"missing": "a version"},
	],
	"component with empty hashes fails": [[component({"hashes": []})], {"missing": "a hash"}],
	"denied license fails": [
		[component({"name": "ghostscript", "licenses": ["AGPL-3.0-only"]})],
		{"denied": ["AGPL-3.0-only"]},
	],
}

test_evidence[name] if {
	some name, [components, want] in evidence_cases
	inv := inventory(components)
	some v in sbom_components.violation with data.inventory as inv
	v.resource == "SbomIndexSnapshot/cell"
	object.filter(v.evidence, object.keys(want)) == want
}

test_components_lacking_the_same_field_are_reported_together if {
	lacking := [object.remove(component({"name": sprintf("c%d", [i])}), ["hashes"]) | some i in numbers.range(1, 12)]
	inv := inventory(lacking)
	some v in sbom_components.violation with data.inventory as inv
	count(v.evidence.components) == 12
	contains(v.msg, "and 2 more")
}

test_no_deny_list_checks_fields_only if {
	inv := json.patch(inventory([licensed(["SSPL-1.0"])]), [{"op": "replace", "path": "/config", "value": null}])
	count(sbom_components.violation) == 0 with data.inventory as inv
}

test_sbom_without_components_is_an_error if {
	inv := json.patch(
		inventory([]),
		[{"op": "remove", "path": "/resources/SbomIndexSnapshot~1cell/object/sboms/0/components"}],
	)
	count(sbom_components.errors) == 1 with data.inventory as inv
}

test_not_applicable_without_index if {
	sbom_components.not_applicable with data.inventory as {"by_kind": {}, "resources": {}, "config": null}
}

# Without configuration: missing fields fail; a licensed component's licence is undecided.
no_config(components) := json.patch(inventory(components), [{"op": "replace", "path": "/config", "value": null}])

test_no_config_component_without_hash_fails if {
	inv := no_config([object.remove(component({}), ["hashes"])])
	some v in sbom_components.violation with data.inventory as inv
	v.evidence.missing == "a hash"
}

test_no_config_licensed_component_is_undecided if {
	inv := no_config([licensed(["AGPL-3.0-only"])])
	count(sbom_components.violation) == 0 with data.inventory as inv
	contains(sbom_components.undecided, "licenses.deny") with data.inventory as inv
}

test_no_config_unlicensed_components_are_decided if {
	inv := no_config([object.remove(component({}), ["licenses"])])
	not sbom_components.undecided with data.inventory as inv
}

test_deny_list_is_not_undecided if {
	not sbom_components.undecided with data.inventory as inventory([component({})])
}
