package kaze.lib.digests_test

import rego.v1

import data.kaze.lib.digests

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

# Each case: the image reference, whether it is pinned, and the digest it names (as a set).
test_image[name] if {
	some name, [image, pinned, digest_of] in {
		"by digest": [concat("@", ["registry.kaze.io/kaze/a", digest]), {true}, {digest}],
		"by tag": ["registry.kaze.io/kaze/a:1.2", set(), set()],
		"short digest": ["python@sha256:1234", set(), set()],
		"uppercase digest": [concat("@", ["a", upper(digest)]), set(), set()],
		"two @": [concat("@", ["a@b", digest]), {true}, set()],
	}
	{true | digests.pinned(image)} == pinned
	{d | d := digests.digest_of(image)} == digest_of
}
