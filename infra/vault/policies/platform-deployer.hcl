# Deployers (people of kaze:deployers and the release pipeline). They see Vault's health and
# configuration, and nothing stored in it. They cannot write policies, auth roles or keys
# either: each of those would be a way to grant oneself a read. Vault's configuration
# (infra/vault/) is applied under break-glass.

path "kv/*" {
  capabilities = ["deny"]
}

path "transit/encrypt/*" {
  capabilities = ["deny"]
}

path "transit/decrypt/*" {
  capabilities = ["deny"]
}

path "sys/health" {
  capabilities = ["read"]
}

path "sys/mounts" {
  capabilities = ["read"]
}

path "sys/policies/acl" {
  capabilities = ["list"]
}

path "auth/kubernetes/role" {
  capabilities = ["list"]
}

path "auth/kubernetes/role/*" {
  capabilities = ["read"]
}
