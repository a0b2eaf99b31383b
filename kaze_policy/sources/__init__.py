"""Sources turn a target (files, a cluster, a Vault…) into inventory resources."""
