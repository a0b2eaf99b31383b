# The nightly `kaze-policy audit` of the cell (ServiceAccount kaze-policy-audit): it reads
# Vault's configuration (policies, audit devices, auth roles, key rotation, replication and
# secret sync) to evaluate KZ-SEC-01..05 and KZ-SOD-01, and no stored secret.

path "kv/*" {
  capabilities = ["deny"]
}

path "sys/policies/acl" {
  capabilities = ["list"]
}

path "sys/policies/acl/*" {
  capabilities = ["read"]
}

# Listing audit devices needs sudo.
path "sys/audit" {
  capabilities = ["read", "sudo"]
}

path "sys/auth" {
  capabilities = ["read"]
}

# The secrets engines (which are transit mounts, which store key-value secrets).
path "sys/mounts" {
  capabilities = ["read"]
}

path "auth/+/role" {
  capabilities = ["list"]
}

# A role, and the list of a method that serves it at `role/` (jwt and oidc do; kubernetes at `role`).
path "auth/+/role/*" {
  capabilities = ["read", "list"]
}

path "auth/token/roles" {
  capabilities = ["list"]
}

path "auth/token/roles/*" {
  capabilities = ["read"]
}

path "transit/keys" {
  capabilities = ["list"]
}

path "transit/keys/*" {
  capabilities = ["read"]
}

path "sys/replication/status" {
  capabilities = ["read"]
}

path "sys/sync/destinations" {
  capabilities = ["list"]
}

path "identity/entity/name" {
  capabilities = ["list"]
}

path "identity/entity/name/*" {
  capabilities = ["read"]
}

path "identity/group/name" {
  capabilities = ["list"]
}

path "identity/group/name/*" {
  capabilities = ["read"]
}
