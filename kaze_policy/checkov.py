"""`scan --checkov`: Checkov's own checks over the same files, a framework of their own.

Checkov runs as a separate tool, in a subprocess, from a virtual environment of its own
(`make tools` builds .tools/bin/checkov; its pins conflict with kaze-policy's, so it is never
a dependency of the package). It judges the Terraform, Kubernetes manifests and Dockerfiles
of each path scanned, in a thread started before the Kaze scan, so that both run at once.
Its verdicts are reported beside the Kaze controls' and never mixed into them: the summary
counts Kaze controls only. Standard input and live targets are not given to it (it reads
files); the report says so.

It runs offline, whatever the environment holds: --skip-download (no policy metadata from
the Prisma Cloud platform), BC_SKIP_MAPPING=TRUE (no check-ID mapping),
CKV_SKIP_PACKAGE_UPDATE_CHECK=true (no look-up of a newer release on PyPI),
--download-external-modules false (no Terraform module fetched), and no API key (BC_API_KEY
and the platform's other variables are removed from its environment). It runs in a fresh
temporary folder, so that no .checkov.yaml of the current folder changes its flags.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from kaze_policy.errors import UsageError
from kaze_policy.sources.files import STDIN
from kaze_policy.tools import find_tool

# The version `make tools` installs (Makefile CHECKOV_VERSION); another one is used as it is.
PINNED_VERSION = "3.3.30"
FRAMEWORKS = ("kubernetes", "terraform", "dockerfile")
# Seconds for one path; Checkov takes a few seconds on the shipped stack.
TIMEOUT = 600
FAILED, PASSED, SKIPPED = "failed", "passed", "skipped"
HOW_TO_GET = ("checkov is not installed: run `make tools` (it builds .tools/bin/checkov in a virtual "
              f"environment of its own), or `pipx install checkov=={PINNED_VERSION}` (its own environment: "
              "its pins conflict with kaze-policy's), or set KAZE_CHECKOV to its path")
# What would reach the network (the platform, its API key) is not passed on.
_PLATFORM_VARIABLES = ("BC_API_KEY", "PRISMA_API_URL", "BC_API_URL", "BC_FROM_BRANCH", "BC_REPO_ID",
                       "CKV_EXTERNAL_CHECKS_GIT")
_OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
            "DOWNLOAD_EXTERNAL_MODULES": "false"}
_MAX_LINE = 300


def find_checkov() -> str:
    """The checkov executable: KAZE_CHECKOV, else .tools/bin/checkov, else PATH; missing is bad usage."""
    path = find_tool("checkov")
    if not path:
        raise UsageError(HOW_TO_GET)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise UsageError(f"checkov: {path} is not an executable file (KAZE_CHECKOV?); {HOW_TO_GET}")
    return path


@dataclass
class CheckovCheck:
    """One Checkov check on one resource, as Checkov reports it."""

    check_id: str
    name: str
    framework: str
    file: str
    lines: list[int] | None
    resource: str
    status: str
    guideline: str | None = None
    severity: str | None = None
    # A skipped check's reason: the justification of its suppression comment or annotation.
    reason: str | None = None

    @property
    def line(self) -> int | None:
        return self.lines[0] if self.lines else None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_json(self) -> dict[str, Any]:
        if self.status == PASSED:  # thousands on a real stack: where, and which check, only
            return {"check_id": self.check_id, "file": self.file, "lines": self.lines, "resource": self.resource}
        out = {"check_id": self.check_id, "name": self.name, "framework": self.framework, "file": self.file,
               "lines": self.lines, "resource": self.resource, "guideline": self.guideline,
               "severity": self.severity}
        if self.status == SKIPPED:
            out["reason"] = self.reason
        return out


@dataclass
class CheckovResult:
    """Checkov's verdicts on the paths scanned: its own framework beside the Kaze controls."""

    version: str | None = None
    paths: list[str] = field(default_factory=list)
    failed: list[CheckovCheck] = field(default_factory=list)
    passed: list[CheckovCheck] = field(default_factory=list)
    skipped: list[CheckovCheck] = field(default_factory=list)
    # Files Checkov could not parse (it judged nothing in them).
    parsing_errors: list[str] = field(default_factory=list)
    # What was not given to Checkov, with why (standard input, live targets).
    not_scanned: list[dict[str, str]] = field(default_factory=list)
    # Checkov crashed, timed out or printed no report it could be read from: one line. Its
    # verdicts are then unknown (exit 3), the Kaze results are reported all the same.
    error: str | None = None

    def summary(self) -> dict[str, int]:
        return {FAILED: len(self.failed), PASSED: len(self.passed), SKIPPED: len(self.skipped),
                "parsing_errors": len(self.parsing_errors)}

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": {"name": "checkov", "version": self.version},
            "frameworks": list(FRAMEWORKS),
            "paths": self.paths,
            "summary": self.summary(),
            "error": self.error,
            "failed": [c.to_json() for c in self.failed],
            "skipped": [c.to_json() for c in self.skipped],
            "passed": [c.to_json() for c in self.passed],
            "parsing_errors": self.parsing_errors,
            "not_scanned": self.not_scanned,
        }


class CheckovRun:
    """Checkov over `paths`, in a thread started at once: `result()` waits for it.

    `cancel()` stops it (the Kaze scan stopped on bad input: nothing will be reported).
    """

    def __init__(self, executable: str, paths: list[str], live: bool = False, timeout: float = TIMEOUT) -> None:
        self.executable = executable
        self.timeout = timeout
        self._result = CheckovResult()
        self._cancelled = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        for path in paths:
            if path == STDIN:
                self._result.not_scanned.append({"path": STDIN, "reason": "standard input: Checkov reads files"})
            else:
                self._result.paths.append(path)
        if live:
            self._result.not_scanned.append({"path": "live targets",
                                             "reason": "a live cluster or system: Checkov judges files"})
        self._thread = threading.Thread(target=self._run_all, name="checkov", daemon=True)
        self._thread.start()

    def result(self) -> CheckovResult:
        self._thread.join()
        return self._result

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        self._thread.join()

    def _run_all(self) -> None:
        errors = []
        for path in self._result.paths:
            if self._cancelled.is_set():
                return
            try:
                self._merge(path, self._run(path))
            except CheckovError as err:
                errors.append(f"{path}: {err}" if len(self._result.paths) > 1 else str(err))
            except Exception as err:  # noqa: BLE001 - whatever Checkov printed, one line and exit 3
                errors.append(f"{path}: {type(err).__name__}: {err}")
        if errors:
            self._result.error = _one_line("; ".join(errors))
        for checks in (self._result.failed, self._result.passed, self._result.skipped):
            checks.sort(key=lambda c: (c.file, c.line or 0, _natural(c.check_id), c.resource))

    def _run(self, path: str) -> list[dict[str, Any]]:
        """Checkov's reports for one path, one per framework it found files of."""
        absolute = os.path.abspath(path)
        target = ["-d", absolute] if os.path.isdir(absolute) else ["-f", absolute]
        command = [self.executable, *target, "--framework", *FRAMEWORKS, "-o", "json", "--compact",
                   "--skip-download", "--download-external-modules", "false"]
        with tempfile.TemporaryDirectory(prefix="kaze-checkov-") as cwd:
            with self._lock:
                if self._cancelled.is_set():
                    return []
                try:
                    self._process = subprocess.Popen(command, cwd=cwd, env=_environment(),
                                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                     stderr=subprocess.PIPE)
                except OSError as err:
                    raise CheckovError(f"cannot run {self.executable}: {err.strerror or err}") from None
            try:
                out, err = self._process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.communicate()
                raise CheckovError(f"did not finish within {self.timeout:g} s") from None
        if self._cancelled.is_set():
            return []
        return parse_output(out, err, self._process.returncode)

    def _merge(self, path: str, reports: list[dict[str, Any]]) -> None:
        root = os.path.abspath(path)
        directory = os.path.isdir(root)
        for report in reports:
            framework = str(report.get("check_type") or "")
            summary = report.get("summary") or {}
            if isinstance(summary, dict) and summary.get("checkov_version"):
                self._result.version = str(summary["checkov_version"])
            results = report.get("results") or {}
            if not isinstance(results, dict):
                raise CheckovError("a report's results are not an object")
            for key, status, into in (("failed_checks", FAILED, self._result.failed),
                                      ("passed_checks", PASSED, self._result.passed),
                                      ("skipped_checks", SKIPPED, self._result.skipped)):
                for check in results.get(key) or []:
                    into.append(_check(check, framework, status, path, root, directory))
            for parse_error in results.get("parsing_errors") or []:
                self._result.parsing_errors.append(_shown(str(parse_error), path, root, directory))


class CheckovError(Exception):
    """Checkov did not give a report that can be read."""


def parse_output(out: bytes, err: bytes, returncode: int) -> list[dict[str, Any]]:
    """Checkov's JSON: a list of per-framework reports, one report, or (nothing found) a bare summary.

    Exit 0 (nothing failed) and 1 (a check failed) give a report; anything else is a crash.
    """
    if returncode not in (0, 1):
        raise CheckovError(f"exited {returncode}" + _last_line(err, out))
    try:
        value = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckovError("its output is not a Checkov JSON report" + _last_line(err, out)) from None
    reports = value if isinstance(value, list) else [value]
    if not all(isinstance(r, dict) for r in reports):
        raise CheckovError("its output is not a Checkov JSON report" + _last_line(err, out))
    found = []
    for report in reports:
        if "results" in report:
            if not isinstance(report.get("check_type"), str):
                raise CheckovError("a report names no framework (check_type)")
            found.append(report)
        elif not {"passed", "failed"} <= set(report):  # the bare summary when no file was found
            raise CheckovError("its output is not a Checkov JSON report" + _last_line(err, out))
    return found


def _check(check: Any, framework: str, status: str, path: str, root: str, directory: bool) -> CheckovCheck:
    if not isinstance(check, dict) or not isinstance(check.get("check_id"), str):
        raise CheckovError(f"a {status} check without a check_id")
    lines = check.get("file_line_range")
    result = check.get("check_result") if isinstance(check.get("check_result"), dict) else {}
    file = check.get("file_abs_path") or check.get("file_path") or path
    return CheckovCheck(
        check_id=check["check_id"], name=str(check.get("check_name") or ""), framework=framework,
        file=_shown(str(file), path, root, directory),
        lines=[int(n) for n in lines] if isinstance(lines, list) and all(isinstance(n, int) for n in lines) else None,
        resource=str(check.get("resource") or ""), status=status,
        guideline=check.get("guideline") or None, severity=check.get("severity") or None,
        reason=(result.get("suppress_comment") or check.get("suppress_comment")) if status == SKIPPED else None)


def _shown(file: str, path: str, root: str, directory: bool) -> str:
    """A file as the Kaze findings name it: below the path as the user wrote it."""
    if not directory:
        return path
    absolute = file if os.path.isabs(file) and file.startswith(root + os.sep) else \
        os.path.join(root, file.lstrip("/"))
    relative = os.path.relpath(absolute, root)
    return relative if path in (".", "") else os.path.join(path, relative)


def _natural(check_id: str) -> list[Any]:
    """CKV_K8S_8 before CKV_K8S_16: the numbers of an id compared as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", check_id)]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PLATFORM_VARIABLES}
    env.update(_OFFLINE)
    return env


def _last_line(err: bytes, out: bytes) -> str:
    """The last line Checkov printed (its error, as a rule), cut: a hint for the one line."""
    for stream in (err, out):
        lines = [line.strip() for line in stream.decode("utf-8", "replace").splitlines() if line.strip()]
        if lines:
            return f": {lines[-1][:200]}"
    return ""


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LINE else text[:_MAX_LINE - 1] + "…"
