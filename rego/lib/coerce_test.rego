package kaze.lib.coerce_test

import rego.v1

import data.kaze.lib.coerce

# Each value: [what as_list gives, what as_object gives].
values := {
	"an array": [["a", 1], ["a", 1], {}],
	"an empty array": [[], [], {}],
	"an object": [{"a": 1}, [], {"a": 1}],
	"a string": ["a,b", [], {}],
	"a number": [3, [], {}],
	"null": [null, [], {}],
	"a set": [{"a"}, [], {}],
}

test_as_list_and_as_object[name] if {
	some name, [value, list, obj] in values
	coerce.as_list(value) == list
	coerce.as_object(value) == obj
}
