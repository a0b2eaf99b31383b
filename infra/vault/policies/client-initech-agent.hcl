# Agents of client "initech" (Kubernetes auth role initech-agent: ServiceAccount agent in
# namespace tenant-initech). They read initech's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/initech/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/initech/*" {
  capabilities = ["list"]
}

# Envelope encryption of initech's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-initech" {
  capabilities = ["update"]
}

path "transit/decrypt/client-initech" {
  capabilities = ["update"]
}
