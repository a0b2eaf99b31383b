"""The child process of the hostile corpus: the CLI under a memory limit and an audit hook.

    python tests/corpus_guard.py REPORT_JSON CLI-ARGS...

Environment: KAZE_GUARD_ALLOW, the folders in which anything may be opened (the case copy and
the scan's TMPDIR), separated by os.pathsep; KAZE_GUARD_MEMORY, the limit in bytes.

The limit is RLIMIT_DATA, not RLIMIT_AS: kustomize (Go) reserves address space far beyond what
it uses and dies under an RLIMIT_AS of 768 MB, while RLIMIT_DATA counts what a process writes
to (heap, anonymous mappings) in Python and in kustomize alike (kustomize inherits it).

The hook records every file or folder the CLI opens or lists, every program it starts and
every connection it makes; at the end (hook silenced) it keeps those that are not allowed:
- files and folders under an allowed folder, the interpreter's prefixes and site-packages
  (the standard library, installed packages), the kaze_policy package and its Rego policies;
- /dev/null, /proc/self/…, and the listing of a sys.path entry (the import system);
- as a program, only kustomize (the one the scan is configured with: KAZE_KUSTOMIZE, .tools, PATH).
REPORT_JSON gets {"violations": [...], "memory_limit": n}: the test fails on any violation.
"""

from __future__ import annotations

import json
import os
import resource
import site
import sys

FILE_EVENTS = {"open", "os.listdir", "os.scandir", "glob.glob"}
PROGRAM_EVENTS = {"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork", "os.forkpty"}
NETWORK_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"}
_seen: list[tuple[str, object]] = []
_active = True


def _hook(event: str, args: tuple) -> None:
    if not _active:
        return
    if event in FILE_EVENTS:
        target = args[0] if args else None
        if target is None and event != "open":
            target = "."
        if isinstance(target, (str, bytes)):
            _seen.append((event, os.path.abspath(os.fsdecode(target))))
    elif event in PROGRAM_EVENTS:
        program = args[0] if args else None
        if event == "subprocess.Popen" and program is None and args[1]:
            program = args[1] if isinstance(args[1], (str, bytes)) else args[1][0]
        _seen.append((event, os.fsdecode(program) if isinstance(program, (str, bytes, os.PathLike)) else repr(program)))
    elif event in NETWORK_EVENTS:
        _seen.append((event, repr(args[:2])))


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _program(name: str) -> str:
    import shutil
    return os.path.realpath(name if os.sep in name else (shutil.which(name) or name))


def violations(seen: list[tuple[str, object]], allowed: list[str], import_paths: list[str]) -> list[str]:
    """The events that left the allowed places, as `event: target` lines."""
    from kaze_policy.catalog import DEFAULT_POLICY_DIR
    from kaze_policy.tools import find_tool

    package = os.path.dirname(os.path.realpath(sys.modules["kaze_policy"].__file__ or ""))
    roots = [os.path.realpath(p) for p in [*allowed, sys.prefix, sys.base_prefix, sys.exec_prefix,
                                              sys.base_exec_prefix, *site.getsitepackages(), package,
                                              str(DEFAULT_POLICY_DIR)] if p]
    kustomize = find_tool("kustomize")
    bad = []
    for event, target in seen:
        if event in FILE_EVENTS:
            path = str(target)
            if path == os.devnull or path.startswith("/proc/self/") or _under(os.path.realpath(path), roots):
                continue
            if event != "open" and path in import_paths:
                continue
        elif event in PROGRAM_EVENTS:
            if kustomize and event == "subprocess.Popen" and _program(str(target)) == _program(kustomize):
                continue
        bad.append(f"{event}: {target}")
    return sorted(set(bad))


def main() -> None:
    global _active
    report, args = sys.argv[1], sys.argv[2:]
    del sys.path[0]  # this script's folder (tests/): the CLI imports nothing from it
    import_paths = [os.path.abspath(p or ".") for p in sys.path]
    allowed = [p for p in os.environ.get("KAZE_GUARD_ALLOW", "").split(os.pathsep) if p]
    limit = int(os.environ.get("KAZE_GUARD_MEMORY", str(512 * 1024 * 1024)))
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    sys.addaudithook(_hook)
    try:
        from kaze_policy.cli import main as cli

        cli(args=args, prog_name="kaze-policy")
    finally:
        _active = False
        result = {"violations": violations(_seen, allowed, import_paths),
                  "memory_limit": resource.getrlimit(resource.RLIMIT_DATA)[0]}
        with open(report, "w", encoding="utf-8") as handle:
            json.dump(result, handle)


if __name__ == "__main__":
    main()
