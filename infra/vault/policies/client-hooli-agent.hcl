# Agents of client "hooli" (Kubernetes auth role hooli-agent: ServiceAccount agent in
# namespace tenant-hooli). They read hooli's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/hooli/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/hooli/*" {
  capabilities = ["list"]
}

# Envelope encryption of hooli's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-hooli" {
  capabilities = ["update"]
}

path "transit/decrypt/client-hooli" {
  capabilities = ["update"]
}
