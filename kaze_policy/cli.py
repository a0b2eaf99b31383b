"""The command line: thin, every decision lives in the modules it calls.

Exit codes: 0 no failing control at or above --fail-on; 1 a control failed; 2 bad usage or
bad input; 3 a control could not be evaluated (takes precedence over 1), or the scanner
itself stopped (an internal error, out of memory). Never a traceback but with --debug.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from kaze_policy import __version__
from kaze_policy.bdd.features import DEFAULT_FEATURES_DIR
from kaze_policy.catalog import DEFAULT_POLICY_DIR, load_catalog
from kaze_policy.frameworks import FRAMEWORKS
from kaze_policy.defaults import scan_defaults
from kaze_policy.engine import ENGINES
from kaze_policy.errors import KazePolicyError, UsageError, last_input
from kaze_policy.report import FORMATS, reporter_for
from kaze_policy.results import ERROR, SEVERITY_RANK, ScanReport
from kaze_policy.selection import select_controls

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_ERROR = 0, 1, 2, 3
FAIL_ON_NONE = "none"


def _die(err: KazePolicyError) -> None:
    click.echo(f"kaze-policy: error: {err}", err=True)
    sys.exit(err.exit_code)


def _stopped(message: str) -> None:
    """Anything that is not the input's fault stopped the scan: one line, exit 3."""
    click.echo(f"kaze-policy: {message}", err=True)
    sys.exit(EXIT_ERROR)


class _Group(click.Group):
    """Maps every KazePolicyError to one line on stderr and its exit code; no tracebacks.

    What no module expected (a bug, MemoryError) is one line and exit 3 as well: a CI log
    gets a cause, never a traceback that a pull request could fill with its own data. The
    traceback is printed only with --debug (or KAZE_DEBUG=1), for the person fixing the bug.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KazePolicyError as err:
            _die(err)
        except RecursionError:
            click.echo("kaze-policy: error: input nested too deeply", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.UsageError as err:
            _usage_line(err)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, EOFError):
            raise  # click's own: --help, --version, Ctrl-D
        except MemoryError:
            if _debug(ctx):
                raise
            where = last_input()
            _stopped("error: out of memory" + (f" (the last input read: {where})" if where else "")
                     + "; run with --debug for the traceback")
        except Exception as err:  # noqa: BLE001 - the one place every unexpected error is turned into a line
            if _debug(ctx):
                raise
            _stopped(f"internal error: {_one_line(err)}; run with --debug for the traceback")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.UsageError as err:  # an unknown option before the command
            _usage_line(err)
            raise  # unreachable: _usage_line exits


# `kaze-policy` alone shows the help: click raises it as a usage error, and it stays as it is.
_NO_ARGS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _usage_line(err: click.exceptions.UsageError) -> None:
    """click's usage text is four lines; the scanner's errors are one (exit 2)."""
    if isinstance(err, _NO_ARGS_HELP):
        raise err
    where = f" (see {err.ctx.command_path} --help)" if err.ctx else ""
    _die(UsageError(" ".join(err.format_message().split()) + where))


def _debug(ctx: click.Context) -> bool:
    return bool(ctx.find_root().params.get("debug"))


def _one_line(err: BaseException) -> str:
    """`Type: message`, flattened and cut: the line must stay one line, whatever the message holds."""
    text = " ".join(traceback.format_exception_only(type(err), err)[-1].split())
    return text if len(text) <= 300 else text[:299] + "…"


def _show_completion(ctx: click.Context, _param: click.Parameter, shell: str | None) -> None:
    """Print the shell's completion script (what Click's _KAZE_POLICY_COMPLETE=<shell>_source prints)."""
    if shell is None or ctx.resilient_parsing:
        return
    from click.shell_completion import get_completion_class

    completion = get_completion_class(shell)
    assert completion is not None  # click.Choice admitted only the shells Click knows
    click.echo(completion(main, {}, "kaze-policy", "_KAZE_POLICY_COMPLETE").source(), nl=False)
    ctx.exit()


# The catalog to use: every command that loads policies takes it.
_policies_option = click.option("--policies", type=click.Path(file_okay=False, path_type=Path),
                                default=DEFAULT_POLICY_DIR, show_default=False,
                                help="Folder of Rego policies (default: the shipped catalog).")


def _cluster_options(command: Any) -> Any:
    """The live cluster's options, the same for scan and audit."""
    options = [
        click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="Read a live cluster too, with the credentials of this kubeconfig (read only: list)."),
        click.option("--context", "kube_context", metavar="NAME",
                     help="The kubeconfig's context (default: its current one)."),
        click.option("--in-cluster", is_flag=True,
                     help="Read the cluster this runs in, with the pod's service-account credentials."),
        click.option("--page-size", type=click.IntRange(min=1), default=500, show_default=True,
                     help="Objects per list request to the API server."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _live_options(paths: tuple[str, ...], kubeconfig: Path | None, kube_context: str | None, in_cluster: bool,
                  probes: Any) -> None:
    """What a scan or an audit is given is something to judge, and each live option is sound
    (before anything is read)."""
    _check_cluster_options(kubeconfig, kube_context, in_cluster)
    if not paths and kubeconfig is None and not in_cluster and probes.vault_addr is None and not probes.tls_probes \
            and probes.database is None:
        raise UsageError("nothing to scan: give PATHS, or --kubeconfig FILE (or --in-cluster) for a live cluster, "
                         "--vault-addr URL, --database DSN or --tls-probe")
    _check_endpoints(tuple(probes.tls_probes), kubeconfig is not None or in_cluster)
    _check_dsn(probes.database)


def _probe_options(command: Any) -> Any:
    """The live probes' options, the same for scan and snapshot (docs/probes.md)."""
    options = [
        click.option("--vault-addr", metavar="URL", help="Read a live Vault or OpenBao server (token: VAULT_TOKEN, "
                     "or a Kubernetes login with VAULT_AUTH_ROLE); never a secret's value."),
        click.option("--vault-ca", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="The CA certificate of --vault-addr (default: the system's)."),
        click.option("--database", metavar="DSN", help="The platform's shared PostgreSQL database (password from "
                     "PGPASSWORD or ~/.pgpass, never in the DSN): its tables' row-level security (KZ-TEN-08)."),
        click.option("--signatures", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                     help="Sigstore bundles by digest (DIR/sha256:<hex>.sigstore.json): every image digest the "
                     "targets run is verified offline against Sigstore's trust root (KZ-SUP-02)."),
        click.option("--signatures-from-registry", is_flag=True,
                     help="Also fetch each digest's Sigstore bundles from its image's OCI registry (the "
                     "referrers API, or its fallback tag): the network, so off by default."),
        click.option("--tls-probe", "tls_probes", multiple=True, metavar="NS/SERVICE=HOST:PORT",
                     help="A meshed service port: does it refuse plaintext, and TLS without a client certificate? "
                     "`auto`: every service port of the cluster's tenant and shared namespaces (in-cluster)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kaze-policy")
@click.option("--show-completion", type=click.Choice(["bash", "zsh", "fish"]), expose_value=False,
              is_eager=True, callback=_show_completion,
              help="Print the completion script of a shell, for its startup file, and exit.")
@click.option("--debug", is_flag=True, envvar="KAZE_DEBUG",
              help="On an internal error, print the traceback (otherwise one line, exit 3). "
                   "Give it before the command: kaze-policy --debug scan …")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """kaze-policy: the Kaze control catalog, enforced in CI, at admission and in audits.

    The scan's flags take their defaults from .kaze-policy.toml (or [tool.kaze-policy] in
    pyproject.toml) in the current folder or above, up to the repository's root; the
    command line wins.
    """
    if ctx.invoked_subcommand == "scan":
        ctx.default_map = {"scan": scan_defaults(scan, Path.cwd())}


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              help="kaze-policy.yaml to use (default: the nearest one in or above each target).")
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Report format (default text, on a pipe too); repeat for several, each paired with an "
                   "--output in order.")
@click.option("--output", "outputs", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File for the report of the --format in the same position.")
@click.option("--fail-on", type=click.Choice([*SEVERITY_RANK, FAIL_ON_NONE]), default="low", show_default=True,
              help="Lowest severity of a failing control that makes the exit code 1; none: report, "
                   "exit 0 whatever fails (a control that could not be evaluated is still exit 3).")
@click.option("--engine", type=click.Choice(ENGINES), default="embedded", show_default=True)
@click.option("--opa-url", help="URL of a running OPA server (engine opa); default: start the pinned opa.")
@_policies_option
@click.option("--control", "controls", multiple=True, metavar="ID",
              help="Only these controls (repeatable; a glob such as KZ-SUP-* names several).")
@click.option("--skip-control", "skip_controls", multiple=True, metavar="ID",
              help="Not these controls (repeatable, globs allowed); each id must be in the catalog.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=50 * 1024 * 1024, show_default=True,
              help="Largest input file (or standard input) read, in bytes.")
@click.option("--exclude", "exclude", multiple=True, metavar="GLOB",
              help="Do not walk files or folders whose name, or path below the folder given, matches "
                   "(repeatable); every one is reported as skipped. Only .git is left out otherwise.")
@click.option("--allow-remote", is_flag=True,
              help="Let kustomize fetch remote bases and resources (git, HTTP); without it a remote "
                   "reference is bad input and a scan reaches no network.")
@click.option("--root", type=click.Path(path_type=Path), metavar="DIR",
              help="The repository root: the tree a configuration's sboms folder must lie in "
                   "(default: the path scanned).")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Fail only on findings not in this baseline (kaze-policy baseline create); the others "
                   "are reported as unchanged, and the baseline's findings found no more as fixed.")
@click.option("--checkov", "checkov", is_flag=True,
              help="Run Checkov's own checks too (Terraform, Kubernetes, Dockerfiles of PATHS), at the same "
                   "time; reported as a framework of their own, never in the Kaze controls. A failed check "
                   "makes the exit 1, a Checkov crash 3. Needs checkov: make tools, or pipx install checkov.")
@_cluster_options
@_probe_options
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Text report: only the failures and errors, one line each.")
def scan(paths: tuple[str, ...], config: Path | None, formats: tuple[str, ...], outputs: tuple[Path, ...],
         fail_on: str, engine: str, opa_url: str | None, policies: Path, controls: tuple[str, ...],
         skip_controls: tuple[str, ...], max_file_size: int, exclude: tuple[str, ...], allow_remote: bool,
         root: Path | None, kubeconfig: Path | None, kube_context: str | None, in_cluster: bool, page_size: int,
         vault_addr: str | None, vault_ca: Path | None, database: str | None, signatures: Path | None,
         signatures_from_registry: bool, tls_probes: tuple[str, ...], progress: bool | None, quiet: bool,
         baseline: Path | None = None, checkov: bool = False) -> None:
    """Scan Kubernetes manifests, Kustomize overlays, Terraform and Vault policies, and live clusters.

    PATHS are files and folders; - reads a stream of manifests from standard input
    (`kubectl get -o yaml … | kaze-policy scan -`). A path in which nothing is found to
    judge is bad input (exit 2). --kubeconfig reads a running cluster as one more target
    (a server that cannot be read makes its controls errors, exit 3).
    """
    from kaze_policy.probes.live import ProbeOptions
    from kaze_policy.scan import ScanOptions, run_scan

    probes = ProbeOptions(vault_addr, vault_ca, database, list(tls_probes), signatures, signatures_from_registry)
    _live_options(paths, kubeconfig, kube_context, in_cluster, probes)
    plan = _output_plan(formats, outputs)
    if config is not None and not config.is_file():
        raise UsageError("no such file", str(config))
    catalog = load_catalog(policies)
    selected = select_controls(catalog, list(controls), list(skip_controls))  # before any input is read
    accepted = _read_baseline(baseline)  # a bad baseline too
    options = ScanOptions(paths=list(paths), config=config, engine=engine, opa_url=opa_url,
                          max_file_bytes=max_file_size, controls=selected, exclude=list(exclude),
                          allow_remote=allow_remote, root=root, kubeconfig=kubeconfig, context=kube_context,
                          in_cluster=in_cluster, page_size=page_size, probes=probes)
    show_progress = progress if progress is not None else sys.stderr.isatty()
    checkov_run = _start_checkov(options) if checkov else None  # in parallel with the Kaze scan
    try:
        if show_progress:
            report = _scan_with_progress(options, catalog)
        else:
            report = run_scan(options, catalog)
    except BaseException:
        if checkov_run is not None:
            checkov_run.cancel()
        raise
    if checkov_run is not None:
        report.checkov = checkov_run.result()
        if report.checkov.error:
            click.echo(f"kaze-policy: checkov: error: {report.checkov.error}", err=True)
    _check_annotated_controls(report, catalog)
    if accepted is not None and baseline is not None:
        from kaze_policy.baseline import apply_baseline
        apply_baseline(report, accepted, str(baseline))
    _write_reports(report, plan, quiet)
    sys.exit(exit_code(report, fail_on))


def _start_checkov(options: Any) -> Any:
    """Checkov on the same paths, in a thread (kaze_policy/checkov.py); not installed: exit 2."""
    from kaze_policy.checkov import CheckovRun, find_checkov
    return CheckovRun(find_checkov(), options.paths, live=options.live)


def _read_baseline(path: Path | None) -> list[dict[str, Any]] | None:
    if path is None:
        return None
    from kaze_policy.baseline import read_baseline
    return read_baseline(path)


def _check_annotated_controls(report: ScanReport, catalog: Any) -> None:
    """A waive annotation naming no control of the catalog is reported invalid (evaluate.py)."""
    from kaze_policy.evaluate import mark_unknown_controls
    mark_unknown_controls(report.waivers, (c.id for c in catalog.controls))


@main.command()
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The kubeconfig whose credentials read the cluster (read only: list).")
@click.option("--context", "kube_context", metavar="NAME", help="The kubeconfig's context (default: its current one).")
@click.option("--in-cluster", is_flag=True,
              help="Read the cluster this runs in, with the pod's service-account credentials.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The snapshot file (JSON); `-` for standard output.")
@click.option("--page-size", type=click.IntRange(min=1), default=500, show_default=True,
              help="Objects per list request to the API server.")
@_policies_option
@_probe_options
def snapshot(kubeconfig: Path | None, kube_context: str | None, in_cluster: bool, output: Path, page_size: int,
             policies: Path, vault_addr: str | None, vault_ca: Path | None, database: str | None,
             signatures: Path | None, signatures_from_registry: bool, tls_probes: tuple[str, ...]) -> None:
    """Save what a live scan reads (the objects every control needs, with the server, its
    version, the time and the identity used; what each probe read) to a file: `scan FILE`
    judges it as the live scan would."""
    from kaze_policy.probes.live import ProbeOptions
    from kaze_policy.snapshots import take_snapshot
    from kaze_policy.sources.cluster import ReadOptions

    _check_cluster_options(kubeconfig, kube_context, in_cluster)
    probes = ProbeOptions(vault_addr, vault_ca, database, list(tls_probes), signatures, signatures_from_registry)
    if kubeconfig is None and not in_cluster and not probes.any:
        raise UsageError("give --kubeconfig FILE or --in-cluster, and/or --vault-addr URL, --database DSN, --tls-probe")
    _check_endpoints(tls_probes, kubeconfig is not None or in_cluster)
    _check_dsn(database)
    cluster = ReadOptions(kubeconfig, kube_context, page_size) if kubeconfig is not None or in_cluster else None
    document, read = take_snapshot(cluster, probes, policies)  # what cannot be read: one line, exit 3
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    if str(output) == "-":
        click.echo(text, nl=False)
    else:
        _atomic_write(output, text)
    # Saved all the same: a scan of the file makes the controls that need them errors.
    if read is None:
        return
    if read.forbidden:
        click.echo(f"kaze-policy: could not list: {'; '.join(sorted(read.forbidden.values()))}", err=True)
    if read.undiscovered:
        unknown = ", ".join(sorted(read.undiscovered))
        click.echo(f"kaze-policy: unknown whether the cluster holds {unknown}: "
                   f"{'; '.join(sorted(set(read.undiscovered.values())))}", err=True)
    if read.forbidden or read.undiscovered:
        sys.exit(EXIT_ERROR)


@main.command()
@click.option("--cert", "--tls-cert", "cert", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The serving certificate (PEM); reloaded when it changes on disk.")
@click.option("--key", "--tls-key", "key", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Its private key (PEM).")
@click.option("--port", type=click.IntRange(1, 65535), default=8443, show_default=True, help="The HTTPS port.")
@click.option("--host", default="0.0.0.0", show_default=True, help="The address to listen on.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=9090, show_default=True,
              help="Plain-HTTP /metrics for Prometheus (0: only /metrics on the HTTPS port).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Decision threads (default: one per core, at most 4).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="kaze-policy.yaml: tenants, waivers, and `admission` (enforcement, exempt namespaces, budget).")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Keep the cluster's state current (list and watch) with this kubeconfig's credentials.")
@click.option("--context", "kube_context", metavar="NAME", help="The kubeconfig's context (default: its current one).")
@click.option("--in-cluster", is_flag=True, help="Watch the cluster this runs in, as the pod's service account.")
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Or read the cluster's state once from a snapshot (kaze-policy snapshot).")
@click.option("--decision-log", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Append the decision log (JSON lines) here (default: standard output).")
@_policies_option
def serve(cert: Path, key: Path, port: int, host: str, metrics_port: int, workers: int | None, config: Path | None,
          kubeconfig: Path | None, kube_context: str | None, in_cluster: bool, snapshot: Path | None,
          decision_log: Path | None, policies: Path) -> None:
    """Run the validating admission webhook over HTTPS: POST /validate (AdmissionReview v1),
    GET /healthz, /readyz and /metrics. Each object is judged by the controls of the
    `admission` scope, with the cluster's state as context; what cannot be decided is denied."""
    from kaze_policy.evaluate import default_workers
    from kaze_policy.sources.cluster import ReadOptions
    from kaze_policy.webhook.serve import Listen, ServeOptions, serve as run

    _check_cluster_options(kubeconfig, kube_context, in_cluster)
    live = ReadOptions(kubeconfig, kube_context) if (kubeconfig is not None or in_cluster) else None
    run(ServeOptions(listen=Listen(host, port, cert, key, metrics_port), policies=policies, config=config,
                     cluster=live, snapshot=snapshot, workers=workers or default_workers(),
                     decision_log=decision_log))


AUDIT_REPORTS = {"audit.json": "json", "audit.sarif": "sarif", "audit.junit.xml": "junit", "audit.txt": "text",
                 "audit.md": "markdown", "audit.html": "html", "audit.cucumber.json": "cucumber",
                 "audit.oscal.json": "oscal"}


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="kaze-policy.yaml (default: the nearest one in or above each target).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="The folder the reports and their manifest are written to.")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path), metavar="KEY",
              help="Sign manifest.json with this Ed25519 private key (PEM): manifest.json.sig.")
@click.option("--root", type=click.Path(path_type=Path), metavar="DIR",
              help="The tree a configuration's sboms folder may lie in (default: the git repository that "
                   "holds the paths, else the paths themselves).")
@_policies_option
@click.option("--features", "features_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_FEATURES_DIR, help="The Gherkin features to run: one scenario for every control.")
@click.option("--framework", "frameworks", multiple=True, type=click.Choice(list(FRAMEWORKS)),
              help="Group the results by this framework's controls, with the Kaze controls as evidence under "
                   "each, and name the framework's controls the catalog does not cover (repeatable).")
@_cluster_options
@_probe_options
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal).")
@click.option("--apply-reports", is_flag=True,
              help="Then create or update the audit's PolicyReports (wgpolicyk8s.io/v1alpha2, one per namespace "
                   "with findings, and a ClusterPolicyReport) in the cluster of --kubeconfig or --in-cluster.")
def audit(paths: tuple[str, ...], config: Path | None, out: Path, sign_key: Path | None, root: Path | None,
          policies: Path, features_dir: Path, frameworks: tuple[str, ...], kubeconfig: Path | None, kube_context: str | None, in_cluster: bool,
          page_size: int, vault_addr: str | None, vault_ca: Path | None, database: str | None,
          signatures: Path | None, signatures_from_registry: bool, tls_probes: tuple[str, ...],
          progress: bool | None, apply_reports: bool) -> None:
    """Audit PATHS (folders of IaC, snapshots) and live systems (the options of scan): run the features (a scenario for every control, in plain English) on
    what the scan's pipeline finds there, and write the reports an auditor keeps (HTML,
    Markdown, Cucumber JSON, JUnit, SARIF, JSON, text) with manifest.json (what was checked,
    with the SHA-256 of every policy, feature, input and report; signed with --sign-key).
    `verify-report DIR` proves later that nothing changed."""
    from kaze_policy import _regorus
    from kaze_policy.bdd.features import FeaturesError, coverage_problems, read_features
    from kaze_policy.bdd.runner import run_features
    from kaze_policy.frameworks.view import framework_view
    from kaze_policy.probes.live import ProbeOptions
    from kaze_policy.report.manifest import (MANIFEST, SIGNATURE, build_manifest, input_files, manifest_bytes,
                                             sign)
    from kaze_policy.scan import ScanOptions, repository_of, run_scan

    probes = ProbeOptions(vault_addr, vault_ca, database, list(tls_probes), signatures, signatures_from_registry)
    _live_options(paths, kubeconfig, kube_context, in_cluster, probes)
    if apply_reports and kubeconfig is None and not in_cluster:
        raise UsageError("--apply-reports writes to a cluster: give --kubeconfig FILE or --in-cluster")
    if config is not None and not config.is_file():
        raise UsageError("no such file", str(config))
    _require_audit_extra()
    catalog = load_catalog(policies)
    taken = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    try:
        features = read_features(features_dir)
        problems = coverage_problems(features, catalog)
        if problems:
            raise FeaturesError(problems)
        options = ScanOptions(paths=list(paths), config=config, root=root or repository_of(list(paths)),
                              kubeconfig=kubeconfig, context=kube_context, in_cluster=in_cluster,
                              page_size=page_size, probes=probes)
        show_progress = progress if progress is not None else sys.stderr.isatty()
        report = _scan_with_progress(options, catalog) if show_progress else run_scan(options, catalog)
        _check_annotated_controls(report, catalog)
        report.features = run_features(report, features_dir, features)
        report.taken = taken.isoformat()
        report.framework_views = [framework_view(name, report) for name in dict.fromkeys(frameworks)]
    except FeaturesError as err:
        for problem in err.problems:
            click.echo(f"kaze-policy: {problem}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    from kaze_policy.report.text import TextReporter
    rendered = {name: (TextReporter(color=False) if fmt == "text" else reporter_for(fmt)).render(report).encode()
                for name, fmt in AUDIT_REPORTS.items()}
    versions = {"kaze-policy": __version__, "engine": "embedded", "regorus": _regorus.REGORUS_VERSION}
    manifest = manifest_bytes(build_manifest(rendered, report.targets, input_files(Path(p) for p in paths if p != "-"),
                                             catalog.policy_files, versions,
                                             taken=taken, features=[f.path for f in features]))
    signature = sign(manifest, sign_key) if sign_key is not None else None  # a bad key: before anything is written
    # Every report, the signature and the manifest written in full before any is put in place,
    # the manifest last: a write that fails leaves the previous folder as it was (atomic.py).
    from kaze_policy.atomic import write_all_atomically
    write_all_atomically([*((out / name, data) for name, data in rendered.items()),
                          *([(out / SIGNATURE, signature)] if signature is not None else []),
                          (out / MANIFEST, manifest)], "the report")
    click.echo(f"kaze-policy: {len(rendered)} reports and {MANIFEST} written to {out}/", err=True)
    unjudged = [s.name for f in report.features for s in f.scenarios if s.status == ERROR]
    refused = apply_reports and not _apply_policy_reports(report, kubeconfig, kube_context)
    sys.exit(EXIT_ERROR if unjudged or refused else exit_code(report, "low"))


def _apply_policy_reports(report: ScanReport, kubeconfig: Path | None, kube_context: str | None) -> bool:
    """`audit --apply-reports`, after the reports are written: one line per report; False when
    the server refused one (the others are applied all the same)."""
    from kaze_policy.report.policyreport import policy_reports
    from kaze_policy.report.policyreport_apply import apply_reports
    from kaze_policy.sources.cluster import ReadOptions

    outcomes = apply_reports(policy_reports(report), ReadOptions(kubeconfig, kube_context))
    for outcome in outcomes:
        click.echo(f"kaze-policy: {outcome.line()}", err=True)
    return all(outcome.error is None for outcome in outcomes)


def _require_audit_extra() -> None:
    """pytest-bdd runs the features and compliance-trestle writes OSCAL: the `audit` extra."""
    import importlib.util

    missing = [name for module, name in (("pytest_bdd", "pytest-bdd"), ("trestle", "compliance-trestle"))
               if importlib.util.find_spec(module) is None]
    if missing:
        raise UsageError(f"audit needs {' and '.join(missing)}: pip install 'kaze-policy[audit]'")


@main.command("verify-report")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), metavar="PUB",
              help="Check manifest.json's signature with this Ed25519 public key (PEM).")
def verify_report(folder: Path, key: Path | None) -> None:
    """Recompute the SHA-256 of every report of an audit folder and compare it with its
    manifest (and the manifest's signature, with --key): exit 0 when nothing changed, 1 when
    something did, one line each."""
    from kaze_policy.report.manifest import verify_folder

    problems = verify_folder(folder, key)
    for problem in problems:
        click.echo(f"{folder}/{problem}")
    if problems:
        sys.exit(EXIT_FAIL)
    click.echo(f"{folder}: every report is as the audit wrote it" + (", and the manifest's signature verifies"
                                                                   if key is not None else ""))


@main.command()
@click.argument("control_id", metavar="KZ-ID")
@click.argument("resource")
@click.option("--reason", required=True, help="Why the finding is accepted for now.")
@click.option("--until", "until", required=True, metavar="YYYY-MM-DD", help="The last day the waiver holds.")
@click.option("--by", "by", required=True, metavar="WHO", help="Who decided (a person or team).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="kaze-policy.yaml to edit (default: .kaze-policy.toml's config, else the nearest one in or "
                   "above the current folder).")
@click.option("--policies", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_POLICY_DIR,
              show_default=False, help="Folder of Rego policies whose ids are valid (default: the shipped catalog).")
def waive(control_id: str, resource: str, reason: str, until: str, by: str, config: Path | None,
          policies: Path) -> None:
    """Add a waiver of control KZ-ID for RESOURCE (an id such as Deployment/ns/name, or a glob)
    to kaze-policy.yaml, keeping every other byte of the file (comments, order, quoting)."""
    from kaze_policy.sources.discover import nearest_config
    from kaze_policy.waive import NewWaiver, add_waiver, check_request

    # The configuration scan would use: --config, else .kaze-policy.toml's, else the nearest one.
    path = config or scan_defaults(scan, Path.cwd()).get("config") or nearest_config(Path.cwd())
    if path is None:
        raise UsageError("no kaze-policy.yaml here or above: give --config")
    if not path.is_file():
        raise UsageError("no such file", str(path))
    known = [c.id for c in load_catalog(policies).controls]
    waiver = check_request(NewWaiver(control_id, resource, reason, until, by), known, dt.date.today())
    add_waiver(path, waiver)
    click.echo(f"kaze-policy: {path}: waived {waiver.control} for {waiver.resource} until {waiver.until} "
               f"(by {waiver.by})", err=True)


@main.group()
def baseline() -> None:
    """Accept today's findings, so that `scan --baseline` fails only on new ones."""


@baseline.command("create")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The baseline file to write (JSON), e.g. baseline.json.")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              help="kaze-policy.yaml to use (default: the nearest one in or above each target).")
@click.option("--root", type=click.Path(path_type=Path), metavar="DIR",
              help="The repository root, as for scan.")
@click.option("--exclude", "exclude", multiple=True, metavar="GLOB", help="As for scan (repeatable).")
@click.pass_context
def baseline_create(ctx: click.Context, paths: tuple[str, ...], output: Path, config: Path | None,
                    root: Path | None, exclude: tuple[str, ...]) -> None:
    """Scan PATHS as `scan` does and record each failing finding (control, resource, fingerprint,
    message, file) in a baseline file. Waived findings are not recorded. Nothing is written
    when a control could not be evaluated (exit 3): its findings would fail as new later."""
    from kaze_policy.baseline import baseline_document, baseline_text, unevaluated
    from kaze_policy.scan import ScanOptions, run_scan

    # What the repository's .kaze-policy.toml gives scan, so that the baseline covers what scan scans.
    defaults = scan_defaults(scan, Path.cwd())
    given = {name: ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
             for name in ("config", "root", "exclude")}
    config = config if given["config"] else defaults.get("config", config)
    root = root if given["root"] else defaults.get("root", root)
    exclude = exclude if given["exclude"] else tuple(defaults.get("exclude", exclude))
    if config is not None and not config.is_file():
        raise UsageError("no such file", str(config))
    catalog = load_catalog(DEFAULT_POLICY_DIR)
    report = run_scan(ScanOptions(paths=list(paths), config=config, exclude=list(exclude), root=root), catalog)
    broken = unevaluated(report)
    if broken:
        _stopped(f"error: no baseline written: {', '.join(broken)} could not be evaluated (see `kaze-policy scan`)")
    document = baseline_document(report)
    _atomic_write(output, baseline_text(document))
    recorded = document["findings"]
    controls = len({entry["control"] for entry in recorded})
    click.echo(f"kaze-policy: {output}: {len(recorded)} finding(s) of {controls} control(s) recorded", err=True)


def _check_dsn(dsn: str | None) -> None:
    if dsn is None:
        return
    from kaze_policy.probes.postgres import check_dsn

    try:
        check_dsn(dsn)
    except ValueError as err:
        raise UsageError(f"--database: {err}") from None


def _check_endpoints(texts: tuple[str, ...], cluster: bool) -> None:
    from kaze_policy.probes.live import AUTO
    from kaze_policy.probes.tls import parse_endpoint

    if AUTO in texts and not cluster:
        raise UsageError("--tls-probe auto probes the services of a live cluster: give --kubeconfig or --in-cluster")
    for text in texts:
        if text == AUTO:
            continue
        try:
            parse_endpoint(text)
        except ValueError as err:
            raise UsageError(f"--tls-probe: {err}") from None


def _check_cluster_options(kubeconfig: Path | None, kube_context: str | None, in_cluster: bool) -> None:
    if in_cluster and kubeconfig is not None:
        raise UsageError("--in-cluster and --kubeconfig: give one of them")
    if kube_context is not None and kubeconfig is None:
        raise UsageError("--context needs --kubeconfig")


def _scan_with_progress(options: Any, catalog: Any) -> ScanReport:
    """A line per phase of the scan as it starts, each with its count, on stderr; gone at the end."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kaze_policy.scan import run_scan

    console = _stderr_console()
    if not console.is_terminal:  # even with --progress: a log file gets no bar and no stray blank line
        return run_scan(options, catalog)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, console=console) as bar:
        return run_scan(options, catalog, progress_lines(bar))


# What each phase counts, as the progress bar names it.
PHASE_UNITS = {"reading": "files", "rendering": "kustomizations", "analysing": "targets", "evaluating": "checks"}


def progress_lines(bar: Any) -> Any:
    """The scan's progress callback for a rich Progress: one task per phase, added when the
    phase starts, e.g. `reading files ━━━━ 12/40`."""
    tasks: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(f"{phase} {PHASE_UNITS.get(phase, '')}".strip(), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    return update


def _stderr_console() -> Any:
    from rich.console import Console
    return Console(stderr=True)


def _output_plan(formats: tuple[str, ...], outputs: tuple[Path, ...]) -> list[tuple[str, Path | None]]:
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format: give a --format for each --output")
    chosen = list(formats) or ["text"]  # JSON only when asked: a pipe is read by people too
    # `--output -` is standard output, as for every Unix tool.
    plan = [(fmt, outputs[i] if i < len(outputs) and str(outputs[i]) != "-" else None)
            for i, fmt in enumerate(chosen)]
    if sum(1 for _, out in plan if out is None) > 1:
        raise UsageError("several formats would go to stdout: give an --output for each --format but one")
    return plan


def _write_reports(report: ScanReport, plan: list[tuple[str, Path | None]], quiet: bool = False) -> None:
    """Render everything first, then write the files, all of them or none (atomic.py), then
    standard output: never a partial report, and nothing on stdout when a file cannot be written."""
    from kaze_policy.atomic import write_all_atomically

    rendered = []
    for fmt, output in plan:
        reporter = reporter_for(fmt)
        if fmt == "text":
            from kaze_policy.report.text import TextReporter, use_color
            reporter = TextReporter(color=output is None and use_color(sys.stdout), quiet=quiet)
        rendered.append((reporter.render(report), output))
    write_all_atomically([(output, text.encode()) for text, output in rendered if output is not None], "the report")
    for text, output in rendered:
        if output is None:
            click.echo(text, nl=False)


def _terminal_width() -> int:
    try:
        return max(80, os.get_terminal_size().columns)
    except OSError:
        return 120


def _atomic_write(path: Path, text: str) -> None:
    """The report written whole or not at all (kaze_policy/atomic.py)."""
    from kaze_policy.atomic import write_atomically

    write_atomically(path, text.encode(), "the report")


def exit_code(report: ScanReport, fail_on: str) -> int:
    from kaze_policy.baseline import gate_passes

    statuses = [(r.status, r.control.severity) for r in report.results]
    checkov = report.checkov  # scan --checkov: its crash is an error, its failed checks failures
    if any(status == "error" for status, _ in statuses) or (checkov is not None and checkov.error):
        return EXIT_ERROR
    if fail_on == FAIL_ON_NONE:
        # Soft-fail, as every peer has; an error still exits 3: its verdict is unknown, and a
        # job that reads 0 as "nothing failed" must not pass on a control nobody evaluated.
        return EXIT_OK
    threshold = SEVERITY_RANK[fail_on]
    # With --baseline, a control whose failing findings are all in the baseline passes the gate.
    if any(r.status == "fail" and SEVERITY_RANK[r.control.severity] >= threshold
           and not (report.baseline is not None and gate_passes(r)) for r in report.results):
        return EXIT_FAIL
    if checkov is not None and checkov.failed:
        return EXIT_FAIL
    return EXIT_OK


@main.command()
@click.argument("control_id", required=False, metavar="[ID]")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text (a table, or one control in full) or json.")
@_policies_option
def controls(control_id: str | None, fmt: str, policies: Path) -> None:
    """List the controls of the catalog, read from the METADATA of rego/; with an ID, show
    that control in full: rationale, remediation, scopes, frameworks, a failing and a
    passing example from its fixtures."""
    from kaze_policy.report.catalog_text import control_card, control_table

    catalog = load_catalog(policies)
    width = _text_width()
    if control_id is None:
        if fmt == "json":
            click.echo(json.dumps([c.to_json() for c in catalog.controls], indent=2))
        else:
            click.echo(control_table(catalog.controls, width), nl=False)
        return
    from kaze_policy.examples import control_examples

    control = catalog.by_id().get(control_id.upper())
    if control is None:
        raise UsageError(f"unknown control id {control_id} (`kaze-policy controls` lists them)")
    examples = control_examples(control.id)
    if fmt == "json":
        shown = None if examples is None else [e.to_json() for e in examples]  # null: no fixtures here
        click.echo(json.dumps(control.to_json() | {"examples": shown}, indent=2))
    else:
        click.echo(control_card(control, examples, width), nl=False)


def _text_width() -> int:
    """COLUMNS when set (as for every Unix tool), else the terminal's, else 80 for a pipe."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        pass
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return 80


@main.command("test")
@click.option("--engine", type=click.Choice(ENGINES), default="embedded", show_default=True)
@click.option("--opa-url")
@_policies_option
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
def test_command(engine: str, opa_url: str | None, policies: Path, verbose: bool) -> None:
    """Run the Rego unit tests (*_test.rego) on either engine."""
    from kaze_policy.regotest import run_rego_tests

    results = run_rego_tests(policies, engine, opa_url)
    failed = [r for r in results if r.outcome != "pass"]
    for r in results:
        if verbose or r.outcome != "pass":
            click.echo(f"{r.outcome.upper()}: {r.package}.{r.name} ({r.file}){' ' + r.detail if r.detail else ''}")
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_FAIL if failed else EXIT_OK)


@main.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The bundle to write (a .tar.gz).")
@_policies_option
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="kaze-policy.yaml to carry as data.inventory.config (default: none).")
@click.option("--repository", is_flag=True,
              help="Judge objects as the file scan does (a Secret's literal values fail), not as the webhook.")
def bundle(output: Path, policies: Path, config: Path | None, repository: bool) -> None:
    """Write the catalog as an OPA bundle (`opa run --server --bundle FILE`): every policy module,
    a .manifest and the data.inventory the rules start from."""
    from kaze_policy.config import load_config
    from kaze_policy.export.bundle import write_bundle

    catalog = load_catalog(policies)
    revision = write_bundle(catalog, policies, output, load_config(config) if config else None, repository)
    click.echo(f"{output}: OPA bundle of {len(catalog.controls)} controls, revision {revision}")


@main.group()
def export() -> None:
    """Write the catalog in another policy engine's form."""


@export.command("gatekeeper")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The folder to write (new, empty, or one this command wrote).")
@_policies_option
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="kaze-policy.yaml: the Constraints' parameters, enforcement and exempt namespaces.")
@click.option("--repository", is_flag=True,
              help="Constraints judge objects as the file scan does (a Secret's literal values fail).")
@click.option("--fixtures", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="The fixture cases to turn into gator suites (default: the checkout's fixtures/, if any).")
def export_gatekeeper_command(output: Path, policies: Path, config: Path | None, repository: bool,
                              fixtures: Path | None) -> None:
    """Each control the admission webhook judges object by object as a Gatekeeper
    ConstraintTemplate and Constraint, with a gator suite of its fixture cases."""
    from kaze_policy.config import load_config
    from kaze_policy.export.gatekeeper import export_gatekeeper
    from kaze_policy.tools import PROJECT_ROOT

    if fixtures is None and (PROJECT_ROOT / "fixtures").is_dir():
        fixtures = PROJECT_ROOT / "fixtures"
    elif fixtures is not None and not fixtures.is_dir():
        raise UsageError("--fixtures: not a folder", str(fixtures))
    result = export_gatekeeper(load_catalog(policies), policies, output, load_config(config) if config else None,
                               str(config) if config else None, repository, fixtures)
    click.echo(f"{output}: {len(result.exported)} controls exported "
               f"({', '.join(c.id for c in result.exported)}); {len(result.not_exported)} not exported and "
               f"{len(result.skipped_cases)} fixture cases left out, each with why, in {output / 'README.md'}")


@main.group()
def decide() -> None:
    """Answer a policy question for a running system, from the same rules as the scan."""


@decide.command("egress")
@click.option("--tenant", required=True, help="The tenant whose agent wants to call the URL.")
@click.argument("urls", nargs=-1, required=True)
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              help="kaze-policy.yaml (default: the nearest one in or above the current folder).")
@click.option("--engine", type=click.Choice(ENGINES), default="embedded", show_default=True)
@click.option("--opa-url")
def decide_egress(tenant: str, urls: tuple[str, ...], config: Path | None, engine: str, opa_url: str | None) -> None:
    """May an agent of TENANT call each URL (KZ-EGR-04)? One JSON line per URL; exit 0 only when all are allowed."""
    from kaze_policy.config import load_config
    from kaze_policy.decide import decide as decide_url
    from kaze_policy.decide import egress_data
    from kaze_policy.engine import create_engine
    from kaze_policy.sources.discover import nearest_config

    path = config or nearest_config(Path.cwd())
    if path is None:
        raise UsageError("no kaze-policy.yaml here or above: give --config")
    settings = load_config(path)
    catalog = load_catalog(DEFAULT_POLICY_DIR)
    with create_engine(engine, opa_url) as rego:
        rego.load_policies(catalog.policy_files)
        rego.set_data(egress_data(settings))
        decisions = [decide_url(rego, tenant, url) for url in urls]
    for decision in decisions:
        click.echo(json.dumps(decision))
    sys.exit(EXIT_OK if all(d["allow"] for d in decisions) else EXIT_FAIL)


@main.group()
def explain() -> None:
    """Show what an analyzer computed, so that a person can check it."""


@explain.command("netpol")
@click.argument("paths", nargs=-1, required=True)
def explain_netpol(paths: tuple[str, ...]) -> None:
    """Every allowed connection between workloads: `ns/name[Kind] => ns/name[Kind] : TCP 8080`."""
    from kaze_policy.analysis.netpol import explain_lines
    from kaze_policy.sources.discover import find_targets
    from kaze_policy.sources.load import load_target

    specs = find_targets(list(paths))
    inventories = [load_target(spec) for spec in specs]  # every target parsed before printing
    for inventory in inventories:
        if len(inventories) > 1:
            click.echo(f"# {inventory.target.name}")
        for line in explain_lines([r.to_json() for r in inventory.resources]):
            click.echo(line)


@main.command()
@click.argument("files", nargs=-1)
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="kaze-policy.yaml to use (default: the nearest one in or above each target).")
@click.option("--fail-on", type=click.Choice([*SEVERITY_RANK, FAIL_ON_NONE]), default=None,
              help="As for scan (default: scan's, or .kaze-policy.toml's).")
@click.option("--control", "controls", multiple=True, metavar="ID", help="Only these controls (as for scan).")
@click.option("--skip-control", "skip_controls", multiple=True, metavar="ID", help="Not these controls (as for scan).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="As for scan.")
@click.option("-q", "--quiet", is_flag=True, help="Text report: only the failures and errors.")
@click.option("--print-targets", is_flag=True, help="Print the targets the files map to, one a line; scan nothing.")
@click.pass_context
def precommit(ctx: click.Context, files: tuple[str, ...], config: Path | None, fail_on: str | None,
              controls: tuple[str, ...], skip_controls: tuple[str, ...], exclude: tuple[str, ...], quiet: bool,
              print_targets: bool) -> None:
    """The pre-commit hook (.pre-commit-hooks.yaml): scan the targets that hold the changed
    FILES, never a file alone. A file's target is the nearest folder with a kustomization,
    else the folder of the nearest kaze-policy.yaml, else its own folder (up to the
    repository's root, which is also the tree SBOM folders may lie in). Exit codes are scan's."""
    from kaze_policy.precommit import shown, targets_for
    from kaze_policy.sources.discover import repository_root

    cwd = Path.cwd()
    names = [shown(target, cwd) for target in targets_for(files, cwd)]
    if print_targets:
        for name in names:
            click.echo(name)
        return
    if not names:
        click.echo("kaze-policy: no changed file to scan", err=True)
        return
    click.echo(f"kaze-policy: {len(files)} changed file(s) -> scanning {', '.join(names)}", err=True)
    given = {"config": config, "fail_on": fail_on, "controls": controls, "skip_controls": skip_controls,
             "exclude": exclude, "quiet": quiet or None}
    defaults = scan_defaults(scan, cwd)  # the repository's .kaze-policy.toml, as for scan; the hook's args win
    chosen = {**defaults, **{key: value for key, value in given.items() if value not in (None, ())}}
    chosen.update(paths=tuple(names), root=defaults.get("root") or repository_root(cwd), progress=False)
    ctx.invoke(scan, **chosen)


if __name__ == "__main__":  # pragma: no cover
    # The name the installed command has: shell completion's variable is derived from it.
    main(prog_name="kaze-policy")
