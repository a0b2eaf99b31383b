# METADATA
# title: Loosely typed values
# description: >-
#   What a field holds when its type cannot be trusted (a manifest written by hand, a
#   Terraform attribute, a snapshot): a list or an object, or an empty one, so that a rule
#   iterating over it is never undefined on a malformed field. Functions only: per-object
#   rules may import this package.
package kaze.lib.coerce

import rego.v1

# METADATA
# title: as_list
# scope: document
# description: The value when it is an array, else the empty array.
as_list(x) := x if is_array(x)

as_list(x) := [] if not is_array(x)

# METADATA
# title: as_object
# scope: document
# description: The value when it is an object, else the empty object.
as_object(x) := x if is_object(x)

as_object(x) := {} if not is_object(x)
