package kaze.lib.terraform_test

import rego.v1

import data.kaze.lib.terraform as tf

# Terraform converts these strings for a bool attribute (cty: "true"/"1", "false"/"0").
test_bool_strings_are_bools if {
	tf.as_bool("true") == true
	tf.as_bool("1") == true
	tf.as_bool("false") == false
	tf.as_bool("0") == false
}

test_other_values_are_kept if {
	tf.as_bool(true) == true
	tf.as_bool(false) == false
	tf.as_bool("${var.public}") == "${var.public}"
	tf.as_bool("True") == "True"
	tf.as_bool(null) == null
}
