# Break-glass: the only policy that reaches every client's keys and the platform's keys.
# Held only through the OIDC role oidc-break-glass (group kaze:break-glass, time-boxed and
# ticketed membership), with a 30-minute token. Every read is in the audit log. It cannot
# change Vault's policies, roles or audit devices.

path "kv/data/clients/*" {
  capabilities = ["read"]
}

path "kv/metadata/clients/*" {
  capabilities = ["read", "list"]
}

path "kv/data/speedrun/*" {
  capabilities = ["read"]
}

path "kv/metadata/speedrun/*" {
  capabilities = ["read", "list"]
}

# Immediate rotation on suspected compromise.
path "transit/keys/+/rotate" {
  capabilities = ["update"]
}

path "auth/token/revoke-accessor" {
  capabilities = ["update"]
}

path "sys/leases/revoke-prefix/*" {
  capabilities = ["update", "sudo"]
}
