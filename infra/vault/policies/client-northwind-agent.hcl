# Agents of client "northwind" (Kubernetes auth role northwind-agent: ServiceAccount agent in
# namespace tenant-northwind). They read northwind's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/northwind/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/northwind/*" {
  capabilities = ["list"]
}

# Envelope encryption of northwind's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-northwind" {
  capabilities = ["update"]
}

path "transit/decrypt/client-northwind" {
  capabilities = ["update"]
}
