"""kaze-policy: the Kaze control catalog as code, enforced in CI, at admission and in audits."""

from kaze_policy._deferred_imports import defer_rfc3987_syntax

__version__ = "0.1.0"

defer_rfc3987_syntax()
