"""The catalog outside kaze-policy: an OPA bundle (`kaze-policy bundle`) and Gatekeeper
ConstraintTemplates with their gator suites (`kaze-policy export gatekeeper`)."""
