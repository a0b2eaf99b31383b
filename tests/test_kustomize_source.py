"""A kustomize that cannot be started is bad usage naming why (sources/kustomize.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.errors import UsageError
from kaze_policy.sources import kustomize
from tests.test_exit_codes import _kustomize_target, _not_a_program


def _fake(tmp_path: Path, kind: str) -> Path:
    if kind != "below a file":
        return _not_a_program(tmp_path, kind)
    below = tmp_path / "a-file"
    below.write_text("")
    return below / "kustomize"


@pytest.mark.parametrize(("kind", "why"), [
    ("folder", "a folder"),
    ("missing", "no such file"),
    ("no-shebang", "not a program (neither a binary nor a script with #!)"),
    ("not-executable", "not executable"),
    # any other error of exec: its own words
    ("below a file", "Not a directory"),
])
def test_a_kaze_kustomize_that_is_not_a_program_is_bad_usage_saying_why(tmp_path: Path, monkeypatch,
                                                                       kind: str, why: str) -> None:
    fake = _fake(tmp_path, kind)
    monkeypatch.setenv("KAZE_KUSTOMIZE", str(fake))
    with pytest.raises(UsageError) as caught:
        kustomize.render(_kustomize_target(tmp_path), 1 << 20)
    assert caught.value.file == str(fake)
    assert caught.value.message == f"cannot run KAZE_KUSTOMIZE: {why}; it must name the kustomize program"


def test_a_kustomize_found_on_the_path_that_is_not_a_program_is_named_kustomize(tmp_path: Path,
                                                                                monkeypatch) -> None:
    fake = _not_a_program(tmp_path, "no-shebang")
    monkeypatch.delenv("KAZE_KUSTOMIZE", raising=False)
    monkeypatch.setattr(kustomize, "find_tool", lambda name: str(fake))
    with pytest.raises(UsageError) as caught:
        kustomize.render(_kustomize_target(tmp_path), 1 << 20)
    assert caught.value.message == ("cannot run kustomize: not a program (neither a binary nor a script with #!); "
                                    "it must name the kustomize program")
