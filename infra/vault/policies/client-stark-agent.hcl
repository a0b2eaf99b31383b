# Agents of client "stark" (Kubernetes auth role stark-agent: ServiceAccount agent in
# namespace tenant-stark). They read stark's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/stark/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/stark/*" {
  capabilities = ["list"]
}

# Envelope encryption of stark's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-stark" {
  capabilities = ["update"]
}

path "transit/decrypt/client-stark" {
  capabilities = ["update"]
}
