"""Vault/OpenBao policy HCL, auth-role and transit-keys JSON files as resources (sources/vault_policy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin, Resource
from kaze_policy.sources import vault_policy
from kaze_policy.sources.vault_policy import (
    is_vault_policy, load_keys_file, load_policy, load_role, load_role_file,
)


@pytest.mark.parametrize(("path", "text", "expected"), [
    # under a vault/ folder, whatever it holds
    ("cell/vault/any.hcl", "", True),
    # a `path` block first, after blank lines and indentation
    ("cell/policy.hcl", ' \n  path "secret/*" {}\n', True),
    # a `path` block after something else
    ("cell/policy.hcl", '# reader\npath "secret/*" {}\n', True),
    # neither: Terraform-like HCL, upper-case `PATH`, a folder merely named like vault
    ("cell/policy.hcl", 'locals {\n  path = "x"\n}\n', False),
    ("cell/policy.hcl", 'PATH "secret/*" {}\nPATH "b" {}\n', False),
    ("cell/vaults/policy.hcl", "", False),
    ("cell/VAULT/policy.hcl", "", False),
])
def test_a_vault_policy_is_told_by_its_folder_or_a_path_block(path: str, text: str, expected: bool) -> None:
    assert is_vault_policy(Path(path), text) is expected


def test_a_policy_is_one_resource_with_its_text_and_paths() -> None:
    text = 'path "secret/*" {\n  capabilities = ["read"]\n}\npath "sys/*" {}\n'
    assert load_policy(text.encode(), "cell/vault/reader.hcl") == [Resource(
        kind="VaultPolicy", name="reader",
        obj={"policy": text, "paths": {"secret/*": {"capabilities": ["read"]}, "sys/*": {}}},
        origin=Origin("cell/vault/reader.hcl", 1), source="vault-policy", api_version="vault")]


def test_a_policy_that_does_not_parse_names_the_file_and_the_parser_first_line() -> None:
    with pytest.raises(InputError) as caught:
        load_policy(b'path "a" {', "cell/vault/broken.hcl")
    assert caught.value.file == "cell/vault/broken.hcl"
    # the parser's first line only: where it stopped, not the tokens it expected
    assert caught.value.message.startswith("not a valid Vault policy (Unexpected token")
    assert caught.value.message.endswith("at line 1, column 11.)")


def test_a_parser_error_without_a_message_is_named_by_its_type(monkeypatch) -> None:
    def fail(*_args, **_kwargs):
        raise ValueError()

    monkeypatch.setattr(vault_policy.hcl2, "loads", fail)
    with pytest.raises(InputError) as caught:
        load_policy(b'path "a" {}', "p.hcl")
    assert (caught.value.message, caught.value.file) == ("not a valid Vault policy (ValueError)", "p.hcl")


@pytest.mark.parametrize(("role", "name"), [
    ({"name": "ci", "role_name": "other"}, "ci"),
    ({"role_name": "deploy"}, "deploy"),
    ({"name": "", "role_name": "deploy"}, "deploy"),
    ({"bound_audiences": ["x"]}, "fallback"),
    ({"name": 7}, "7"),
])
def test_an_auth_role_is_named_by_name_then_role_name_then_its_file(role: dict, name: str) -> None:
    assert load_role(role, "cell/vault/roles/fallback.json") == [Resource(
        kind="VaultAuthRole", name=name, obj=role, origin=Origin("cell/vault/roles/fallback.json", 1),
        source="vault-policy", api_version="vault")]


def test_an_auth_role_file_is_read_as_json() -> None:
    assert load_role_file(b'{"role_name": "ci", "token_ttl": 60}', "cell/vault/roles/r.json") == [Resource(
        kind="VaultAuthRole", name="ci", obj={"role_name": "ci", "token_ttl": 60},
        origin=Origin("cell/vault/roles/r.json", 1), source="vault-policy", api_version="vault")]


def test_transit_keys_are_one_resource_named_by_the_file() -> None:
    value = {"keys": [{"path": "transit/keys/a", "auto_rotate_period": "720h"}]}
    assert load_keys_file(b'{"keys": [{"path": "transit/keys/a", "auto_rotate_period": "720h"}]}',
                          "cell/vault/keys/transit.json") == [Resource(
        kind="VaultTransitKeys", name="transit", obj=value, origin=Origin("cell/vault/keys/transit.json", 1),
        source="vault-policy", api_version="vault")]


@pytest.mark.parametrize("load", [load_role_file, load_keys_file])
def test_a_vault_json_file_that_does_not_parse_names_the_file(load) -> None:
    with pytest.raises(InputError) as caught:
        load(b'{"name": ', "cell/vault/roles/bad.json")
    assert caught.value.file == "cell/vault/roles/bad.json"
    assert caught.value.message.startswith("not valid JSON (Expecting value: line 1 column 10")


@pytest.mark.parametrize(("load", "data", "message"), [
    (load_role_file, b'["ci"]', "a Vault auth role must be a JSON object"),
    (load_role_file, b'"ci"', "a Vault auth role must be a JSON object"),
    (load_keys_file, b'["k"]', "a Vault transit keys file must be an object with a `keys` list"),
    (load_keys_file, b'{"keys": {"path": "k"}}', "a Vault transit keys file must be an object with a `keys` list"),
    (load_keys_file, b'{"key": []}', "a Vault transit keys file must be an object with a `keys` list"),
])
def test_a_vault_json_file_of_the_wrong_shape_is_bad_input(load, data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load(data, "cell/vault/x/f.json")
    assert (caught.value.message, caught.value.file) == (message, "cell/vault/x/f.json")
