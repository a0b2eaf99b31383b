# Agents of client "globex" (Kubernetes auth role globex-agent: ServiceAccount agent in
# namespace tenant-globex). They read globex's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/globex/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/globex/*" {
  capabilities = ["list"]
}

# Envelope encryption of globex's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-globex" {
  capabilities = ["update"]
}

path "transit/decrypt/client-globex" {
  capabilities = ["update"]
}
