# Agents of client "contoso" (Kubernetes auth role contoso-agent: ServiceAccount agent in
# namespace tenant-contoso). They read contoso's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/contoso/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/contoso/*" {
  capabilities = ["list"]
}

# Envelope encryption of contoso's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-contoso" {
  capabilities = ["update"]
}

path "transit/decrypt/client-contoso" {
  capabilities = ["update"]
}
