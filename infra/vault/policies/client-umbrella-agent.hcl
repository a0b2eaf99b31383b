# Agents of client "umbrella" (Kubernetes auth role umbrella-agent: ServiceAccount agent in
# namespace tenant-umbrella). They read umbrella's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/umbrella/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/umbrella/*" {
  capabilities = ["list"]
}

# Envelope encryption of umbrella's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-umbrella" {
  capabilities = ["update"]
}

path "transit/decrypt/client-umbrella" {
  capabilities = ["update"]
}
