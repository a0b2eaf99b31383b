"""A kustomize that cannot be started is bad usage naming why (sources/kustomize.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kaze_policy.errors import InputError, UsageError
from kaze_policy.sources import kustomize
from tests.conftest import require_tool
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


# Names that end others: a renamed object is traced to the longest name it holds, not to one
# that merely ends it and comes first in the file.
NAMES = ("1", "pp-11", "app-1", "app-11")
CONFIG_MAPS = "---\n".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{name}'\ndata: {{a: b}}\n"
                            for name in NAMES)


@pytest.mark.parametrize("cwd", [".", "a/b/c"], ids=["under-the-current-folder", "far-outside-it"])
def test_rendered_objects_point_at_the_file_and_line_of_their_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      cwd: str) -> None:
    """A renamed object (namePrefix) is traced to the longest name it holds (`app-11`, not
    `app-1`); the file is shown relative to the current folder, or absolute when far outside."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "cms.yaml").write_text(CONFIG_MAPS)
    (base / "kustomization.yaml").write_text("resources: [cms.yaml]\nnamePrefix: prod-\n")
    (tmp_path / cwd).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path / cwd)
    monkeypatch.setenv("KAZE_KUSTOMIZE", require_tool("kustomize"))
    resources, _ = kustomize.render(base, 1 << 20)
    shown = "base/cms.yaml" if cwd == "." else str(base / "cms.yaml")
    assert sorted((r.name, r.origin.file, r.origin.line) for r in resources) == sorted(
        (f"prod-{name}", shown, 1 + 6 * i) for i, name in enumerate(NAMES))


def test_a_generated_object_is_the_kustomizations_and_relative_path_values_stay_as_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator's object has no file of its own: it is the kustomization's, at no line (its
    line in kustomize's output is none of that file). Only the origin's `path:` is rebased."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  path: conf/app.ini\n")
    (base / "kustomization.yaml").write_text("resources: [cm.yaml]\nconfigMapGenerator:\n- name: gen\n  literals: [a=b]\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAZE_KUSTOMIZE", require_tool("kustomize"))
    resources, _ = kustomize.render(base, 1 << 20)
    by_name = {r.name.split("-")[0]: r for r in resources}
    assert (by_name["app"].origin.file, by_name["app"].origin.line) == ("base/cm.yaml", 1)
    assert by_name["app"].obj["data"] == {"path": "conf/app.ini"}
    assert (by_name["gen"].origin.file, by_name["gen"].origin.line) == (str(base / "kustomization.yaml"), None)


@pytest.mark.parametrize("where", ["base", "base/.git"], ids=["in-the-kustomization", "in-its-git-folder"])
def test_a_fifo_below_a_kustomization_is_refused_before_the_build_unless_in_git(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """kustomize would block on a FIFO it is told to read; git holds none, so .git is not walked.
    A broken link before it in the folder is passed over (kustomize reports it if it needs it)."""
    base = tmp_path / "base"
    (tmp_path / where).mkdir(parents=True, exist_ok=True)
    (base / "cms.yaml").write_text(CONFIG_MAPS)
    (base / "kustomization.yaml").write_text("resources: [cms.yaml]\n")
    (tmp_path / where / "a-broken").symlink_to(tmp_path / "missing")
    os.mkfifo(tmp_path / where / "b-pipe")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAZE_KUSTOMIZE", require_tool("kustomize"))
    if where == "base":
        with pytest.raises(InputError) as err:
            kustomize.render(base, 1 << 20)
        assert str(err.value).startswith("base/b-pipe: a FIFO, not a regular file, in a kustomization")
    else:
        assert len(kustomize.render(base, 1 << 20)[0]) == len(NAMES)
