# METADATA
# title: Every SBOM component has a package URL, a version and a hash, and no denied license
# description: >-
#   An SBOM is useful only if each component can be identified and checked: the package URL
#   says which package of which ecosystem it is (what vulnerability databases key on), the
#   version which release, and the hash that the bytes are those of that release. A component
#   whose license is on the deny list (kaze-policy.yaml licenses.deny) cannot be shipped into a
#   client's VPC; a license expression is denied when it cannot be satisfied without a denied
#   license (AGPL-3.0-only AND Apache-2.0 is denied, LGPL-3.0-only OR MIT is not).
# custom:
#   id: KZ-SUP-05
#   severity: medium
#   scopes: [supply-chain]
#   reference: "docs/requirements.md#supply-chain"
#   remediation: >-
#     Generate SBOMs with a tool that records purl, version and hashes for every component
#     (syft, cdxgen), or complete them; replace or remove components whose license is denied, or
#     obtain an exception through a waiver.
#   frameworks:
#     soc2: [CC7.1, CC9.2]
#     iso27001: [A.5.21, A.5.32, A.8.8]
#     nist80053: [CM-8, CM-10, SR-4]
package kaze.supply_chain.sbom_components

import rego.v1

import data.kaze.lib.sbom_index
import data.kaze.lib.tenancy

_denied_licenses contains lower(l) if {
	some l in object.get(tenancy.config, ["licenses", "deny"], [])
}

not_applicable := "the target has no SBOM index (SbomIndexSnapshot)" if count(sbom_index.snapshot_ids) == 0

# Package URLs, versions and hashes need no configuration; licences are judged against the
# deny list, and without one a licensed component is undecided.
undecided := concat("", [
	"no licence deny list is configured (kaze-policy.yaml: licenses.deny): ",
	"whether a component's licence is denied is undecided; package URLs, versions and hashes were checked",
]) if {
	count(_denied_licenses) == 0
	some [_, sbom] in sbom_index.sboms
	some c in object.get(sbom, "components", [])
	count(_license_texts(c)) > 0
}

errors contains sprintf("%s has no sboms list: the index recorded no SBOM", [id]) if {
	some id in sbom_index.snapshot_ids
	not is_array(object.get(data.inventory.resources[id].object, "sboms", null))
}

errors contains sprintf("%s: the SBOM %v has no components list", [id, _sbom_name(sbom)]) if {
	some [id, sbom] in sbom_index.sboms
	not is_array(object.get(sbom, "components", null))
}

_sbom_name(sbom) := object.get(sbom, "file", object.get(sbom, "image", "(unnamed)"))

_component_name(c) := trim_space(sprintf("%v %v", [
	object.get(c, "name", "(unnamed)"),
	object.get(c, "version", ""),
]))

# What each component lacks -----------------------------------------------------------------

_lacks(c, "a package URL") if not startswith(_text(c, "purl"), "pkg:")

_lacks(c, "a version") if _text(c, "version") == ""

_lacks(c, "a hash") if {
	hashes := [h |
		some h in object.get(c, "hashes", [])
		is_object(h)
		_text(h, "content") != ""
	]
	count(hashes) == 0
}

_text(obj, field) := trim_space(value) if {
	value := object.get(obj, field, null)
	is_string(value)
} else := sprintf("%v", [value]) if {
	value := object.get(obj, field, null)
	is_number(value)
} else := ""

_shortlist(names) := concat(", ", names) if count(names) <= 10

_shortlist(names) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, 10)), count(names) - 10]) if {
	count(names) > 10
}

violation contains v if {
	some [id, sbom] in sbom_index.sboms
	some what in {"a package URL", "a version", "a hash"}
	lacking := sort([_component_name(c) |
		some c in object.get(sbom, "components", [])
		_lacks(c, what)
	])
	count(lacking) > 0
	v := {
		"msg": sprintf(
			"SBOM %s (image %v) has %d component(s) without %s: %s: regenerate the SBOM so that every component records it",
			[_sbom_name(sbom), object.get(sbom, "image", "unknown"), count(lacking), what, _shortlist(lacking)],
		),
		"resource": id,
		"evidence": {
			"sbom": _sbom_name(sbom),
			"image": object.get(sbom, "image", null),
			"missing": what,
			"components": lacking,
		},
	}
}

# Licenses ----------------------------------------------------------------------------------

violation contains v if {
	count(_denied_licenses) > 0
	some [id, sbom] in sbom_index.sboms
	some c in object.get(sbom, "components", [])
	licenses := _license_texts(c)
	count(licenses) > 0
	_denied_expression(concat(" AND ", [sprintf("(%s)", [l]) | some l in licenses]))
	v := {
		"msg": sprintf(
			concat("", [
				"Component %s of SBOM %s (image %v) is licensed %s, ",
				"which cannot be used without a license on the deny list (%s): replace or remove the component",
			]),
			[
				_component_name(c), _sbom_name(sbom), object.get(sbom, "image", "unknown"),
				concat(" AND ", licenses), concat(", ", sort(_denied_in(licenses))),
			],
		),
		"resource": id,
		"evidence": {
			"sbom": _sbom_name(sbom),
			"component": _component_name(c),
			"purl": object.get(c, "purl", null),
			"licenses": licenses,
			"denied": sort(_denied_in(licenses)),
		},
	}
}

# License entries as the index gives them (SPDX ids or expressions), or CycloneDX objects.
_license_texts(c) := [t |
	some l in object.get(c, "licenses", [])
	t := _license_text(l)
	t != ""
]

_license_text(l) := trim_space(l) if is_string(l)

_license_text(l) := t if {
	is_object(l)
	candidates := [c |
		some path in [["expression"], ["license", "id"], ["id"], ["license", "name"], ["name"]]
		value := object.get(l, path, "")
		is_string(value)
		c := trim_space(value)
		c != ""
	]
	count(candidates) > 0
	t := candidates[0]
}

_denied_in(licenses) := {t |
	some l in licenses
	some t in _tokens(l)
	_denied_id(t)
}

# SPDX expressions ------------------------------------------------------------------------
#
# An expression is denied when it evaluates to false with every denied license false and
# every other license true. Rego has no recursion: each license becomes 1 or 0, then a fixed
# number of passes reduce AND chains (AND binds tighter than OR) and parenthesised OR chains.

_tokens(expr) := [t |
	some t in split(regex.replace(trim_space(regex.replace(_without_exceptions(expr), `[()]`, " ")), `\s+`, " "), " ")
	t != ""
	not upper(t) in {"AND", "OR"}
]

# "GPL-2.0-only WITH Classpath-exception-2.0": the exception does not change the license.
_without_exceptions(expr) := regex.replace(expr, `\s+(?i:with)\s+[^\s()]+`, "")

# Deprecated GNU ids: "GPL-3.0" is GPL-3.0-only, "GPL-3.0+" is GPL-3.0-or-later.
_normalized(id) := concat("", [trim_suffix(id, "+"), "-or-later"]) if {
	regex.match(`^(?i:(A|L)?GPL-[0-9.]+)\+$`, id)
} else := concat("", [id, "-only"]) if {
	regex.match(`^(?i:(A|L)?GPL-[0-9.]+)$`, id)
} else := id

_denied_id(id) if lower(_normalized(id)) in _denied_licenses

_bit(t) := "AND" if upper(t) == "AND"

_bit(t) := "OR" if upper(t) == "OR"

_bit(t) := "0" if {
	not upper(t) in {"AND", "OR"}
	_denied_id(t)
}

_bit(t) := "1" if {
	not upper(t) in {"AND", "OR"}
	not _denied_id(t)
}

# The expression as a string of 0, 1, AND, OR and parentheses, wrapped in one more pair.
_boolean_form(expr) := concat("", ["(", spaced, ")"]) if {
	spaced_parens := regex.replace(regex.replace(_without_exceptions(expr), `\(`, " ( "), `\)`, " ) ")
	words := [w | some w in split(trim_space(regex.replace(spaced_parens, `\s+`, " ")), " "); w != ""]
	mapped := [m |
		some w in words
		m := _mapped_word(w)
	]
	spaced := replace(replace(concat(" ", mapped), "( ", "("), " )", ")")
}

_mapped_word(w) := w if w in {"(", ")"}

_mapped_word(w) := _bit(w) if not w in {"(", ")"}

_reduce(s) := s4 if {
	s1 := regex.replace(s, `([01] AND )*0( AND [01])*`, "0")
	s2 := regex.replace(s1, `1( AND 1)+`, "1")
	s3 := regex.replace(s2, `\(([01] OR )*1( OR [01])*\)`, "1")
	s4 := regex.replace(s3, `\(0( OR 0)*\)`, "0")
}

_evaluate(expr) := _reduce(_reduce(_reduce(_reduce(_reduce(_reduce(_reduce(_reduce(_boolean_form(expr)))))))))

_denied_expression(expr) if _evaluate(expr) == "0"

# An expression too deep or malformed to evaluate is denied when it names a denied license.
_denied_expression(expr) if {
	not _evaluate(expr) in {"0", "1"}
	count({t | some t in _tokens(expr); _denied_id(t)}) > 0
}
