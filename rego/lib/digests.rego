# METADATA
# title: Image digests
# description: >-
#   Whether an image reference is pinned by digest, and the digest it names. Functions only:
#   per-object rules may import this package.
package kaze.lib.digests

import rego.v1

# METADATA
# title: pinned
# description: The image reference ends in a sha256 digest (@sha256:<64 hex digits>).
pinned(image) if regex.match(`@sha256:[a-f0-9]{64}$`, image)

# METADATA
# title: digest_of
# description: >-
#   The sha256 digest an image reference <image>@<digest> names; undefined for a reference
#   without one (or with several @).
digest_of(image) := d if {
	parts := split(image, "@")
	count(parts) == 2
	d := parts[1]
	regex.match(`^sha256:[a-f0-9]{64}$`, d)
}
