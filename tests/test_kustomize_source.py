"""A kustomize that cannot be started is bad usage naming why (sources/kustomize.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.errors import UsageError
from kaze_policy.sources import kustomize


def _app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (app / "kustomization.yaml").write_text("resources:\n- ns.yaml\n")
    return app


def _not_a_program(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"kustomize-{kind}"
    if kind == "folder":
        path.mkdir()
    elif kind == "script without #!":
        path.write_text("echo kustomize\n")
        path.chmod(0o755)
    elif kind == "not executable":
        path.write_text("#!/bin/sh\n")
        path.chmod(0o644)
    elif kind == "below a file":
        path.write_text("")
        path = path / "kustomize"
    return path


@pytest.mark.parametrize(("kind", "why"), [
    ("folder", "a folder"),
    ("missing", "no such file"),
    ("script without #!", "not a program (neither a binary nor a script with #!)"),
    ("not executable", "not executable"),
    # any other error of exec: its own words
    ("below a file", "Not a directory"),
])
def test_a_kaze_kustomize_that_is_not_a_program_is_bad_usage_saying_why(tmp_path: Path, monkeypatch,
                                                                       kind: str, why: str) -> None:
    fake = _not_a_program(tmp_path, kind)
    monkeypatch.setenv("KAZE_KUSTOMIZE", str(fake))
    with pytest.raises(UsageError) as caught:
        kustomize.render(_app(tmp_path), 1 << 20)
    assert caught.value.file == str(fake)
    assert caught.value.message == f"cannot run KAZE_KUSTOMIZE: {why}; it must name the kustomize program"


def test_a_kustomize_found_on_the_path_that_is_not_a_program_is_named_kustomize(tmp_path: Path,
                                                                                monkeypatch) -> None:
    fake = _not_a_program(tmp_path, "script without #!")
    monkeypatch.delenv("KAZE_KUSTOMIZE", raising=False)
    monkeypatch.setattr(kustomize, "find_tool", lambda name: str(fake))
    with pytest.raises(UsageError) as caught:
        kustomize.render(_app(tmp_path), 1 << 20)
    assert caught.value.message == ("cannot run kustomize: not a program (neither a binary nor a script with #!); "
                                    "it must name the kustomize program")
