package kaze.duties.deployers_no_secrets_test

import rego.v1

import data.kaze.duties.deployers_no_secrets as sod

user(name) := {"kind": "User", "name": name, "namespace": null}

group(name) := {"kind": "Group", "name": name, "namespace": null}

sa(ns, name) := {"kind": "ServiceAccount", "name": name, "namespace": ns}

key(s) := concat(":", ["ServiceAccount", s.namespace, s.name]) if s.kind == "ServiceAccount"

key(s) := concat(":", [s.kind, s.name]) if s.kind != "ServiceAccount"

# A facts.rbac entry: the subject, its duties, where, and one witness.
entry(subject, duties, ns, binding, role) := {
	"subject": subject,
	"identity": key(subject),
	"duties": duties,
	"namespace": ns,
	"verbs": ["get", "list", "watch"],
	"resource_names": null,
	"permissions": ["create deployments.apps"],
	"via": [{"binding": binding, "role": role}],
}

identities := {
	"bob": {"kubernetes": ["User:bob@kaze.io", "Group:kaze:deployers"], "vault": ["bob"]},
	"alice": {"kubernetes": ["User:alice@kaze.io", "Group:kaze:operators", "Group:kaze:break-glass"], "vault": ["alice"]},
	"carol": {"kubernetes": ["User:carol@kaze.io"], "vault": ["carol"]},
}

config := {"groups": {
	"deployers": ["Group:kaze:deployers", "ServiceAccount:argocd:argocd-application-controller"],
	"breakGlass": ["Group:kaze:break-glass"],
	"controllers": ["ServiceAccount:cnpg-system:cnpg-manager", "ServiceAccount:argocd:argocd-application-controller"],
}}

deploy_group := entry(group("kaze:deployers"), ["deployers"], "*", "ClusterRoleBinding/kaze-deployers", "ClusterRole/kaze-deployer")

inventory(deployers, readers) := inventory_with(deployers, readers, {}, [], [])

inventory_with(deployers, readers, resources, vault_readers, vault_errors) := {
	"config": config,
	"resources": resources,
	"by_kind": {kind: [id | some id, res in resources; res.kind == kind] | some r in resources; kind := r.kind},
	"facts": {
		"rbac": {"deployers": deployers, "secret_readers": readers, "identities": identities},
		"vault_acl": {"secret_readers": vault_readers, "errors": vault_errors, "unknown_client": "kaze-probe-unknown-client"},
	},
}

# ---------------------------------------------------------------------------------------
# Kubernetes Secrets

test_person_who_deploys_through_a_group_and_reads_as_a_user_fails if {
	read := entry(user("bob@kaze.io"), [], "tenant-acme", "RoleBinding/tenant-acme/bob-debug", "ClusterRole/kaze-secret-reader")
	violations := sod.violation with data.inventory as inventory([deploy_group], [read])
	count(violations) == 1
	some v in violations
	v.resource == "RoleBinding/tenant-acme/bob-debug"
	v.evidence.identity == "bob"
	v.evidence.deploys[0].via[0].binding == "ClusterRoleBinding/kaze-deployers"
	v.evidence.reads[0].via.binding == "RoleBinding/tenant-acme/bob-debug"
	contains(v.msg, "Identity bob can both deploy and read production secrets")
	contains(v.msg, "Group kaze:deployers deploys cluster-wide through ClusterRoleBinding kaze-deployers")
	contains(v.msg, "User bob@kaze.io reads Secrets in namespace tenant-acme through RoleBinding tenant-acme/bob-debug")
}

test_deployer_without_secret_read_passes if {
	read := entry(group("kaze:operators"), [], "*", "ClusterRoleBinding/ops-secrets", "ClusterRole/kaze-secret-reader")
	count(sod.violation) == 0 with data.inventory as inventory([deploy_group], [read])
}

test_subject_of_no_identity_is_its_own_identity if {
	bot := sa("ci", "release-bot")
	deploy := entry(bot, [], "*", "ClusterRoleBinding/ci-deploy", "ClusterRole/deployer")
	read := entry(bot, [], "ci", "RoleBinding/ci/ci-secrets", "Role/ci/secrets")
	some v in sod.violation with data.inventory as inventory([deploy], [read])
	v.resource == "RoleBinding/ci/ci-secrets"
	v.evidence.identity == "ServiceAccount:ci:release-bot"
	startswith(v.msg, "ServiceAccount ci/release-bot can both deploy")
}

test_aggregated_read_names_the_aggregated_role if {
	read := {
		"subject": group("kaze:deployers"), "identity": "bob", "duties": ["deployers"], "namespace": "*", "verbs": ["get"], "resource_names": null,
		"via": [{"binding": "ClusterRoleBinding/kaze-deployers", "role": "ClusterRole/kaze-deployer", "aggregated_from": "ClusterRole/debug-secrets"}],
	}
	some v in sod.violation with data.inventory as inventory([deploy_group], [read])
	v.resource == "ClusterRoleBinding/kaze-deployers"
	contains(v.msg, "ClusterRole kaze-deployer, which aggregates ClusterRole debug-secrets")
}

test_read_of_named_secrets_counts_and_names_them if {
	read := object.union(entry(user("bob@kaze.io"), [], "argocd", "RoleBinding/argocd/bob-repo", "Role/argocd/repo"), {"resource_names": ["repo-creds"]})
	some v in sod.violation with data.inventory as inventory([deploy_group], [read])
	contains(v.msg, "reads the Secrets repo-creds in namespace argocd")
}

test_one_finding_per_identity_and_read_binding if {
	reads := [
		entry(user("bob@kaze.io"), [], "tenant-acme", "RoleBinding/tenant-acme/bob-debug", "ClusterRole/kaze-secret-reader"),
		entry(group("kaze:deployers"), ["deployers"], "tenant-acme", "RoleBinding/tenant-acme/bob-debug", "ClusterRole/kaze-secret-reader"),
		entry(user("bob@kaze.io"), [], "tenant-globex", "RoleBinding/tenant-globex/bob-debug", "ClusterRole/kaze-secret-reader"),
	]
	violations := sod.violation with data.inventory as inventory([deploy_group], reads)
	{v.resource | some v in violations} == {"RoleBinding/tenant-acme/bob-debug", "RoleBinding/tenant-globex/bob-debug"}
	count(violations) == 2
	some v in violations
	v.resource == "RoleBinding/tenant-acme/bob-debug"
	count(v.evidence.reads) == 2
}

test_subject_of_two_identities_is_judged_in_each if {
	ids := object.union(identities, {"platform-deployers": {"kubernetes": ["Group:kaze:deployers"], "vault": []}})
	read := entry(group("kaze:deployers"), ["deployers"], "*", "ClusterRoleBinding/deployers-secrets", "ClusterRole/kaze-secret-reader")
	inv := json.patch(inventory([deploy_group], [read]), [{"op": "replace", "path": "/facts/rbac/identities", "value": ids}])
	violations := sod.violation with data.inventory as inv
	{v.evidence.identity | some v in violations} == {"bob", "platform-deployers"}
}

# ---------------------------------------------------------------------------------------
# Exemptions

test_controller_reading_its_secrets_is_exempt if {
	cnpg := sa("cnpg-system", "cnpg-manager")
	deploy := entry(cnpg, ["controllers"], "*", "ClusterRoleBinding/cnpg-manager", "ClusterRole/cnpg-manager")
	read := entry(cnpg, ["controllers"], "*", "ClusterRoleBinding/cnpg-manager", "ClusterRole/cnpg-manager")
	count(sod.violation) == 0 with data.inventory as inventory([deploy], [read])
}

test_controller_exempt_by_configuration_alone if {
	cnpg := sa("cnpg-system", "cnpg-manager")
	deploy := entry(cnpg, [], "*", "ClusterRoleBinding/cnpg-manager", "ClusterRole/cnpg-manager")
	read := entry(cnpg, [], "*", "ClusterRoleBinding/cnpg-manager", "ClusterRole/cnpg-manager")
	count(sod.violation) == 0 with data.inventory as inventory([deploy], [read])
}

test_controller_that_is_a_configured_deployer_is_not_exempt if {
	argo := sa("argocd", "argocd-application-controller")
	deploy := entry(argo, ["controllers", "deployers"], "*", "ClusterRoleBinding/argocd-application-controller", "ClusterRole/argocd-application-controller")
	read := entry(argo, ["controllers", "deployers"], "*", "ClusterRoleBinding/argocd-application-controller", "ClusterRole/argocd-application-controller")
	some v in sod.violation with data.inventory as inventory([deploy], [read])
	v.resource == "ClusterRoleBinding/argocd-application-controller"
}

test_break_glass_group_is_exempt if {
	bg := group("kaze:break-glass")
	deploy := entry(bg, ["breakGlass"], "*", "ClusterRoleBinding/break-glass", "ClusterRole/cluster-admin")
	read := entry(bg, ["breakGlass"], "*", "ClusterRoleBinding/break-glass", "ClusterRole/cluster-admin")
	count(sod.violation) == 0 with data.inventory as inventory([deploy], [read])
}

test_break_glass_member_reading_as_operator_does_not_deploy if {
	# alice reads Secrets as an operator; her only deploy right is through break-glass.
	deploy := entry(group("kaze:break-glass"), ["breakGlass"], "*", "ClusterRoleBinding/break-glass", "ClusterRole/cluster-admin")
	read := entry(group("kaze:operators"), ["operators"], "*", "ClusterRoleBinding/ops-secrets", "ClusterRole/kaze-secret-reader")
	count(sod.violation) == 0 with data.inventory as inventory([deploy], [read])
}

test_system_masters_is_exempt if {
	masters := group("system:masters")
	deploy := entry(masters, [], "*", "ClusterRoleBinding/cluster-admin", "ClusterRole/cluster-admin")
	read := entry(masters, [], "*", "ClusterRoleBinding/cluster-admin", "ClusterRole/cluster-admin")
	count(sod.violation) == 0 with data.inventory as inventory([deploy], [read])
}

# ---------------------------------------------------------------------------------------
# Vault

snapshot(entities) := {"VaultSnapshot/cell": {
	"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell",
	"object": {"kind": "VaultSnapshot", "entities": entities, "authRoles": []},
}}

platform_read := {"policy": "platform-keys-read", "source": "VaultSnapshot/cell", "path": "kv/data/speedrun/kaze-probe-key", "capabilities": ["read"], "scope": "platform", "client": null}

every_client_read := {"policy": "support-all", "source": "VaultSnapshot/cell", "path": "kv/data/clients/kaze-probe-unknown-client/", "capabilities": ["read"], "scope": "client", "client": "kaze-probe-unknown-client"}

carol_deploys := entry(user("carol@kaze.io"), [], "tenant-acme", "RoleBinding/tenant-acme/carol-deploy", "ClusterRole/kaze-deployer")

test_vault_entity_of_a_deployer_reading_platform_keys_fails if {
	resources := snapshot([{"name": "carol", "policies": ["platform-keys-read"], "groups": []}])
	some v in sod.violation with data.inventory as inventory_with([carol_deploys], [], resources, [platform_read], [])
	v.resource == "VaultSnapshot/cell"
	v.evidence.vault.policy == "platform-keys-read"
	v.evidence.vault.platform == true
	contains(v.msg, "Vault entity carol (VaultSnapshot/cell) holds Vault policy platform-keys-read, which reads the platform's keys (under kv/data/speedrun/)")
}

test_vault_policy_reaching_every_client_is_said_so if {
	resources := snapshot([{"name": "carol", "policies": ["support-all"], "groups": []}])
	some v in sod.violation with data.inventory as inventory_with([carol_deploys], [], resources, [every_client_read], [])
	contains(v.msg, "which reads the keys of every client (under kv/data/clients/*/)")
}

test_vault_entity_of_someone_who_does_not_deploy_passes if {
	resources := snapshot([{"name": "alice", "policies": ["platform-keys-read"], "groups": []}])
	count(sod.violation) == 0 with data.inventory as inventory_with([carol_deploys], [], resources, [platform_read], [])
}

test_vault_policy_that_reads_no_key_path_passes if {
	resources := snapshot([{"name": "carol", "policies": ["release-notes"], "groups": []}])
	count(sod.violation) == 0 with data.inventory as inventory_with([carol_deploys], [], resources, [platform_read], [])
}

auth_role(name, fields) := {concat("/", ["VaultAuthRole", name]): {
	"id": concat("/", ["VaultAuthRole", name]), "kind": "VaultAuthRole", "name": name,
	"object": fields,
}}

test_kubernetes_auth_role_admitting_a_deploying_service_account_fails if {
	argo := sa("argocd", "argocd-repo-server")
	deploy := entry(argo, [], "*", "ClusterRoleBinding/argocd", "ClusterRole/argocd")
	resources := auth_role("argocd-vault-plugin", {"bound_service_account_names": ["argocd-*"], "bound_service_account_namespaces": "argocd", "token_policies": ["platform-keys-read"]})
	some v in sod.violation with data.inventory as inventory_with([deploy], [], resources, [platform_read], [])
	v.resource == "VaultAuthRole/argocd-vault-plugin"
	contains(v.msg, "Vault auth role argocd-vault-plugin, which admits ServiceAccount argocd/argocd-repo-server, holds Vault policy platform-keys-read")
}

test_kubernetes_auth_role_of_another_namespace_passes if {
	argo := sa("argocd", "argocd-repo-server")
	deploy := entry(argo, [], "*", "ClusterRoleBinding/argocd", "ClusterRole/argocd")
	resources := auth_role("gateway", {"bound_service_account_names": ["*"], "bound_service_account_namespaces": ["kaze-llm-gateway"], "token_policies": ["platform-keys-read"]})
	count(sod.violation) == 0 with data.inventory as inventory_with([deploy], [], resources, [platform_read], [])
}

test_oidc_role_bound_to_the_deployers_group_fails if {
	resources := auth_role("oidc-deployer", {"groups_claim": "groups", "bound_claims": {"groups": ["kaze:deployers"]}, "token_policies": ["platform-keys-read"]})
	some v in sod.violation with data.inventory as inventory_with([deploy_group], [], resources, [platform_read], [])
	v.resource == "VaultAuthRole/oidc-deployer"
	v.evidence.identity == "bob"
}

test_oidc_role_of_another_group_passes if {
	resources := auth_role("oidc-operator", {"groups_claim": "groups", "bound_claims": {"groups": ["kaze:operators"]}, "token_policies": ["platform-keys-read"]})
	count(sod.violation) == 0 with data.inventory as inventory_with([deploy_group], [], resources, [platform_read], [])
}

test_unreadable_policy_held_by_a_deployer_is_an_error if {
	resources := snapshot([{"name": "carol", "policies": ["broken"], "groups": []}])
	errs := sod.errors with data.inventory as inventory_with([carol_deploys], [], resources, [], [{"policy": "broken", "source": "VaultSnapshot/cell", "line": 2, "error": "bad"}])
	some msg in errs
	contains(msg, "Vault policy broken")
}

test_unreadable_policy_nobody_deploying_holds_is_no_error if {
	resources := snapshot([{"name": "alice", "policies": ["broken"], "groups": []}])
	errs := sod.errors with data.inventory as inventory_with([carol_deploys], [], resources, [], [{"policy": "broken", "source": "VaultSnapshot/cell", "line": 2, "error": "bad"}])
	count(errs) == 0
}

test_snapshot_without_entities_is_an_error if {
	resources := {"VaultSnapshot/cell": {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell", "object": {"kind": "VaultSnapshot"}}}
	count(sod.errors) == 1 with data.inventory as inventory_with([carol_deploys], [], resources, [], [])
}

# ---------------------------------------------------------------------------------------
# Applicability and missing facts

# Without configuration: nothing is exempt, and each subject is its own identity.
no_config(deployers, readers) := {"config": null, "facts": {"rbac": {"deployers": deployers, "secret_readers": readers, "identities": {}}}}

test_without_configuration_a_group_that_deploys_and_reads_fails if {
	# The facts as rbac.py gives them without configuration: no duties, no identity.
	deploys := entry(group("release"), [], "*", "ClusterRoleBinding/release-deploy", "ClusterRole/deployer")
	reads := entry(group("release"), [], "*", "ClusterRoleBinding/release-secrets", "ClusterRole/secret-reader")
	violations := sod.violation with data.inventory as no_config([deploys], [reads])
	count(violations) == 1
	some v in violations
	v.resource == "ClusterRoleBinding/release-secrets"
	startswith(v.msg, "Group release can both deploy and read production secrets")
	contains(v.msg, "there is no kaze-policy.yaml")
	not sod.not_applicable with data.inventory as no_config([deploys], [reads])
}

test_without_configuration_no_controller_or_break_glass_is_exempt if {
	# With the fixtures' configuration the Argo CD controller would be judged as a deployer anyway;
	# the CloudNativePG manager would be an exempt controller: without it, it is not.
	cnpg := sa("cnpg-system", "cnpg-manager")
	deploys := entry(cnpg, [], "*", "ClusterRoleBinding/cnpg", "ClusterRole/cnpg")
	reads := entry(cnpg, [], "*", "ClusterRoleBinding/cnpg", "ClusterRole/cnpg")
	count(sod.violation) == 1 with data.inventory as no_config([deploys], [reads])
	count(sod.violation) == 0 with data.inventory as inventory([deploys], [reads])
}

test_without_configuration_system_masters_stays_exempt if {
	masters := entry(group("system:masters"), [], "*", "ClusterRoleBinding/cluster-admin", "ClusterRole/cluster-admin")
	count(sod.violation) == 0 with data.inventory as no_config([masters], [masters])
}

test_without_configuration_reads_and_deploys_of_different_subjects_are_undecided if {
	reads := entry(user("bob@kaze.io"), [], "tenant-acme", "RoleBinding/tenant-acme/bob-debug", "ClusterRole/kaze-secret-reader")
	count(sod.violation) == 0 with data.inventory as no_config([deploy_group], [reads])
	contains(sod.undecided, "identities") with data.inventory as no_config([deploy_group], [reads])
}

test_without_configuration_nobody_deploying_is_decided if {
	reads := entry(user("bob@kaze.io"), [], "tenant-acme", "RoleBinding/tenant-acme/bob-debug", "ClusterRole/kaze-secret-reader")
	not sod.undecided with data.inventory as no_config([], [reads])
}

test_with_configuration_nothing_is_undecided if {
	reads := entry(user("carol@kaze.io"), [], "tenant-acme", "RoleBinding/tenant-acme/carol", "ClusterRole/kaze-secret-reader")
	not sod.undecided with data.inventory as inventory([deploy_group], [reads])
	not sod.not_applicable with data.inventory as inventory([], [])
}

test_without_configuration_missing_rbac_facts_is_an_error if {
	some msg in sod.errors with data.inventory as {"config": null, "facts": {}}
	contains(msg, "facts.rbac")
}

test_missing_rbac_facts_is_an_error if {
	some msg in sod.errors with data.inventory as {"config": config, "facts": {}}
	contains(msg, "facts.rbac")
}

# ---------------------------------------------------------------------------------------
# Groups every person is in

test_sync_for_everyone_in_argo_cd_joins_an_operators_secret_read if {
	everyone := entry(group("argocd:authenticated"), [], "*", "ConfigMap/argocd/argocd-rbac-cm", "role:admin")
	read := entry(group("kaze:operators"), ["operators"], "*", "ClusterRoleBinding/ops-secrets", "ClusterRole/kaze-secret-reader")
	some v in sod.violation with data.inventory as inventory([everyone], [read])
	v.resource == "ClusterRoleBinding/ops-secrets"
	v.evidence.identity == "alice"
	contains(v.msg, "Group argocd:authenticated deploys cluster-wide through ConfigMap argocd/argocd-rbac-cm (Argo CD role:admin)")
}

test_secret_read_for_all_authenticated_users_joins_a_deployer if {
	read := entry(group("system:authenticated"), [], "tenant-acme", "RoleBinding/tenant-acme/everyone-secrets", "ClusterRole/kaze-secret-reader")
	violations := sod.violation with data.inventory as inventory([deploy_group], [read])
	{v.evidence.identity | some v in violations} == {"bob"}
}

test_both_halves_through_everyone_groups_are_reported_once_as_the_group if {
	everyone := group("system:authenticated")
	deploy := entry(everyone, [], "*", "ClusterRoleBinding/everyone-deploys", "ClusterRole/kaze-deployer")
	read := entry(everyone, [], "*", "ClusterRoleBinding/everyone-reads", "ClusterRole/kaze-secret-reader")
	violations := sod.violation with data.inventory as inventory([deploy], [read])
	{v.evidence.identity | some v in violations} == {"Group:system:authenticated"}
}

test_service_account_alone_is_not_given_the_argo_cd_default if {
	everyone := entry(group("argocd:authenticated"), [], "*", "ConfigMap/argocd/argocd-rbac-cm", "role:admin")
	read := entry(sa("ci", "bot"), [], "ci", "RoleBinding/ci/bot-secrets", "Role/ci/secrets")
	count(sod.violation) == 0 with data.inventory as inventory([everyone], [read])
}
