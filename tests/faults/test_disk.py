"""The disk fills, or the output folder is read-only, while the reports are written.

Already tested (tests/test_confinement.py): an output that cannot be created at all is bad
usage in one line, and a report is written with the usual mode and no temporary file left.
Here: a write that fails half-way. For `scan --output` (one or several) and for `audit --out`
(eight reports and the manifest), the previous files stay as they were, byte for byte, no
temporary file is left beside them, and the command ends with exit 2 and one line saying why.

The disk is a real one where the machine lets this test mount it (a tmpfs of a few pages,
filled; then remounted read-only): as root, with mount permitted. Everywhere, the same fault
is planted in the process (kaze_policy/atomic.py's file object fails with ENOSPC after half
of the bytes), through the command and through the public write functions.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kaze_policy import atomic
from kaze_policy.atomic import write_all_atomically, write_atomically
from kaze_policy.errors import UsageError
from tests.conftest import FIXTURES, run_cli
from tests.faults.support import one_line, patched_cli, write_cell

NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device"
AUDIT_CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"

# In the CLI's process: atomic.py's file object number `FAIL_AT` (1 = the first file written)
# writes half of its bytes, then fails as a full disk does.
FULL_DISK = """
import errno, os
from kaze_policy import atomic
FAIL_AT, calls = {fail_at}, [0]

class HalfThenFull:
    def __init__(self, handle):
        self.handle = handle
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.handle.close()
        return False
    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

class Os:
    def __getattr__(self, name):
        return getattr(os, name)
    def fdopen(self, fd, *args, **kwargs):
        calls[0] += 1
        handle = os.fdopen(fd, *args, **kwargs)
        return HalfThenFull(handle) if calls[0] == FAIL_AT else handle

atomic.os = Os()
"""


def contents(folder: Path) -> dict[str, bytes]:
    """Every file of the folder (names and bytes): what must not change."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def scan_to(cell: Path, *outputs: Path, patch: str = ""):
    args = ["scan", str(cell), "--no-progress"]
    for output in outputs:
        args += ["--format", output.suffix.lstrip(".").replace("txt", "text"), "--output", str(output)]
    return patched_cli(patch, *args) if patch else run_cli(*args)


def plant_previous(folder: Path, *names: str) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(f"the previous {name}, which must stay as it is\n".encode())
    return contents(folder)


# ----------------------------------------------------------------------------- in process

class _HalfThenFull:
    def __init__(self, handle) -> None:
        self.handle = handle

    def __enter__(self) -> "_HalfThenFull":
        return self

    def __exit__(self, *exc: object) -> bool:
        self.handle.close()
        return False

    def write(self, data: bytes) -> None:
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, NO_SPACE)


class _Os:
    """os, with fdopen's file object number `fail_at` failing half-way."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at, self.calls = fail_at, 0

    def __getattr__(self, name: str):
        return getattr(os, name)

    def fdopen(self, fd: int, *args, **kwargs):
        self.calls += 1
        handle = os.fdopen(fd, *args, **kwargs)
        return _HalfThenFull(handle) if self.calls == self.fail_at else handle


def test_a_write_that_fails_half_way_leaves_the_previous_file_and_no_temporary(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = plant_previous(tmp_path, "scan.json")
    monkeypatch.setattr(atomic, "os", _Os(fail_at=1))
    with pytest.raises(UsageError) as raised:
        write_atomically(tmp_path / "scan.json", b"{" + b" " * 100_000 + b"}", "the report")
    assert str(raised.value) == f"{tmp_path / 'scan.json'}: cannot write the report: {NO_SPACE}"
    assert contents(tmp_path) == before


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_files_written_together_are_all_new_or_all_as_they_were(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 fail_at: int) -> None:
    names = ["audit.html", "audit.json", "manifest.json"]
    before = plant_previous(tmp_path, *names)
    monkeypatch.setattr(atomic, "os", _Os(fail_at))
    with pytest.raises(UsageError, match=NO_SPACE):
        write_all_atomically([(tmp_path / name, b"new " * 1000) for name in names], "the report")
    assert contents(tmp_path) == before
    monkeypatch.setattr(atomic, "os", os)
    write_all_atomically([(tmp_path / name, b"new") for name in names], "the report")
    assert contents(tmp_path) == {name: b"new" for name in names}


# ----------------------------------------------------------------------------- the command, the fault planted

@pytest.mark.parametrize("fail_at", [1, 2])
def test_scan_outputs_that_cannot_be_written_leave_the_previous_reports(tmp_path: Path, fail_at: int) -> None:
    cell, out = write_cell(tmp_path / "cell"), tmp_path / "reports"
    before = plant_previous(out, "scan.json", "scan.sarif")
    done = scan_to(cell, out / "scan.json", out / "scan.sarif", patch=FULL_DISK.format(fail_at=fail_at))
    failed = ["scan.json", "scan.sarif"][fail_at - 1]
    one_line(done, 2, str(out / failed), f"cannot write the report: {NO_SPACE}")
    assert done.stdout == "" and contents(out) == before


def test_audit_whose_second_report_cannot_be_written_leaves_the_previous_folder_as_it_was(tmp_path: Path) -> None:
    """Eight reports and a manifest: the second write fails. Before, the first report was
    already replaced (a folder half new, half old); now every file is as the last audit left
    it, and verify-report still finds every report as its manifest says."""
    out = tmp_path / "audit"
    first = run_cli("audit", str(AUDIT_CASE), "--out", str(out), "--no-progress")
    assert first.returncode == 1, first.stderr  # the case fails its control
    before = contents(out)
    assert len(before) == 9
    done = patched_cli(FULL_DISK.format(fail_at=2), "audit", str(AUDIT_CASE), "--out", str(out), "--no-progress")
    one_line(done, 2, f"cannot write the report: {NO_SPACE}")
    assert contents(out) == before
    verified = run_cli("verify-report", str(out))
    assert verified.returncode == 0 and "every report is as the audit wrote it" in verified.stdout, verified.stdout


# ----------------------------------------------------------------------------- a real disk (tmpfs)

@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder`; skipped where this process may not mount one."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs takes root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
                             capture_output=True, text=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True, timeout=30).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def fill(folder: Path) -> None:
    """Write into `folder` until its disk is full."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC


def test_a_full_disk_leaves_the_previous_reports_byte_for_byte(tmp_path: Path) -> None:
    cell = write_cell(tmp_path / "cell")
    with tmpfs(tmp_path / "disk", "128k") as disk:
        plant_previous(disk, "scan.json", "scan.sarif")
        fill(disk)
        before = contents(disk)
        done = scan_to(cell, disk / "scan.json", disk / "scan.sarif")
        one_line(done, 2, str(disk / "scan.json"), f"cannot write the report: {NO_SPACE}")
        assert contents(disk) == before  # the filler too: nothing was left beside it


def test_an_output_folder_made_read_only_leaves_the_previous_report(tmp_path: Path) -> None:
    cell = write_cell(tmp_path / "cell")
    if os.geteuid() != 0:  # a folder without write permission is read-only to all but root
        folder = tmp_path / "out"
        before = plant_previous(folder, "scan.json")
        folder.chmod(0o555)
        try:
            done = scan_to(cell, folder / "scan.json")
        finally:
            folder.chmod(0o755)
        one_line(done, 2, str(folder / "scan.json"), f"cannot write the report: {os.strerror(errno.EACCES)}")
        assert contents(folder) == before
        return
    with tmpfs(tmp_path / "disk", "1m") as disk:
        before = plant_previous(disk, "scan.json")
        remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True,
                                   timeout=30)
        assert remounted.returncode == 0, remounted.stderr
        done = scan_to(cell, disk / "scan.json")
        one_line(done, 2, str(disk / "scan.json"), f"cannot write the report: {os.strerror(errno.EROFS)}")
        assert contents(disk) == before


# ----------------------------------------------------------------------------- not a regular file

def test_an_output_that_is_a_device_or_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    """`--output /dev/null` (bench runs use it): a rename over the device would, as root, leave a
    regular file in its place for every program after. Written through instead, as `>` does."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_all_atomically([(fifo, b"a report\n"), (tmp_path / "scan.json", b"{}\n")], "the report")
    reader.join(10)
    assert got == [b"a report\n"] and stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "scan.json"]
    if os.geteuid() == 0:  # a device node of its own: /dev/null's numbers
        null = tmp_path / "null"
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        done = run_cli("scan", str(write_cell(tmp_path / "cell")), "--format", "json", "--output", str(null),
                       "--no-progress")
        assert done.returncode in (0, 1) and done.stderr == "", done.stderr
        assert stat.S_ISCHR(null.stat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == [
            "cell", "null", "pipe", "scan.json"]
