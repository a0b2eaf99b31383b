# Operators (kaze:operators): Vault's health and telemetry for investigation. No secret, ever:
# an operator who needs one goes through break-glass.

path "kv/*" {
  capabilities = ["deny"]
}

path "sys/health" {
  capabilities = ["read"]
}

path "sys/metrics" {
  capabilities = ["read"]
}

path "sys/ha-status" {
  capabilities = ["read"]
}

path "sys/storage/raft/autopilot/state" {
  capabilities = ["read"]
}
