"""A kustomize that cannot be started is bad usage naming why (sources/kustomize.py)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from kaze_policy.errors import InputError, UsageError, last_input
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
    assert {r.source for r in resources} == {"kustomize"}


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
        assert str(err.value) == ("base/b-pipe: a FIFO, not a regular file, in a kustomization: kustomize would "
                                  "wait on it or read it forever (only regular files are read)")
    else:
        assert len(kustomize.render(base, 1 << 20)[0]) == len(NAMES)


def _kustomization(folder: Path, *resources: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kustomization.yaml").write_text(f"resources: [{', '.join(resources)}]\n")
    return folder


def test_every_kustomization_a_build_loads_is_found_past_one_seen_twice(tmp_path: Path) -> None:
    """`common` is reached from the overlay and from `b1`: found the second time, it is passed
    over, and `x`, named before it, is still looked into (its remote entry found)."""
    _kustomization(tmp_path / "x", "https://example.com/base.yaml")
    _kustomization(tmp_path / "common")
    _kustomization(tmp_path / "b1", "../common")
    overlay = _kustomization(tmp_path / "overlay", "../x", "../common", "../b1")
    folders, remote = kustomize.kustomization_graph(overlay)
    assert folders == {(tmp_path / name).resolve() for name in ("overlay", "x", "common", "b1")}
    assert remote == [(tmp_path / "x" / "kustomization.yaml", "https://example.com/base.yaml")]


def test_a_kustomization_that_is_no_mapping_or_a_folder_without_one_names_nothing(tmp_path: Path) -> None:
    """kustomize reports such a file or folder when it builds; the walk before it reads nothing there."""
    (_kustomization(tmp_path / "listed") / "kustomization.yaml").write_text("- resources\n- x\n")
    (tmp_path / "plain").mkdir()
    overlay = _kustomization(tmp_path / "overlay", "../listed", "../plain")
    assert kustomize.kustomization_spec(tmp_path / "listed") == {}
    assert kustomize.kustomization_spec(tmp_path / "plain") == {}
    folders, remote = kustomize.kustomization_graph(overlay)
    assert folders == {(tmp_path / name).resolve() for name in ("overlay", "listed", "plain")} and remote == []


def test_a_remote_resource_is_bad_input_unless_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overlay = _kustomization(tmp_path / "overlay", "https://example.com/base.yaml")
    monkeypatch.setenv("KAZE_KUSTOMIZE", require_tool("kustomize"))
    with pytest.raises(InputError) as err:
        kustomize.render(overlay, 1 << 20)
    assert (err.value.message, err.value.file) == (
        "remote resource 'https://example.com/base.yaml': a scan does not reach the network "
        "(--allow-remote lets kustomize fetch it)", str(overlay / "kustomization.yaml"))


def test_without_kustomize_a_kustomization_cannot_be_evaluated(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    overlay = _kustomization(tmp_path / "overlay")
    monkeypatch.setattr(kustomize, "find_tool", lambda name: None)
    with pytest.raises(kustomize.ToolMissingError) as err:
        kustomize.render(overlay, 1 << 20)
    assert (err.value.message, err.value.file, err.value.exit_code) == (
        "kustomize is not installed: run `make tools`", str(overlay / "kustomization.yaml"), 3)


def test_an_object_of_the_build_that_kubernetes_refuses_is_bad_input_in_the_kustomization(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kustomize checks no schema; the object it builds is read as the kustomization's, which is
    also the input a crash report would name."""
    overlay = _kustomization(tmp_path / "overlay", "pod.yaml")
    (overlay / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                                      "spec: {containers: [{name: c, image: nginx}], hostNetwork: 'yes'}\n")
    monkeypatch.setenv("KAZE_KUSTOMIZE", require_tool("kustomize"))
    with pytest.raises(InputError) as err:
        kustomize.render(overlay, 1 << 20)
    assert err.value.file == str(overlay / "kustomization.yaml") and "hostNetwork" in err.value.message
    assert last_input() == str(overlay / "kustomization.yaml")


def _failing_kustomize(tmp_path: Path, stderr: bytes) -> str:
    """A kustomize that fails writing `stderr` (and, where it says "TMP", the folder it was asked
    to build): as the real one fails on a bad kustomization, or is killed without a word."""
    (tmp_path / "stderr").write_bytes(stderr)
    script = tmp_path / "kustomize"
    script.write_text(f"#!/bin/sh\nsed \"s|TMP|$2|\" {tmp_path / 'stderr'} >&2\nexit 3\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(("stderr", "detail"), [
    pytest.param(b"", "exit 3", id="silent"),
    pytest.param(b"Error: one line\n", "Error: one line", id="one-line"),
    pytest.param(b"Error: accumulating resources\nError: no file \xff in TMP/base\n",
                 "Error: no file \ufffd in ./base", id="the-last-line-not-utf8-and-its-folder-relative"),
])
def test_a_failed_build_is_bad_input_with_the_last_line_kustomize_wrote(tmp_path: Path, stderr: bytes,
                                                                        detail: str) -> None:
    binary = _failing_kustomize(tmp_path, stderr)
    with pytest.raises(InputError) as caught:
        kustomize._build_with_origins(binary, tmp_path, "overlay", 1 << 20)
    assert (caught.value.message, caught.value.file) == (f"kustomize build failed: {detail}", "overlay")


def test_a_tools_output_may_be_exactly_the_limit() -> None:
    assert kustomize._run_bounded(["printf", "abc"], 3, 30).stdout == b"abc"
    with pytest.raises(kustomize._OutputTooLarge):
        kustomize._run_bounded(["printf", "abcd"], 3, 30)


def test_a_tools_output_is_counted_and_kept_across_its_writes() -> None:
    two_writes = ["sh", "-c", "printf aa; sleep 0.3; printf bb"]
    assert kustomize._run_bounded(two_writes, 4, 30).stdout == b"aabb"
    with pytest.raises(kustomize._OutputTooLarge):
        kustomize._run_bounded(two_writes, 3, 30)


def test_only_the_last_64_kib_of_a_tools_errors_are_kept() -> None:
    done = kustomize._run_bounded(["sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x >&2; echo last >&2"], 100, 30)
    assert len(done.stderr) == 1 << 16 and done.stderr.endswith(b"xlast\n")


def test_a_tool_that_closes_its_output_and_runs_on_is_stopped_at_its_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        kustomize._run_bounded(["sh", "-c", "exec >&-; sleep 20"], 100, 0.5)
    assert time.monotonic() - started < 10


def test_a_tool_is_stopped_at_its_time_limit_and_not_before() -> None:
    """A tool that writes and then sleeps past the limit is stopped; one that writes in its last
    second (and then ends) is not."""
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        kustomize._run_bounded(["sh", "-c", "echo a; sleep 20"], 100, 0.5)
    assert time.monotonic() - started < 10  # stopped at the limit, not when the tool ended
    assert kustomize._run_bounded(["sh", "-c", "sleep 2.2; echo a"], 100, 3).stdout == b"a\n"
