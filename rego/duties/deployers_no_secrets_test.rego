package kaze.duties.deployers_no_secrets_test

import rego.v1

import data.kaze.duties.deployers_no_secrets as sod
import data.kaze.lib.duties
import data.kaze.testing.inventory

_user(name) := {"kind": "User", "name": name, "namespace": null}

_group(name) := {"kind": "Group", "name": name, "namespace": null}

_sa(ns, name) := {"kind": "ServiceAccount", "name": name, "namespace": ns}

# A facts.rbac entry: the subject, its duties (groups), where, and one witness.
_entry(subject, groups, ns, binding, role) := {
	"subject": subject,
	"identity": duties.subject_key(subject),
	"duties": groups,
	"namespace": ns,
	"verbs": ["get", "list", "watch"],
	"resource_names": null,
	"permissions": ["create deployments.apps"],
	"via": [{"binding": binding, "role": role}],
}

_identities := {
	"bob": {"kubernetes": ["User:bob@kaze.io", "Group:kaze:deployers"], "vault": ["bob"]},
	"alice": {"kubernetes": ["User:alice@kaze.io", "Group:kaze:operators", "Group:kaze:break-glass"], "vault": ["alice"]},
	"carol": {"kubernetes": ["User:carol@kaze.io"], "vault": ["carol"]},
}

_config := {"groups": {
	"deployers": ["Group:kaze:deployers", "ServiceAccount:argocd:argocd-application-controller"],
	"breakGlass": ["Group:kaze:break-glass"],
	"controllers": ["ServiceAccount:cnpg-system:cnpg-manager", "ServiceAccount:argocd:argocd-application-controller"],
}}

_deploy_group := _entry(
	_group("kaze:deployers"), ["deployers"], "*",
	"ClusterRoleBinding/kaze-deployers", "ClusterRole/kaze-deployer",
)

_bob_reads(ns) := _entry(
	_user("bob@kaze.io"), [], ns,
	sprintf("RoleBinding/%s/bob-debug", [ns]), "ClusterRole/kaze-secret-reader",
)

_operators_read := _entry(
	_group("kaze:operators"), ["operators"], "*",
	"ClusterRoleBinding/ops-secrets", "ClusterRole/kaze-secret-reader",
)

_inv(deployers, readers) := _inv_with(deployers, readers, [], [], [])

_inv_with(deployers, readers, resources, vault_readers, vault_errors) := object.union(
	inventory.with_config(resources, _config),
	{"facts": {
		"rbac": {"deployers": deployers, "secret_readers": readers, "identities": _identities},
		"vault_acl": {
			"secret_readers": vault_readers, "errors": vault_errors,
			"unknown_client": "kaze-probe-unknown-client",
		},
	}},
)

# ---------------------------------------------------------------------------------------
# Kubernetes Secrets

test_person_who_deploys_through_a_group_and_reads_as_a_user_fails if {
	violations := sod.violation with data.inventory as _inv([_deploy_group], [_bob_reads("tenant-acme")])
	count(violations) == 1
	some v in violations
	v.resource == "RoleBinding/tenant-acme/bob-debug"
	v.evidence.identity == "bob"
	v.evidence.deploys[0].via[0].binding == "ClusterRoleBinding/kaze-deployers"
	v.evidence.reads[0].via.binding == "RoleBinding/tenant-acme/bob-debug"
	v.msg == concat("", [
		"Identity bob can both deploy and read production secrets: Group kaze:deployers deploys cluster-wide ",
		"through ClusterRoleBinding kaze-deployers (ClusterRole kaze-deployer), and User bob@kaze.io reads ",
		"Secrets in namespace tenant-acme through RoleBinding tenant-acme/bob-debug (ClusterRole kaze-secret-reader). ",
		"Take one of the two away (the Secret read of RoleBinding tenant-acme/bob-debug, or the deploy right of ",
		"ClusterRoleBinding kaze-deployers): whoever deploys may reach production secrets only through break-glass",
	])
}

test_deployer_without_secret_read_passes if {
	count(sod.violation) == 0 with data.inventory as _inv([_deploy_group], [_operators_read])
}

test_subject_of_no_identity_is_its_own_identity if {
	bot := _sa("ci", "release-bot")
	deploy := _entry(bot, [], "*", "ClusterRoleBinding/ci-deploy", "ClusterRole/deployer")
	read := _entry(bot, [], "ci", "RoleBinding/ci/ci-secrets", "Role/ci/secrets")
	some v in sod.violation with data.inventory as _inv([deploy], [read])
	v.resource == "RoleBinding/ci/ci-secrets"
	v.evidence.identity == "ServiceAccount:ci:release-bot"
	startswith(v.msg, "ServiceAccount ci/release-bot can both deploy")
}

test_aggregated_read_names_the_aggregated_role if {
	read := object.union(_deploy_group, {
		"identity": "bob", "verbs": ["get"],
		"via": [{
			"binding": "ClusterRoleBinding/kaze-deployers", "role": "ClusterRole/kaze-deployer",
			"aggregated_from": "ClusterRole/debug-secrets",
		}],
	})
	some v in sod.violation with data.inventory as _inv([_deploy_group], [read])
	v.resource == "ClusterRoleBinding/kaze-deployers"
	contains(v.msg, "ClusterRole kaze-deployer, which aggregates ClusterRole debug-secrets")
}

test_read_of_named_secrets_counts_and_names_them if {
	read := object.union(
		_entry(_user("bob@kaze.io"), [], "argocd", "RoleBinding/argocd/bob-repo", "Role/argocd/repo"),
		{"resource_names": ["repo-creds"]},
	)
	some v in sod.violation with data.inventory as _inv([_deploy_group], [read])
	contains(v.msg, "reads the Secrets repo-creds in namespace argocd")
}

test_one_finding_per_identity_and_read_binding if {
	reads := [
		_bob_reads("tenant-acme"),
		_entry(
			_group("kaze:deployers"), ["deployers"], "tenant-acme",
			"RoleBinding/tenant-acme/bob-debug", "ClusterRole/kaze-secret-reader",
		),
		_bob_reads("tenant-globex"),
	]
	violations := sod.violation with data.inventory as _inv([_deploy_group], reads)
	{v.resource | some v in violations} == {"RoleBinding/tenant-acme/bob-debug", "RoleBinding/tenant-globex/bob-debug"}
	count(violations) == 2
	some v in violations
	v.resource == "RoleBinding/tenant-acme/bob-debug"
	count(v.evidence.reads) == 2
}

test_subject_of_two_identities_is_judged_in_each if {
	ids := object.union(_identities, {"platform-deployers": {"kubernetes": ["Group:kaze:deployers"], "vault": []}})
	read := _entry(
		_group("kaze:deployers"), ["deployers"], "*",
		"ClusterRoleBinding/deployers-secrets", "ClusterRole/kaze-secret-reader",
	)
	inv := json.patch(_inv([_deploy_group], [read]), [{"op": "replace", "path": "/facts/rbac/identities", "value": ids}])
	violations := sod.violation with data.inventory as inv
	{v.evidence.identity | some v in violations} == {"bob", "platform-deployers"}
}

# ---------------------------------------------------------------------------------------
# Exemptions

# [subject, its duties in the facts, how many findings when it both deploys and reads].
test_who_is_exempt[name] if {
	some name, [subject, its_duties, want] in {
		# A controller reading its own Secrets, by duty or by configuration alone.
		"controller by duty": [_sa("cnpg-system", "cnpg-manager"), ["controllers"], 0],
		"controller by configuration alone": [_sa("cnpg-system", "cnpg-manager"), [], 0],
		# A controller that is also a configured deployer is judged as one.
		"controller that deploys": [_sa("argocd", "argocd-application-controller"), ["controllers", "deployers"], 1],
		"break-glass group": [_group("kaze:break-glass"), ["breakGlass"], 0],
		"Kubernetes' bootstrap system:masters": [_group("system:masters"), [], 0],
	}
	e := _entry(subject, its_duties, "*", "ClusterRoleBinding/both", "ClusterRole/both")
	count(sod.violation) == want with data.inventory as _inv([e], [e])
}

test_break_glass_member_reading_as_operator_does_not_deploy if {
	# alice reads Secrets as an operator; her only deploy right is through break-glass.
	deploy := _entry(
		_group("kaze:break-glass"), ["breakGlass"], "*",
		"ClusterRoleBinding/break-glass", "ClusterRole/cluster-admin",
	)
	count(sod.violation) == 0 with data.inventory as _inv([deploy], [_operators_read])
}

# ---------------------------------------------------------------------------------------
# Vault (who holds which policy: kaze.lib.vault_holders)

_snapshot(entities) := inventory.resource("VaultSnapshot", null, "cell", {"entities": entities, "authRoles": []})

_platform_read := {
	"policy": "platform-keys-read", "source": "VaultSnapshot/cell", "path": "kv/data/speedrun/kaze-probe-key",
	"capabilities": ["read"], "scope": "platform", "client": null,
}

_every_client_read := {
	"policy": "support-all", "source": "VaultSnapshot/cell", "path": "kv/data/clients/kaze-probe-unknown-client/",
	"capabilities": ["read"], "scope": "client", "client": "kaze-probe-unknown-client",
}

_carol_deploys := _entry(
	_user("carol@kaze.io"), [], "tenant-acme",
	"RoleBinding/tenant-acme/carol-deploy", "ClusterRole/kaze-deployer",
)

_broken := [{"policy": "broken", "source": "VaultSnapshot/cell", "line": 2, "error": "bad"}]

test_vault_entity_of_a_deployer_reading_platform_keys_fails if {
	resources := [_snapshot([{"name": "carol", "policies": ["platform-keys-read"], "groups": []}])]
	some v in sod.violation with data.inventory as _inv_with([_carol_deploys], [], resources, [_platform_read], [])
	v.resource == "VaultSnapshot/cell"
	v.evidence.vault.policy == "platform-keys-read"
	v.evidence.vault.platform == true
	contains(v.msg, concat("", [
		"Vault entity carol (VaultSnapshot/cell) holds Vault policy platform-keys-read, ",
		"which reads the platform's keys (under kv/data/speedrun/)",
	]))
}

test_vault_policy_reaching_every_client_is_said_so if {
	resources := [_snapshot([{"name": "carol", "policies": ["support-all"], "groups": []}])]
	some v in sod.violation with data.inventory as _inv_with([_carol_deploys], [], resources, [_every_client_read], [])
	contains(v.msg, "which reads the keys of every client (under kv/data/clients/*/)")
}

# [the entity, its policy]: no finding.
test_vault_policies_that_are_no_finding[name] if {
	some name, [entity, policy] in {
		"an entity of someone who does not deploy": ["alice", "platform-keys-read"],
		"a policy that reads no key path": ["carol", "release-notes"],
	}
	resources := [_snapshot([{"name": entity, "policies": [policy], "groups": []}])]
	count(sod.violation) == 0 with data.inventory as _inv_with([_carol_deploys], [], resources, [_platform_read], [])
}

test_auth_role_admitting_a_deploying_service_account_fails if {
	deploy := _entry(_sa("argocd", "argocd-repo-server"), [], "*", "ClusterRoleBinding/argocd", "ClusterRole/argocd")
	resources := [inventory.resource("VaultAuthRole", null, "argocd-vault-plugin", {
		"bound_service_account_names": ["argocd-*"], "bound_service_account_namespaces": "argocd",
		"token_policies": ["platform-keys-read"],
	})]
	some v in sod.violation with data.inventory as _inv_with([deploy], [], resources, [_platform_read], [])
	v.resource == "VaultAuthRole/argocd-vault-plugin"
	contains(v.msg, concat("", [
		"Vault auth role argocd-vault-plugin, which admits ServiceAccount argocd/argocd-repo-server, ",
		"holds Vault policy platform-keys-read",
	]))
}

test_oidc_role_bound_to_the_deployers_group_fails if {
	resources := [inventory.resource("VaultAuthRole", null, "oidc-deployer", {
		"groups_claim": "groups", "bound_claims": {"groups": ["kaze:deployers"]},
		"token_policies": ["platform-keys-read"],
	})]
	some v in sod.violation with data.inventory as _inv_with([_deploy_group], [], resources, [_platform_read], [])
	v.resource == "VaultAuthRole/oidc-deployer"
	v.evidence.identity == "bob"
}

test_unreadable_policy_held_by_a_deployer_is_an_error if {
	resources := [_snapshot([{"name": "carol", "policies": ["broken"], "groups": []}])]
	errs := sod.errors with data.inventory as _inv_with([_carol_deploys], [], resources, [], _broken)
	errs == {concat("", [
		"Vault policy broken, held by a deployer through Vault entity carol (VaultSnapshot/cell), ",
		"cannot be read (bad): whether it reads secrets cannot be judged",
	])}
}

test_unreadable_policy_nobody_deploying_holds_is_no_error if {
	resources := [_snapshot([{"name": "alice", "policies": ["broken"], "groups": []}])]
	errs := sod.errors with data.inventory as _inv_with([_carol_deploys], [], resources, [], _broken)
	count(errs) == 0
}

test_snapshot_without_entities_is_an_error if {
	resources := [inventory.resource("VaultSnapshot", null, "cell", {})]
	count(sod.errors) == 1 with data.inventory as _inv_with([_carol_deploys], [], resources, [], [])
}

test_missing_vault_analysis_is_an_error_when_a_deployer_holds_a_policy if {
	resources := [_snapshot([{"name": "carol", "policies": ["platform-keys-read"], "groups": []}])]
	inv := json.patch(_inv_with([_carol_deploys], [], resources, [], []), [{"op": "remove", "path": "/facts/vault_acl"}])
	some msg in sod.errors with data.inventory as inv
	startswith(msg, "the Vault ACL analysis (facts.vault_acl) is missing")
}

# ---------------------------------------------------------------------------------------
# Applicability and missing facts

# Without configuration: nothing is exempt, and each subject is its own identity.
_no_config(deployers, readers) := {
	"config": null,
	"facts": {"rbac": {"deployers": deployers, "secret_readers": readers, "identities": {}}},
}

test_without_configuration_a_group_that_deploys_and_reads_fails if {
	# The facts as rbac.py gives them without configuration: no duties, no identity.
	deploys := _entry(_group("release"), [], "*", "ClusterRoleBinding/release-deploy", "ClusterRole/deployer")
	reads := _entry(_group("release"), [], "*", "ClusterRoleBinding/release-secrets", "ClusterRole/secret-reader")
	violations := sod.violation with data.inventory as _no_config([deploys], [reads])
	count(violations) == 1
	some v in violations
	v.resource == "ClusterRoleBinding/release-secrets"
	startswith(v.msg, "Group release can both deploy and read production secrets")
	contains(v.msg, "there is no kaze-policy.yaml")

	# The package leaves not_applicable undefined, which Regal reads as an unresolved reference:
	# regal ignore:unresolved-reference
	not sod.not_applicable with data.inventory as _no_config([deploys], [reads])
}

test_without_configuration_no_controller_or_break_glass_is_exempt if {
	# With the fixtures' configuration the Argo CD controller would be judged as a deployer anyway;
	# the CloudNativePG manager would be an exempt controller: without it, it is not.
	cnpg := _entry(_sa("cnpg-system", "cnpg-manager"), [], "*", "ClusterRoleBinding/cnpg", "ClusterRole/cnpg")
	count(sod.violation) == 1 with data.inventory as _no_config([cnpg], [cnpg])
	count(sod.violation) == 0 with data.inventory as _inv([cnpg], [cnpg])
}

test_without_configuration_system_masters_stays_exempt if {
	masters := _entry(_group("system:masters"), [], "*", "ClusterRoleBinding/cluster-admin", "ClusterRole/cluster-admin")
	count(sod.violation) == 0 with data.inventory as _no_config([masters], [masters])
}

test_without_configuration_reads_and_deploys_of_different_subjects_are_undecided if {
	count(sod.violation) == 0 with data.inventory as _no_config([_deploy_group], [_bob_reads("tenant-acme")])
	contains(sod.undecided, "identities") with data.inventory as _no_config([_deploy_group], [_bob_reads("tenant-acme")])
}

test_without_configuration_nobody_deploying_is_decided if {
	not sod.undecided with data.inventory as _no_config([], [_bob_reads("tenant-acme")])
}

test_with_configuration_nothing_is_undecided if {
	reads := _entry(
		_user("carol@kaze.io"), [], "tenant-acme",
		"RoleBinding/tenant-acme/carol", "ClusterRole/kaze-secret-reader",
	)
	not sod.undecided with data.inventory as _inv([_deploy_group], [reads])

	# The package leaves not_applicable undefined, which Regal reads as an unresolved reference:
	# regal ignore:unresolved-reference
	not sod.not_applicable with data.inventory as _inv([], [])
}

test_missing_rbac_facts_is_an_error[name] if {
	some name, config in {"without configuration": null, "with configuration": _config}
	errs := sod.errors with data.inventory as {"config": config, "facts": {}}
	[msg | some msg in errs; contains(msg, "facts.rbac")] != []
}

# ---------------------------------------------------------------------------------------
# Groups every person is in

_argo_default := _entry(_group("argocd:authenticated"), [], "*", "ConfigMap/argocd/argocd-rbac-cm", "role:admin")

test_sync_for_everyone_in_argo_cd_joins_an_operators_secret_read if {
	some v in sod.violation with data.inventory as _inv([_argo_default], [_operators_read])
	v.resource == "ClusterRoleBinding/ops-secrets"
	v.evidence.identity == "alice"
	contains(
		v.msg,
		"Group argocd:authenticated deploys cluster-wide through ConfigMap argocd/argocd-rbac-cm (Argo CD role:admin)",
	)
}

test_secret_read_for_all_authenticated_users_joins_a_deployer if {
	read := _entry(
		_group("system:authenticated"), [], "tenant-acme",
		"RoleBinding/tenant-acme/everyone-secrets", "ClusterRole/kaze-secret-reader",
	)
	violations := sod.violation with data.inventory as _inv([_deploy_group], [read])
	{v.evidence.identity | some v in violations} == {"bob"}
}

test_both_halves_through_everyone_groups_are_reported_once_as_the_group if {
	everyone := _group("system:authenticated")
	deploy := _entry(everyone, [], "*", "ClusterRoleBinding/everyone-deploys", "ClusterRole/kaze-deployer")
	read := _entry(everyone, [], "*", "ClusterRoleBinding/everyone-reads", "ClusterRole/kaze-secret-reader")
	violations := sod.violation with data.inventory as _inv([deploy], [read])
	{v.evidence.identity | some v in violations} == {"Group:system:authenticated"}
}

test_service_account_alone_is_not_given_the_argo_cd_default if {
	read := _entry(_sa("ci", "bot"), [], "ci", "RoleBinding/ci/bot-secrets", "Role/ci/secrets")
	count(sod.violation) == 0 with data.inventory as _inv([_argo_default], [read])
}
