"""Bad input: exit 2, one line naming the file, no traceback, quickly (timing is in the benchmark)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kaze_policy.errors import InputError, last_input
from kaze_policy.sources.files import Skipped, describe_skipped, not_regular, read_stdin
from tests.conftest import run_cli

BOMB = """apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def bad_inputs() -> dict[str, bytes]:
    return {
        "bomb.yaml": BOMB.encode(),
        "deep-flow.yaml": b"apiVersion: v1\nkind: ConfigMap\ndata: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        "deep-block.yaml": b"apiVersion: v1\nkind: ConfigMap\n" + b"".join(
            b" " * i + b"k:\n" for i in range(10_000)) + b" " * 10_000 + b"v\n",
        "deep.json": b'{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001,
        "latin1.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
        "nokind.yaml": b"apiVersion: v1\nmetadata:\n  name: x\n",
        "syntax.yaml": b"apiVersion: v1\nkind: ConfigMap\ndata: {a: [1, 2}\n",
        "bad.tf": b'resource "aws_s3_bucket" "b" {\n  bucket = \n',
    }


@pytest.mark.parametrize("name", sorted(bad_inputs()))
def test_bad_input_exits_2_with_one_line_naming_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(bad_inputs()[name])
    result = run_cli("scan", str(path), "--format", "json", timeout=30)
    assert result.returncode == 2, result.stdout[:500] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(bad_inputs()["latin1.yaml"])
    result = run_cli("scan", str(path))
    assert f"{path}:4:" in result.stderr and "UTF-8" in result.stderr


def test_kind_missing_names_the_document_line(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n")
    result = run_cli("scan", str(path))
    assert result.returncode == 2
    assert f"{path}:5:" in result.stderr and "no kind" in result.stderr


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: '" + "a" * 2000 + "'\n")
    result = run_cli("scan", str(path), "--max-file-size", "1000")
    assert result.returncode == 2
    assert str(path) in result.stderr and "over the limit of 1000" in result.stderr


def test_default_size_limit_is_50_mb(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: no 50 MB of disk writes
        handle.truncate(50 * 1024 * 1024 + 1)
    result = run_cli("scan", str(path))
    assert result.returncode == 2 and "over the limit of 52428800" in result.stderr


def test_aliases_within_budget_are_resolved(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shared\n  labels: &l\n"
                    "    kaze.io/plane: shared\n  annotations: *l\n")
    result = run_cli("scan", str(path), "--format", "json", "--control", "KZ-TEN-01")
    assert result.returncode == 0, result.stderr


def test_duplicate_key_is_refused_like_kubectl_does(tmp_path: Path) -> None:
    # A second `image:` would silently win in a lenient parser; kubectl refuses the file.
    path = tmp_path / "dup.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\n"
                    "metadata: {name: agent, namespace: a}\nspec:\n  template:\n    spec:\n      containers:\n"
                    "      - name: agent\n        image: registry.kaze.io/kaze/agent@sha256:" + "0" * 64 + "\n"
                    "        image: docker.io/evil/agent:latest\n")
    result = run_cli("scan", str(path))
    assert result.returncode == 2
    assert f"{path}:5: duplicate key 'image'" in result.stderr


def test_duplicate_key_behind_anchors_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\ndata: {x: '1', x: '2'}\n")
    result = run_cli("scan", str(path))
    assert result.returncode == 2 and "duplicate key 'x'" in result.stderr and str(path) in result.stderr


def test_duplicate_key_in_a_first_document_after_comments_names_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("# the platform's config\n\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1', x: '2'}\n")
    result = run_cli("scan", str(path))
    assert result.returncode == 2 and f"{path}:3: duplicate key 'x'" in result.stderr


# ---------------------------------------------------------------------------------------------
# Reading, in process (kaze_policy/sources/files.py)

class Trickle:
    """A pipe that hands out at most 3 bytes a read, as a slow writer's does; endless when `data` is None."""

    def __init__(self, data: bytes | None) -> None:
        self.data = data

    def read(self, size: int) -> bytes:
        if self.data is None:
            return b"x" * min(size, 3)
        chunk, self.data = self.data[:min(size, 3)], self.data[min(size, 3):]
        return chunk


class Broken:
    def read(self, size: int) -> bytes:
        raise OSError(5, "Input/output error")


@pytest.mark.parametrize(("data", "limit"), [(b"", 7), (b"abcdefg", 7), (b"abcdefg", 8)])
def test_input_within_the_limit_is_read_whole_even_in_short_reads(data: bytes, limit: int) -> None:
    assert read_stdin(limit, Trickle(data)) == data
    assert last_input() == "<stdin>"  # what an unexpected error names


@pytest.mark.parametrize("data", [b"abcdefgh", None], ids=["one byte over", "endless"])
def test_input_one_byte_over_the_limit_is_bad_input_however_it_arrives(data: bytes | None) -> None:
    with pytest.raises(InputError) as raised:
        read_stdin(6, Trickle(data))  # the limit reached in whole reads: one more is asked for
    assert str(raised.value) == "<stdin>: input is over the limit of 6 bytes (--max-file-size)"


def test_a_stream_is_never_asked_for_more_than_one_byte_past_the_limit() -> None:
    """Memory stays bounded by the limit, however short the reads are."""
    class Recording(Trickle):
        read_so_far, furthest_asked = 0, 0

        def read(self, size: int) -> bytes:
            self.furthest_asked = max(self.furthest_asked, self.read_so_far + size)
            chunk = super().read(size)
            self.read_so_far += len(chunk)
            return chunk

    stream = Recording(None)
    with pytest.raises(InputError):
        read_stdin(6, stream)
    assert (stream.furthest_asked, stream.read_so_far) == (7, 7)


def test_a_read_that_fails_is_bad_input_naming_why() -> None:
    with pytest.raises(InputError) as raised:
        read_stdin(7, Broken())  # type: ignore[arg-type]
    assert str(raised.value) == "<stdin>: cannot read (Input/output error)"


@pytest.mark.parametrize(("mode", "what"), [
    (stat.S_IFREG | 0o644, None), (stat.S_IFDIR, "a folder"), (stat.S_IFIFO, "a FIFO"),
    (stat.S_IFCHR, "a character device"), (stat.S_IFBLK, "a block device"), (stat.S_IFSOCK, "a socket"),
    (stat.S_IFLNK, "not a regular file"),
])
def test_what_is_not_a_regular_file_is_named(mode: int, what: str | None) -> None:
    assert not_regular(mode) == what


def test_the_skipped_are_one_line_counted_by_reason_with_the_first_few() -> None:
    skipped = [Skipped(p, "not read") for p in "abcd"] + [Skipped("e", "a FIFO")]
    assert describe_skipped(skipped) == "4 not read (a, b, c, …); 1 a FIFO (e)"
    assert describe_skipped(skipped, examples=4) == "4 not read (a, b, c, d); 1 a FIFO (e)"


def test_a_fifo_is_refused_before_it_is_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from kaze_policy.sources import files

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(files.os, "open", lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    with pytest.raises(InputError) as raised:
        files.read_bytes(fifo)
    assert (raised.value.message, raised.value.file, opened) == (
        "a FIFO, not a regular file: only regular files are read (standard input: give -)", str(fifo), [])
    assert last_input() == str(fifo)  # what an unexpected error would name


def test_a_file_that_cannot_be_read_is_bad_input_naming_why(tmp_path: Path) -> None:
    from kaze_policy.sources.files import read_bytes

    with pytest.raises(InputError) as raised:
        read_bytes(tmp_path / "gone.yaml")
    assert (raised.value.message, raised.value.file) == ("cannot read (No such file or directory)",
                                                         str(tmp_path / "gone.yaml"))


def test_a_file_that_becomes_a_fifo_after_its_check_is_not_waited_on(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: the path is a regular file when looked at, a FIFO with no writer when opened.
    Opened without blocking, it is refused; opened plainly, the scan would wait forever."""
    import os
    import threading

    from kaze_policy.sources import files

    regular, fifo = tmp_path / "file.yaml", tmp_path / "pipe.yaml"
    regular.write_text("a: 1\n")
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(files.os, "stat", lambda path, *a, **k: real_stat(regular if path == fifo else path, *a, **k))
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: outcome.append(pytest.raises(InputError, files.read_bytes, fifo).value),
                              daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # let the blocked open go
        pytest.fail("read_bytes waited on a FIFO")
    assert [str(e) for e in outcome] == [
        f"{fifo}: a FIFO, not a regular file: only regular files are read (standard input: give -)"]


def test_a_file_of_the_limit_exactly_is_read_and_one_that_grows_past_it_while_read_is_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from kaze_policy.sources import files

    file = tmp_path / "grows.yaml"
    file.write_bytes(b"x" * 50)
    assert files.read_bytes(file, 50) == b"x" * 50
    file.write_bytes(b"x" * 100)
    real_fstat = os.fstat
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 10, *real_fstat(fd)[7:])))
    with pytest.raises(InputError) as raised:  # 10 bytes when looked at, 100 when read
        files.read_bytes(file, 50)
    assert (raised.value.message, raised.value.file) == ("input is over the limit of 50 bytes (--max-file-size)",
                                                         str(file))
