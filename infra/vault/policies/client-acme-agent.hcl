# Agents of client "acme" (Kubernetes auth role acme-agent: ServiceAccount agent in
# namespace tenant-acme). They read acme's own keys and nothing else: no other client's
# path, no platform key. To hand a key to the LLM Gateway for one request they read it
# response-wrapped (X-Vault-Wrap-TTL), which needs no further capability.

path "kv/data/clients/acme/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/acme/*" {
  capabilities = ["list"]
}

# Envelope encryption of acme's data at rest (database columns, knowledge objects).
path "transit/encrypt/client-acme" {
  capabilities = ["update"]
}

path "transit/decrypt/client-acme" {
  capabilities = ["update"]
}
