"""kaze-policy side by side with what users would run instead: Conftest and Checkov on the same stacks.

Run: `make bench` (or `python tests/benchmarks/bench_tools.py [--sizes 1000,10000] [--repeat 3]`;
BENCH_SIZES=1000,10000 limits the sizes too). Writes reports/bench.md, reports/bench.json and
reports/bench.png (time against size per tool), with the admission webhook's load figures
(tests/benchmarks/bench_webhook.py) in the same report.

For each size (a generated stack, tests/benchmarks/stack.py: one stack.yaml and its
kaze-policy.yaml in a temporary folder, the files every tool reads), in turn:
- kaze-policy with the whole catalog: `kaze-policy scan DIR --format json --output /dev/null --no-progress`;
- kaze-policy with only the per-object controls that Conftest runs too (`--control` each);
- Conftest on those controls as Conftest policies (conftest_policies.py):
  `conftest test DIR -p POLICIES --all-namespaces -o json --data DATA`;
- Checkov's Kubernetes checks, offline as kaze_policy/checkov.py runs it:
  `checkov -d DIR --framework kubernetes -o json --compact --skip-download …`, with a time
  limit (default 300 s) and a memory cap (default 8 GB resident, the process group killed past
  it; RLIMIT_AS at twice that as a backstop); past either it is reported as such, never waited for.
  Above --checkov-max resources (default 10,000) it is not run, saying why.

Each run is the median of --repeat runs (default 3; one when the first takes over a minute),
each measured in a wrapper process of its own (this script with --measure): wall time around
the child, and peak memory as the larger of the children's ru_maxrss (the largest process)
and the largest sum of resident memory of the child's process group, polled every 0.2 s
(Checkov forks workers). The wrapper's own memory is not counted.

Before any timing, a differential check keeps the comparison honest: on the fixture cases of
each control (fixtures/<KZ-ID>/fail|pass/; --diff-cases N: N of each, fail and pass in turn),
Conftest's denials must be the findings of `kaze-policy scan --control <id>` (resource and
message; cases holding Terraform or a kustomization are not comparable and are listed), and on
the smallest stack the two must agree on every finding of the per-object controls. A
disagreement stops the benchmark.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
SIZES = (1_000, 10_000, 50_000)
LONG_RUN_S = 60.0  # a first run longer than this is not repeated
BUSY_CORES = 0.2  # other processes' CPU during a run above which its figures are marked busy
POLL_S = 0.2
GB = 1024 ** 3

KAZE_WHOLE, KAZE_OBJECT, CONFTEST, CHECKOV = ("kaze-policy", "kaze-policy per-object", "conftest", "checkov")
LABELS = {
    KAZE_WHOLE: "kaze-policy, whole catalog",
    KAZE_OBJECT: "kaze-policy, per-object controls",
    CONFTEST: "Conftest, per-object controls",
    CHECKOV: "Checkov, Kubernetes checks",
}
# What each other tool is compared with: the kaze-policy run doing the same kind of work.
COMPARED_WITH = {CONFTEST: KAZE_OBJECT, CHECKOV: KAZE_WHOLE}


# --- The measuring wrapper (a process of its own per run) ---------------------------------------

def _group_rss(pgid: int) -> int:
    """Bytes resident in the process group (the child and what it forked)."""
    total, page = 0, os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[21]) * page
    return total


def _busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (/proc/stat: all but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def measure_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run spec["cmd"] once: wall time, peak memory, exit code; killed past its time or memory.
    Also the CPU that other processes used meanwhile (cores, on average): a busy machine shows."""
    import resource

    cap = spec.get("memory_bytes") or 0

    def limit() -> None:
        if cap:
            resource.setrlimit(resource.RLIMIT_AS, (2 * cap, 2 * cap))

    status = "ok"
    peak_group = 0
    stop = threading.Event()
    with open(spec.get("stdout") or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        busy_before = _busy_seconds()
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        # The child's ru_maxrss counts this wrapper's image from before the exec (some 15 MB): a
        # floor under the figures, far below what any of the tools measured uses.
        process = subprocess.Popen(spec["cmd"], cwd=spec.get("cwd"), stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, preexec_fn=limit if cap else None, start_new_session=True)

        def poll() -> None:
            nonlocal peak_group, status
            while not stop.wait(POLL_S):
                rss = _group_rss(process.pid)
                peak_group = max(peak_group, rss)
                if cap and rss > cap:
                    status = "memory"  # resident memory past the cap
                    _kill_group(process.pid)
                    return

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            returncode = process.wait(timeout=spec.get("timeout"))
        except subprocess.TimeoutExpired:
            status = "timeout"
            _kill_group(process.pid)
            returncode = process.wait()
        wall = time.perf_counter() - start
        stop.set()
        poller.join()
        _kill_group(process.pid)  # whatever it left behind
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    ours = (children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime
            - own_before.ru_utime - own_before.ru_stime)
    others_cores = max(0.0, _busy_seconds() - busy_before - ours) / wall if wall > 0 else 0.0
    maxrss = children.ru_maxrss * 1024
    out_of_memory = cap and returncode != 0 and ("MemoryError" in stderr or "Cannot allocate memory" in stderr)
    if status == "ok" and (out_of_memory or returncode not in spec.get("ok_codes", (0, 1))):
        status = "address-space" if out_of_memory else "error"
    tail = [line for line in stderr.splitlines() if line.strip()][-3:]
    return {"status": status, "returncode": returncode, "wall_s": wall, "maxrss_mb": maxrss / 2 ** 20,
            "group_peak_mb": peak_group / 2 ** 20, "peak_mb": max(maxrss, peak_group) / 2 ** 20,
            "cpu_s": children.ru_utime + children.ru_stime, "others_cores": others_cores, "stderr_tail": tail}


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def measured(cmd: list[str], *, timeout: float | None = None, memory_bytes: int = 0, cwd: str | None = None,
             stdout: str | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One run of cmd, measured in a wrapper process of its own."""
    spec = {"cmd": cmd, "timeout": timeout, "memory_bytes": memory_bytes, "cwd": cwd, "stdout": stdout}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", json.dumps(spec)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"the measuring wrapper failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


# --- The tools --------------------------------------------------------------------------------

def kaze_command() -> list[str]:
    script = Path(sys.executable).parent / "kaze-policy"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kaze_policy.cli"]


def find(name: str) -> str | None:
    from kaze_policy.tools import find_tool

    return find_tool(name)


def version_of(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"unknown ({err})"
    lines = [line.strip() for line in (done.stdout + done.stderr).strip().splitlines() if line.strip()]
    return ", ".join(lines) if lines else "unknown"


def checkov_environment() -> dict[str, str]:
    from kaze_policy.checkov import _environment  # the offline variables, no platform key

    return _environment()


# --- The differential check -------------------------------------------------------------------

def _conftest_denials(conftest: str, folder: Path, policies: Path, data: Path, stdout: Path | None = None
                      ) -> set[tuple[str, str, str]]:
    """(control, resource, message) of every denial of Conftest on the folder."""
    cmd = [conftest, "test", str(folder), "-p", str(policies), "--all-namespaces", "-o", "json", "--no-color",
           "--data", str(data)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"conftest exited {done.returncode} on {folder}: {done.stderr.strip()[-1000:]}")
    if stdout is not None:
        stdout.write_text(done.stdout)
    found = set()
    for result in json.loads(done.stdout or "[]"):
        for failure in result.get("failures") or []:
            meta = failure.get("metadata") or {}
            found.add((str(meta.get("control")), str(meta.get("resource")), str(failure.get("msg"))))
    return found


def _kaze_findings(report: Path) -> list[tuple[str, str, str, str | None]]:
    """(control, resource, message, file) of every finding, waived ones too (Conftest knows no waivers)."""
    value = json.loads(report.read_text())
    out = []
    for control in value["controls"]:
        for finding in [*control.get("findings", []), *control.get("waived", [])]:
            resource = finding.get("resource") or {}
            out.append((control["id"], str(resource.get("id")), str(finding.get("message")), resource.get("file")))
    return out


def _kaze_scan(paths: list[Path], controls: list[str], report: Path) -> None:
    cmd = [*kaze_command(), "scan", *map(str, paths), "--format", "json", "--output", str(report), "--no-progress",
           "--fail-on", "none"]
    for cid in controls:
        cmd += ["--control", cid]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1, 3) or not report.exists():
        raise RuntimeError(f"kaze-policy scan exited {done.returncode}: {done.stderr.strip()[-1000:]}")


def choose_cases(control_id: str, per_control: int) -> list[Path]:
    """The control's fixture cases, fail and pass in turn, in name order."""
    fails = sorted(p.parent for p in (ROOT / "fixtures" / control_id / "fail").glob("*/expect.yaml"))
    passes = sorted(p.parent for p in (ROOT / "fixtures" / control_id / "pass").glob("*/expect.yaml"))
    turns = []
    for n in range(max(len(fails), len(passes))):
        turns += [p for p in (fails[n] if n < len(fails) else None, passes[n] if n < len(passes) else None) if p]
    return turns


def differential_fixtures(conftest: str, policies: Any, per_control: int, scratch: Path) -> dict[str, Any]:
    """Conftest's denials against kaze-policy's findings on `per_control` cases of each control."""
    import yaml
    from conftest_policies import NotComparable, write_data

    chosen: list[tuple[str, Path, Path]] = []  # (control, case, folder read)
    skipped = []
    datas: dict[Path, Path] = {}
    for control in policies.controls:
        taken = 0
        for case in choose_cases(control.id, per_control):
            if per_control and taken >= per_control:
                break
            name = str(case.relative_to(ROOT / "fixtures"))
            expect = yaml.safe_load((case / "expect.yaml").read_text()) or {}
            folder = case
            if expect.get("config") == "none":  # judged without configuration: a copy outside fixtures/
                folder = scratch / "cases" / name
                shutil.copytree(case, folder)
            try:
                datas[folder] = write_data(folder, scratch / "data" / name)
            except NotComparable as err:
                skipped.append({"case": name, "why": str(err)})
                continue
            chosen.append((control.id, case, folder))
            taken += 1
    report = scratch / "kaze-fixtures.json"
    _kaze_scan([folder for _, _, folder in chosen], policies.ids, report)
    findings = _kaze_findings(report)
    cases = []
    for control_id, case, folder in chosen:
        base = folder.resolve()
        kaze = {(rid, msg) for cid, rid, msg, file in findings if cid == control_id and file
                and (ROOT / file).resolve().is_relative_to(base)}
        denied = {(rid, msg) for cid, rid, msg in _conftest_denials(conftest, folder, policies.folder, datas[folder])
                  if cid == control_id}
        cases.append({"case": str(case.relative_to(ROOT / "fixtures")), "control": control_id,
                      "kaze_policy": len(kaze), "conftest": len(denied), "agree": kaze == denied,
                      "only_kaze_policy": sorted(map(list, kaze - denied)),
                      "only_conftest": sorted(map(list, denied - kaze))})
    return {"cases": cases, "skipped": skipped, "agree": all(c["agree"] for c in cases)}


def differential_stack(conftest: str, folder: Path, policies: Any, data: Path, scratch: Path) -> dict[str, Any]:
    """Every finding of the per-object controls on a stack, by kaze-policy and by Conftest."""
    report = scratch / "kaze-stack.json"
    _kaze_scan([folder], policies.ids, report)
    kaze = {(cid, rid, msg) for cid, rid, msg, _ in _kaze_findings(report)}
    denied = _conftest_denials(conftest, folder, policies.folder, data)
    return {"kaze_policy": len(kaze), "conftest": len(denied), "agree": kaze == denied,
            "only_kaze_policy": sorted(map(list, kaze - denied))[:20],
            "only_conftest": sorted(map(list, denied - kaze))[:20]}


# --- The benchmark ----------------------------------------------------------------------------

def run_repeated(cmd: list[str], repeat: int, **kwargs: Any) -> dict[str, Any]:
    """Up to `repeat` runs (one when the first is long, or did not finish): median and peak."""
    runs = []
    for _ in range(repeat):
        run = measured(cmd, **kwargs)
        runs.append(run)
        if run["status"] != "ok" or run["wall_s"] > LONG_RUN_S:
            break
    ok = [r for r in runs if r["status"] == "ok"]
    status = "ok" if len(ok) == len(runs) else runs[-1]["status"]
    if status == "address-space":  # the RLIMIT_AS backstop, at twice the cap, came first
        status = "memory"
        runs[-1]["why"] = "out of address space (RLIMIT_AS at twice the cap)"
    return {"status": status, "runs": runs, "median_s": statistics.median(r["wall_s"] for r in ok) if ok else None,
            "peak_mb": max(r["peak_mb"] for r in runs), "others_cores": max(r["others_cores"] for r in runs)}


def describe_status(row: dict[str, Any]) -> str:
    status = row["status"]
    if status == "timeout":
        return f"over {row['limit_s']:g} s (stopped)"
    if status == "memory":
        why = row["runs"][-1].get("why") if row.get("runs") else None
        return (f"over {row['limit_gb']:g} GB (stopped after {row['runs'][-1]['wall_s']:.0f} s"
                f"{': ' + why if why else ''})")
    if status == "skipped":
        return f"not run: {row['why']}"
    if status == "error":
        tail = row["runs"][-1].get("stderr_tail") if row.get("runs") else []
        return f"failed (exit {row['runs'][-1]['returncode']}): {' '.join(tail)[-200:]}" if row.get("runs") else "failed"
    return ""


def bench(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(BENCH))
    from conftest_policies import write_data, write_policies
    from stack import write_stack

    from kaze_policy import __version__
    from kaze_policy.inventory import MAX_RESOURCES_PER_TARGET

    tools = {CONFTEST: None if CONFTEST in args.without else find("conftest"),
             CHECKOV: None if CHECKOV in args.without else find("checkov")}
    for name, path in tools.items():
        if name not in args.without and not path:
            sys.exit(f"{name} is not installed: run `make bench` (it builds .tools/bin/{name}), or leave it out "
                     f"with --without {name}")
    before = _busy_seconds()
    time.sleep(2)
    idle_load = (_busy_seconds() - before) / 2
    if idle_load > BUSY_CORES:
        print(f"warning: before any run, other processes keep {idle_load:.2f} cores busy: the figures will be "
              "disturbed (each row says how busy the machine was)", flush=True)
    result: dict[str, Any] = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "memory_gb": _memory_gb(), "python": sys.version.split()[0],
                    "busy_cores_before": idle_load},
        "versions": {"kaze-policy": __version__,
                     CONFTEST: version_of([tools[CONFTEST], "--version"]) if tools[CONFTEST] else None,
                     CHECKOV: version_of([tools[CHECKOV], "--version"]) if tools[CHECKOV] else None},
        "sizes": args.sizes, "repeat": args.repeat,
        "checkov_limits": {"timeout_s": args.checkov_timeout, "memory_gb": args.checkov_memory_gb,
                           "max_resources": args.checkov_max},
        "not_run": {name: "left out (--without)" for name in args.without},
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="kaze-bench-tools-") as tmp:
        scratch = Path(tmp)
        policies = write_policies(scratch / "conftest-policies")
        result["controls"] = {"per_object": policies.ids, "not_as_conftest_policies": policies.not_exported}
        print(f"per-object controls (kaze-policy --control, and Conftest policies): {', '.join(policies.ids)}",
              flush=True)
        if tools[CONFTEST]:
            print(f"differential check on {args.diff_cases or 'every'} fixture case(s) of each control…", flush=True)
            diff = differential_fixtures(tools[CONFTEST], policies, args.diff_cases, scratch / "diff")
            result["differential"] = {"fixtures": diff}
            for case in diff["cases"]:
                print(f"  {'agree' if case['agree'] else 'DISAGREE'}  {case['case']}: kaze-policy "
                      f"{case['kaze_policy']}, conftest {case['conftest']}", flush=True)
            for skip in diff["skipped"]:
                print(f"  not compared  {skip['case']}: {skip['why']}", flush=True)
            if not diff["agree"]:
                _write_partial(args.out, result)
                sys.exit("Conftest's denials differ from kaze-policy's findings on the fixtures: see "
                         f"{args.out / 'bench.json'}; no timing")
        checkov_stopped: str | None = None
        for n, size in enumerate(args.sizes):
            # kaze-policy counts the configuration as a resource of the target, and refuses a target of
            # more than MAX_RESOURCES_PER_TARGET: at that size the stack holds one object less.
            objects = min(size, MAX_RESOURCES_PER_TARGET - 1)
            folder = write_stack(scratch / f"stack-{size}", objects)
            mb = (folder / "stack.yaml").stat().st_size / 1e6
            clipped = f", {objects:,} objects and the configuration: kaze-policy's limit of one target" \
                if objects < size else ""
            print(f"\n{size:,} resources ({mb:.1f} MB of YAML{clipped})", flush=True)
            rows = []
            kaze = [*kaze_command(), "scan", str(folder), "--format", "json", "--output", os.devnull, "--no-progress"]
            per_object = [*kaze]
            for cid in policies.ids:
                per_object += ["--control", cid]
            rows.append((KAZE_WHOLE, lambda: run_repeated(kaze, args.repeat, timeout=args.timeout, cwd=str(ROOT))))
            rows.append((KAZE_OBJECT, lambda: run_repeated(per_object, args.repeat, timeout=args.timeout,
                                                           cwd=str(ROOT))))
            if tools[CONFTEST]:
                start = time.perf_counter()
                data = write_data(folder, scratch / f"conftest-data-{size}")
                prepared = time.perf_counter() - start
                if n == 0:
                    stack_diff = differential_stack(tools[CONFTEST], folder, policies, data, scratch)
                    result.setdefault("differential", {})["stack"] = {"resources": size, **stack_diff}
                    print(f"  differential check on the stack: kaze-policy {stack_diff['kaze_policy']} finding(s), "
                          f"conftest {stack_diff['conftest']}: {'agree' if stack_diff['agree'] else 'DISAGREE'}",
                          flush=True)
                    if not stack_diff["agree"]:
                        _write_partial(args.out, result)
                        sys.exit("Conftest and kaze-policy disagree on the stack: see bench.json; no timing")
                conftest = [tools[CONFTEST], "test", str(folder), "-p", str(policies.folder), "--all-namespaces",
                            "-o", "json", "--no-color", "--data", str(data)]
                rows.append((CONFTEST, lambda: {**run_repeated(conftest, args.repeat, timeout=args.timeout,
                                                               cwd=str(ROOT)),
                                                "data_prepared_s": prepared}))
            if tools[CHECKOV]:
                checkov = [tools[CHECKOV], "-d", str(folder), "--framework", "kubernetes", "-o", "json", "--compact",
                           "--skip-download", "--download-external-modules", "false"]
                if checkov_stopped:
                    why = checkov_stopped
                elif size > args.checkov_max:
                    why = (f"above {args.checkov_max:,} resources (--checkov-max): at 10,000 it ran over 9 minutes "
                           "and grew past 8 GB when last run without limits")
                else:
                    why = None
                if why:
                    rows.append((CHECKOV, lambda why=why: {"status": "skipped", "why": why, "runs": [],
                                                           "median_s": None, "peak_mb": None}))
                else:
                    cwd = scratch / "checkov-cwd"  # no .checkov.yaml of the checkout changes its flags
                    cwd.mkdir(exist_ok=True)
                    rows.append((CHECKOV, lambda: run_repeated(
                        checkov, args.repeat, timeout=args.checkov_timeout, cwd=str(cwd),
                        memory_bytes=int(args.checkov_memory_gb * GB), env=checkov_environment())))
            for tool, run in rows:
                row = {"resources": size, "objects": objects, "tool": tool, "label": LABELS[tool], "yaml_mb": mb,
                       **run()}
                if tool == CHECKOV:
                    row["limit_s"], row["limit_gb"] = args.checkov_timeout, args.checkov_memory_gb
                    if row["status"] in ("timeout", "memory"):
                        checkov_stopped = (f"it did not finish at {size:,} resources "
                                           f"({describe_status(row)})")
                else:
                    row["limit_s"], row["limit_gb"] = args.timeout, None
                result["rows"].append(row)
                print("  " + _line(row), flush=True)
                if row["status"] == "error":
                    _write_partial(args.out, result)
                    sys.exit(f"{tool} failed at {size:,} resources: {describe_status(row)}")
            shutil.rmtree(folder)
    add_ratios(result)
    if not args.no_webhook:
        result["webhook"] = run_webhook(args)
    return result


def _line(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return f"{row['label']:<36} {describe_status(row)}" + (
            f"  (peak {row['peak_mb']:.0f} MB)" if row.get("peak_mb") else "")
    runs = len(row["runs"])
    return (f"{row['label']:<36} median {row['median_s']:8.2f} s of {runs} run{'s' if runs > 1 else ''}  "
            f"peak {row['peak_mb']:7.0f} MB  others' CPU {row['others_cores']:.2f} cores")


def add_ratios(result: dict[str, Any]) -> None:
    """Each other tool's row gets kaze-policy's time and memory divided by its own (below 1:
    kaze-policy is faster, or smaller), against the kaze-policy run doing the same work."""
    by_key = {(r["resources"], r["tool"]): r for r in result["rows"]}
    for row in result["rows"]:
        ours = by_key.get((row["resources"], COMPARED_WITH.get(row["tool"], "")))
        if ours is None or ours["status"] != "ok":
            continue
        row["compared_with"] = ours["tool"]
        if row["status"] == "ok" and row["median_s"]:
            row["time_ratio"] = ours["median_s"] / row["median_s"]
        elif row["status"] == "timeout":
            row["time_ratio_below"] = ours["median_s"] / row["limit_s"]
        elif row["status"] == "memory":  # stopped while still running: it would have taken longer
            row["time_ratio_below"] = ours["median_s"] / row["runs"][-1]["wall_s"]
        if row.get("peak_mb") and row["status"] == "ok":
            row["memory_ratio"] = ours["peak_mb"] / row["peak_mb"]
        elif row["status"] == "memory":
            row["memory_ratio_below"] = ours["peak_mb"] / (row["limit_gb"] * 1024)


def run_webhook(args: argparse.Namespace) -> dict[str, Any]:
    """The admission webhook under load (bench_webhook.py), its JSON read back."""
    output = args.out / "bench-webhook.json"
    cmd = [sys.executable, str(BENCH / "bench_webhook.py"), "--output", str(output)]
    for option, value in (("--seconds", args.webhook_seconds), ("--step-seconds", args.webhook_step_seconds),
                          ("--rates", args.webhook_rates)):
        if value is not None:
            cmd += [option, str(value)]
    import resource

    print(f"\nadmission webhook under load: {' '.join(cmd[1:])}", flush=True)
    busy_before, start = _busy_seconds(), time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench_webhook.py exited {done.returncode}")
    ours = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime  # the server and vegeta too
    result = json.loads(output.read_text())
    result["others_cores"] = max(0.0, _busy_seconds() - busy_before - ours) / wall
    print(f"other processes kept {result['others_cores']:.2f} cores busy meanwhile", flush=True)
    return result


# --- The report -------------------------------------------------------------------------------

def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    return None


def _ratio(row: dict[str, Any], key: str) -> str:
    if key in row:
        return f"{row[key]:.2f}"
    if f"{key}_below" in row:
        return f"< {row[f'{key}_below']:.2f}"
    return "—"


def markdown(result: dict[str, Any], png: str) -> str:
    machine = result["machine"]
    prep = max((r for r in result["rows"] if r.get("data_prepared_s") is not None), default=None,
               key=lambda r: r["resources"])
    versions = result["versions"]
    limits = result["checkov_limits"]
    lines = [
        "# kaze-policy side by side with Conftest and Checkov",
        "",
        f"Generated {result['generated']} by `tests/benchmarks/bench_tools.py` (`make bench`) on "
        f"{machine['cpus']} CPUs, {machine['memory_gb']} GB; kaze-policy {versions['kaze-policy']}, "
        f"Conftest `{versions[CONFTEST] or 'not run'}`, Checkov `{versions[CHECKOV] or 'not run'}`.",
        "",
        "Each tool reads the same generated stack (tests/benchmarks/stack.py: one `stack.yaml` and its "
        "`kaze-policy.yaml`). Median wall time of up to "
        f"{result['repeat']} run(s) (one when the first takes over a minute); peak memory is the larger of the "
        "largest process's and the process group's resident memory. **kaze-policy ÷ tool** divides "
        "kaze-policy's figure by the tool's, against the kaze-policy run that does the same kind of work "
        "(Conftest: the per-object controls; Checkov: the whole catalog): below 1, kaze-policy is faster or "
        "smaller. **Others' CPU**: the cores other processes of the machine kept busy during the tool's "
        "runs, on average (the highest of its runs): near 0 on a quiet machine; "
        f"above {BUSY_CORES:g} the row is marked *busy* and its figures are not to be trusted.",
        "",
        f"- kaze-policy, whole catalog: `kaze-policy scan DIR --format json --output /dev/null --no-progress`.",
        f"- kaze-policy and Conftest, per-object controls: the {len(result['controls']['per_object'])} controls "
        f"that `kaze-policy serve` judges object by object ({', '.join(result['controls']['per_object'])}); "
        "kaze-policy with `--control` each, Conftest with the same Rego as Conftest policies "
        "(tests/benchmarks/conftest_policies.py), `conftest test DIR -p POLICIES --all-namespaces -o json "
        "--data DATA` (DATA: the configuration and the namespaces, prepared beforehand and not timed"
        + (f": {prep['data_prepared_s']:.1f} s at {prep['resources']:,} resources" if prep else "") + ").",
        f"- Checkov: `checkov -d DIR --framework kubernetes -o json --compact --skip-download` with the "
        f"offline variables of kaze_policy/checkov.py, stopped past {limits['timeout_s']:g} s or "
        f"{limits['memory_gb']:g} GB, not run above {limits['max_resources']:,} resources.",
        "",
        "| resources | tool | runs | median s | peak MB | kaze-policy ÷ tool (time) | kaze-policy ÷ tool (memory) "
        "| others' CPU (cores) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["rows"]:
        median = f"{row['median_s']:.2f}" if row["status"] == "ok" else describe_status(row)
        peak = f"{row['peak_mb']:.0f}" if row.get("peak_mb") else "—"
        if row["status"] in ("timeout", "memory") and row.get("peak_mb"):
            peak = f"{row['peak_mb']:.0f} when stopped"
        others = row.get("others_cores")
        busy = "—" if others is None else f"{others:.2f}" + (" *busy*" if others > BUSY_CORES else "")
        lines.append(f"| {row['resources']:,} | {row['label']} | {len(row['runs'])} | {median} | {peak} | "
                     f"{_ratio(row, 'time_ratio')} | {_ratio(row, 'memory_ratio')} | {busy} |")
    busy = [r for r in result["rows"] if (r.get("others_cores") or 0) > BUSY_CORES]
    if busy:
        lines += ["", f"**{len(busy)} of {len(result['rows'])} rows were measured while other processes kept the "
                      "machine busy (*busy*): their times are longer than on a quiet machine.**"]
    clipped = sorted({(r["resources"], r["objects"]) for r in result["rows"] if r.get("objects", r["resources"])
                      < r["resources"]})
    for size, objects in clipped:
        lines += ["", f"At {size:,} resources the stack holds {objects:,} objects and its configuration: kaze-policy "
                      f"counts the configuration as a resource of the target and refuses a target of more than "
                      f"{objects + 1:,} (kaze_policy/inventory.py MAX_RESOURCES_PER_TARGET). Every tool reads the "
                      "same files."]
    lines += ["", f"![time against size]({png})", ""]
    diff = result.get("differential")
    lines += ["## Differential check (before timing)", ""]
    if not diff:
        lines.append("Not run: Conftest was not run.")
    else:
        fixtures = diff.get("fixtures", {"cases": [], "skipped": []})
        agreed = sum(1 for c in fixtures["cases"] if c["agree"])
        lines.append(f"Fixture cases: Conftest's denials and kaze-policy's findings (resource and message) agree on "
                     f"{agreed} of {len(fixtures['cases'])} cases: "
                     + ", ".join(f"{c['case']} ({c['kaze_policy']})" for c in fixtures["cases"]) + ".")
        if fixtures["skipped"]:
            lines.append("Not compared: " + "; ".join(f"{s['case']} ({s['why']})" for s in fixtures["skipped"]) + ".")
        if "stack" in diff:
            s = diff["stack"]
            lines += ["", f"The {s['resources']:,}-resource stack: kaze-policy {s['kaze_policy']} finding(s), Conftest "
                          f"{s['conftest']} denial(s): {'the same' if s['agree'] else 'they differ'}."]
    webhook = result.get("webhook")
    lines += ["", "## The admission webhook under load", ""]
    if not webhook:
        lines.append("Not run (--no-webhook).")
    else:
        lines += [f"`kaze-policy serve` driven by vegeta over TLS (tests/benchmarks/bench_webhook.py): target "
                  f"{webhook['target']}: **{'met' if webhook['met'] else 'not met'}**; the highest rate with p99 "
                  f"under 50 ms and no error: {webhook['highest_rate_p99_under_50ms'] or 'none of those tried'}"
                  f"{'/s' if webhook['highest_rate_p99_under_50ms'] else ''}; decisions logged: "
                  f"{webhook['decisions_logged']}. Other processes kept "
                  f"{webhook.get('others_cores', float('nan')):.2f} cores busy meanwhile, on average"
                  + (" (*busy*: not to be trusted)." if webhook.get("others_cores", 0) > BUSY_CORES else "."), "",
                  "| rate /s | s | requests | errors | p50 ms | p99 ms | p99.9 ms | max ms | server CPU (cores) |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in webhook["runs"]:
            lines.append(f"| {r['rate']} | {r['seconds']} | {r['requests']} | {r['errors']} | {r['p50_ms']:.2f} | "
                         f"{r['p99_ms']:.2f} | {r['p99_9_ms']:.2f} | {r['max_ms']:.1f} | {r['server_cpu_cores']:.2f} |")
    if result.get("not_run"):
        lines += ["", "Left out: " + "; ".join(f"{k}: {v}" for k, v in result["not_run"].items()) + "."]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    """Median time against size per tool, log-log; a run stopped at its limit as an upward arrow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    markers = {KAZE_WHOLE: "o", KAZE_OBJECT: "s", CONFTEST: "D", CHECKOV: "^"}
    highest = 0.0  # room above a stopped run for its arrow
    for n, (tool, label) in enumerate(LABELS.items()):
        color = f"C{n}"
        rows = [r for r in result["rows"] if r["tool"] == tool]
        done = [(r["resources"], r["median_s"]) for r in rows if r["status"] == "ok"]
        if done:
            ax.plot(*zip(*done), marker=markers[tool], color=color, label=label)
        labelled = bool(done)
        for r in rows:
            if r["status"] in ("timeout", "memory"):
                y = r["limit_s"] if r["status"] == "timeout" else max(r["runs"][-1]["wall_s"], 1e-3)
                highest = max(highest, y * 2.5)
                if done:  # from its last finished size to where it was stopped
                    ax.plot([done[-1][0], r["resources"]], [done[-1][1], y], color=color, linestyle="--")
                ax.plot([r["resources"]], [y], marker=markers[tool], color=color, fillstyle="none", markersize=9,
                        linestyle="none", label=None if labelled else label)
                labelled = True
                ax.annotate(f"over {r['limit_s']:g} s" if r["status"] == "timeout" else f"over {r['limit_gb']:g} GB",
                            (r["resources"], y),
                            textcoords="offset points", xytext=(6, 6), fontsize=8, color=color)
                ax.annotate("", xy=(r["resources"], y * 1.6), xytext=(r["resources"], y),
                            arrowprops={"arrowstyle": "->", "color": color})
    ax.set_xscale("log")
    ax.set_yscale("log")
    if highest:
        ax.set_ylim(top=max(ax.get_ylim()[1], highest))
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:,g}")
    sizes = sorted({r["resources"] for r in result["rows"]})
    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("resources in the stack")
    ax.set_ylabel("median wall time (s)")
    ax.set_title("kaze-policy, Conftest and Checkov on the same generated stacks")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_reports(out: Path, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(result, out / "bench.png")
    (out / "bench.md").write_text(markdown(result, "bench.png"))


def _write_partial(out: Path, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=1) + "\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES") or ",".join(map(str, SIZES)),
                        help="resources per stack, comma-separated (default: BENCH_SIZES, else 1000,10000,50000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and size (median; default 3)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for a kaze-policy or Conftest run")
    parser.add_argument("--checkov-timeout", type=float, default=300)
    parser.add_argument("--checkov-memory-gb", type=float, default=8)
    parser.add_argument("--checkov-max", type=int, default=10_000, help="no Checkov above this many resources")
    parser.add_argument("--without", action="append", default=[], choices=[CONFTEST, CHECKOV],
                        help="leave a tool out (repeatable)")
    parser.add_argument("--diff-cases", type=int, default=0,
                        help="fixture cases per control in the differential check (default 0: every case, some 5 s)")
    parser.add_argument("--no-webhook", action="store_true", help="leave out the admission webhook's load benchmark")
    parser.add_argument("--webhook-seconds", type=int)
    parser.add_argument("--webhook-step-seconds", type=int)
    parser.add_argument("--webhook-rates")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--render", type=Path, metavar="BENCH_JSON",
                        help="measure nothing: write the reports to --out again from a bench.json")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in str(args.sizes).split(",") if s.strip()]
    return args


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        print(json.dumps(measure_child(json.loads(argv[1]))))
        return
    sys.path.insert(0, str(ROOT))
    args = parse_args(argv)
    if args.render:
        result = json.loads(args.render.read_text())
        add_ratios(result)
    else:
        result = bench(args)
    write_reports(args.out, result)
    print(f"\nreports: {args.out / 'bench.md'}, {args.out / 'bench.json'}, {args.out / 'bench.png'}")


if __name__ == "__main__":
    main(sys.argv[1:])
