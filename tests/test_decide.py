"""`kaze-policy decide egress`: strict URL parsing and the CLI's answers and exit codes."""

from __future__ import annotations

import json

import pytest

from kaze_policy.decide import UnsafeUrl, parse_url
from tests.conftest import FIXTURES, run_cli


@pytest.mark.parametrize("url", [
    "https://api.openai.com@evil.example/",
    "https://evil.example\\@api.openai.com/",
    "https://api.openai.com%2eevil.example/",
    "ftp://api.openai.com/",
    "https://exämple.com/",
    "https://api.openai.com:99999/",
    "//api.openai.com/",
])
def test_ambiguous_urls_are_refused_before_the_allowlist(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        parse_url(url)


def test_host_is_lowercased_and_port_defaulted() -> None:
    parsed = parse_url("https://API.OpenAI.com/v1?x=https://evil.example/")
    assert (parsed.scheme, parsed.host, parsed.port, parsed.is_ip) == ("https", "api.openai.com", 443, False)


def test_cli_exit_codes_and_json_lines() -> None:
    config = str(FIXTURES / "kaze-policy.yaml")
    allowed = run_cli("decide", "egress", "--tenant", "acme", "--config", config, "https://api.openai.com/v1")
    assert allowed.returncode == 0 and json.loads(allowed.stdout)["allow"] is True
    mixed = run_cli("decide", "egress", "--tenant", "acme", "--config", config,
                    "https://api.openai.com/v1", "https://api.openai.com.evil.example/")
    assert mixed.returncode == 1
    assert [json.loads(line)["allow"] for line in mixed.stdout.splitlines()] == [True, False]
