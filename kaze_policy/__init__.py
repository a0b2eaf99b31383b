"""kaze-policy: the Kaze control catalog as code, enforced in CI, at admission and in audits."""

__version__ = "0.1.0"
