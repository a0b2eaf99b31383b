# The LLM Gateway (shared plane). Speedrun's own provider keys only. It never reads a
# client's path: a client's key reaches it response-wrapped, per request, from that client's
# agents, and the wrapping token is all it needs to unwrap.

path "kv/data/speedrun/*" {
  capabilities = ["read"]
}

path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
