"""The command line. The only module that prints or exits."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from reconciler import FORMAT_VERSION, __version__
from reconciler.commands import count as _count
from reconciler.errors import ManifestError, PlanError, ReconcilerError, UnsafePlanError


class _Group(click.Group):
    """Turns the user's and the tenant's errors into a message and exit 1, no traceback.

    Exit codes are the SPEC's: 0, 1 for any error (a usage error included: click's own 2
    would read as "changes" or "drift" in CI), 2 only for changes or drift."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:  # type: ignore[override]
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("\nAborted.", err=True)
            sys.exit(1)
        except click.ClickException as err:
            err.show()
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ManifestError as err:
            warned = sum(1 for p in err.problems if p.severity == "warning")
            also = f"; {_count(warned, 'warning')}" if warned else ""
            click.echo(f"Error: the manifests are invalid ({_count(len(err.problems) - warned, 'problem')}{also}):",
                       err=True)
            for problem in err.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except UnsafePlanError as err:
            for problem in err.problems:
                click.echo(f"Refused: {problem}", err=True)
            sys.exit(1)
        except PlanError as err:
            problems = list(dict.fromkeys(err.problems))  # one line per problem, once
            if err.headline:
                click.echo(f"Error: {err.headline} ({_count(len(problems), 'problem')}):", err=True)
                for problem in problems:
                    click.echo(f"  {problem.strip()}", err=True)
            elif len(problems) == 1:
                click.echo(f"Error: {problems[0]}", err=True)
            else:
                click.echo(f"Error: the plan cannot be made ({_count(len(problems), 'problem')}):", err=True)
                for problem in problems:
                    click.echo(f"  {problem.strip()}", err=True)
            sys.exit(1)
        except ReconcilerError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as err:  # a bug of ours: say so, without a wall of traceback
            if os.environ.get("RECONCILER_DEBUG"):
                raise
            click.echo(f"Error: internal error ({type(err).__name__}: {_redacted(str(err))}). This is a bug in "
                       "reconciler; run again with RECONCILER_DEBUG=1 for the traceback and report it.", err=True)
            sys.exit(1)


def _redacted(text: str) -> str:
    from reconciler.api.redact import Redactor

    return (Redactor([os.environ.get("OMICALL_API_KEY"), os.environ.get("OMICALL_TOKEN")])(text) or "")[:300]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Configuration as code for the OMICall call center."""


# --- validate / schema (manifest) ------------------------------------------------------


# validate and lint: text for people, the others for CI systems (flows/findings_formats.py).
FINDING_FORMATS = ("text", "json", "github", "gitlab")
FINDING_FORMATS_HELP = ("text for people, json for programs (stable, format_version), github for annotations on "
                        "the pull request's lines, gitlab for a Code Quality report (artifacts:reports:codequality).")


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=True))
@click.option("--live", is_flag=True,
              help="Also resolve references the manifests do not declare against the tenant.")
@click.option("--url", envvar="OMICALL_URL", metavar="URL",
              help="Tenant API base URL (or OMICALL_URL), for --live. Credentials: OMICALL_API_KEY or OMICALL_TOKEN.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=None, metavar="N",
              help="Requests in flight at most, for --live (default 8).")
@click.option("--format", "fmt", type=click.Choice(FINDING_FORMATS), default="text", show_default=True,
              help=FINDING_FORMATS_HELP)
def validate(directory: str, live: bool, url: str | None, concurrency: int | None, fmt: str) -> None:
    """Check the manifests in DIRECTORY (default: the current one) without changing anything.

    Exit 0 when valid, 1 with every problem listed (file:line:column) when not."""
    if fmt == "text":
        summary, warnings, findings = _validate(directory, live, url, concurrency)
        for finding in findings:
            click.echo(f"Warning: {finding.location}: {finding.message} [{finding.code}; see `reconciler lint`]",
                       err=True)
        for warning in warnings:
            click.echo(f"Warning: {warning}", err=True)
        click.echo(f"{summary}: valid")
        return
    from reconciler.flows.findings_formats import Item, from_lint

    with _findings_on_error(fmt, directory, valid=False):
        summary, warnings, findings = _validate(directory, live, url, concurrency)
    items = from_lint(findings) + [Item({"severity": "warning", "code": "plan-warning", "kind": None, "name": None,
                                         "message": w, "location": None}, None) for w in warnings]
    _echo_findings(items, fmt, directory, valid=True)
    click.echo(f"{summary}: valid", err=True)


def _echo_findings(items: list, fmt: str, directory: str, **extra: Any) -> None:
    """Findings in a CI format on stdout; paths relative to the CI system's checkout."""
    from reconciler.flows.findings_formats import render

    env = {"github": "GITHUB_WORKSPACE", "gitlab": "CI_PROJECT_DIR"}.get(fmt, "")
    base = Path(os.environ.get(env) or ".")
    click.echo(render(items, fmt, base=base, default_path=directory, **extra), nl=False)


@contextlib.contextmanager
def _findings_on_error(fmt: str, directory: str, **extra: Any) -> Iterator[None]:
    """What stops validate or lint, as findings on stdout (a CI system reads the document
    there), then as text on stderr and exit 1, as always."""
    try:
        yield
    except ReconcilerError as err:
        from reconciler.flows.findings_formats import from_error

        _echo_findings(from_error(err), fmt, directory, **extra)
        raise


def _validate(directory: str, live: bool, url: str | None, concurrency: int | None) -> tuple[str, list[str], list]:
    """What validate says of valid manifests, the warnings of --live, and lint's warnings
    about policy.lint itself (its unused ignore entries); raises ManifestError (or
    PlanError, with --live) when they are not valid."""
    from reconciler.manifest import check_live_references, load_manifests

    warnings: list[str] = []
    manifests = load_manifests(directory)
    summary = f"{_count(len(manifests), 'object')} in {_count(len(manifests.files), 'file')}"
    if live:
        from reconciler.engine.session import check_against_tenant, read_tenant, run

        tenant, live_names = run(_client(url, concurrency), read_tenant)
        problems = check_live_references(manifests, live_names)  # with file:line:column
        if problems:
            raise ManifestError(problems)
        warnings = check_against_tenant(manifests, tenant)  # and every check plan makes
        external = len({target for _, _, target in manifests.unresolved_references()})
        summary += f", {external} reference{'s' if external != 1 else ''} to live objects"
    findings = _refuse_routing_errors(manifests)
    return summary, warnings, findings


def _refuse_routing_errors(manifests: Any) -> list:
    """`validate` also refuses the routing mistakes `lint` calls errors; it returns lint's
    warnings about the policy itself (an ignore entry naming nothing), which validate
    shows too: listed with the problems when the manifests are invalid, so shown here."""
    from reconciler.errors import Problem
    from reconciler.flows.lint import lint
    from reconciler.flows.sources import routing_from_manifests

    findings = lint(routing_from_manifests(manifests))
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ManifestError([Problem(f.location, f"{f.message} [{f.code}; see `reconciler lint`]", f.code, *f.node)
                             for f in errors])
    return [f for f in findings if f.code == "unused-lint-ignore" and f.severity == "warning"]


@cli.command()
def schema() -> None:
    """Print the manifests' JSON Schema (also in schemas/manifest.schema.json).

    For editors: put `# yaml-language-server: $schema=PATH/manifest.schema.json` at the
    top of a manifest file."""
    from reconciler.manifest import manifest_json_schema

    click.echo(schema_text(manifest_json_schema()), nl=False)


def schema_text(schema_dict: dict) -> str:
    """The schema as committed: indent 2, UTF-8 text, keys sorted, trailing newline."""
    import json

    return json.dumps(schema_dict, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# --- connection ---------------------------------------------------------------------------


def tenant_options(func: Callable) -> Callable:
    """--url and --concurrency, taken by every command that talks to the tenant."""

    @click.option("--url", envvar="OMICALL_URL", metavar="URL",
                  help="Tenant API base URL (or OMICALL_URL). Credentials: OMICALL_API_KEY or OMICALL_TOKEN.")
    @click.option("--concurrency", type=click.IntRange(1, 32), default=None, metavar="N",
                  help="Requests in flight at most (default 8).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def _client(url: str | None, concurrency: int | None) -> Any:
    from reconciler.api import OmicallClient

    options = {"concurrency": concurrency} if concurrency else {}
    return OmicallClient.from_env(url, **options)


def _load(directory: str) -> Any:
    from reconciler.manifest import load_manifests

    return load_manifests(directory)


def _style_for(stream: Any) -> Callable[..., str]:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return lambda text, **_: text
    return click.style


FORMATS = click.Choice(["text", "json", "markdown"])


def _problems_of(err: ReconcilerError) -> list[str]:
    """An error's problems as lines of text (one line for a plain error)."""
    if isinstance(err, (PlanError, ManifestError)):
        return [str(p) for p in err.problems]
    return [str(err)]


def _error_report(fmt: str, command: str, problems: list[str]) -> None:
    """Machine-read formats still get a document on stdout when the run cannot proceed,
    so CI that saves or posts the report does not post an empty one."""
    problems = list(dict.fromkeys(problems))
    if fmt == "json":
        import json

        click.echo(json.dumps({"format_version": FORMAT_VERSION, "error": True, "problems": problems},
                              ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        lines = [f"### reconciler {command}", "", f"**Error: the {command} cannot be made.**", ""]
        click.echo("\n".join(lines + [f"- {p.strip()}" for p in problems]))


# --- plan / apply ----------------------------------------------------------------------------

TARGET_HELP = ("Only this object (KIND/NAME, e.g. groups/CSKH; repeatable) and what it needs: the plan is "
               "partial and deletes nothing else.")
FORCE_UPLOAD_HELP = ("Upload mp3 greetings again when the tenant holds no fingerprint of their audio (the state "
                     "note is missing); without it they are reported unverified, not replaced.")


@cli.command()
@click.argument("directory", default=".", type=click.Path(exists=True, file_okay=True))
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan to FILE for `apply --plan`.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="text for people, json for programs (stable, format_version), markdown for a pull-request comment.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 with no changes (every field compared), 2 with changes or a field it could not verify, "
                   "1 on error.")
@click.option("--force-upload", is_flag=True, help=FORCE_UPLOAD_HELP)
@click.option("--target", "targets", multiple=True, metavar="KIND/NAME", help=TARGET_HELP)
@tenant_options
def plan(directory: str, out: str | None, fmt: str, detailed_exitcode: bool, force_upload: bool,
         targets: tuple[str, ...], url: str | None, concurrency: int | None) -> None:
    """Show what apply would change in the tenant."""
    from reconciler.engine.planfile import save_plan
    from reconciler.engine.render import render_json, render_markdown, render_text
    from reconciler.engine.session import plan_tenant, run

    try:
        manifests = _load(directory)
        client = _client(url, concurrency)
        the_plan, live = run(client, lambda tenant: plan_tenant(tenant, manifests, force_upload=force_upload,
                                                                targets=targets))
    except ReconcilerError as err:
        _error_report(fmt, "plan", _problems_of(err))
        raise
    if fmt == "json":
        click.echo(render_json(the_plan), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(the_plan, flows=_flow_changes(the_plan, live)), nl=False)
    else:
        click.echo(render_text(the_plan, _style_for(sys.stdout), _flow_changes(the_plan, live, draw=False)), nl=False)
    if out:
        save_plan(the_plan, out, url=client.url)
        if the_plan.secrets_not_set:  # apply --plan refuses it: say so now, not after review
            click.echo(f"Plan saved to {out}, for review only: it was made without "
                       f"{', '.join(the_plan.secrets_not_set)}, so `reconciler apply --plan {out}` will refuse it; "
                       "make the plan where the variables are set to apply it", err=True)
        else:
            click.echo(f"Plan saved to {out}; apply it with: reconciler apply --plan {out}", err=True)
    if the_plan.blocked:
        click.echo("Error: this plan cannot be applied (see 'Cannot apply' above).", err=True)
        sys.exit(1)
    if detailed_exitcode and (the_plan.has_changes or not the_plan.fully_verified):
        sys.exit(2)  # an unverifiable field may hide a change: never "no changes"


def _flow_changes(the_plan: Any, live: Any, draw: bool = True) -> Any:
    from reconciler.flows.plan_flows import flow_changes

    return flow_changes(the_plan, live, draw=draw)


@cli.command()
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=True))
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False),
              help="Apply this saved plan (refused if the tenant changed since).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Apply even if the plan deletes more than the safety threshold.")
@click.option("--force-upload", is_flag=True, help=FORCE_UPLOAD_HELP)
@click.option("--target", "targets", multiple=True, metavar="KIND/NAME", help=TARGET_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: what was done per object (ids, failures, skips and why) on stdout, stable "
                   "(format_version); the plan and progress then go to stderr.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
              help="Wait this long for another apply's lock on the tenant (0: refuse at once).")
@tenant_options
def apply(directory: str, plan_file: str | None, auto_approve: bool, force: bool, force_upload: bool,
          targets: tuple[str, ...], fmt: str, lock_timeout: float, url: str | None, concurrency: int | None) -> None:
    """Plan, then make the tenant match the manifests."""
    from reconciler.commands.apply import ApplyRun
    from reconciler.engine.planfile import load_plan

    if plan_file and directory:
        raise click.UsageError("give either DIRECTORY or --plan FILE: a saved plan already says what to apply")
    if plan_file and force_upload:
        raise click.UsageError("--force-upload belongs to the plan: use `plan --force-upload --out FILE`")
    if plan_file and targets:
        raise click.UsageError("--target belongs to the plan: use `plan --target ... --out FILE` (a saved targeted "
                               "plan applies only its targets)")
    as_json = fmt == "json"
    try:
        client = _client(url, concurrency)
        saved = load_plan(plan_file, url=client.url) if plan_file else None
        work = ApplyRun(console=_Console(as_json), saved=saved,
                        manifests=None if plan_file else _load(directory or "."), force=force,
                        auto_approve=auto_approve, force_upload=force_upload, targets=targets, as_json=as_json,
                        lock_timeout=lock_timeout)
        report = _run_apply(client, work)
    except ReconcilerError as err:
        _error_report(fmt, "apply", _problems_of(err))
        raise
    if report is None:
        _echo_json(work, "no_changes")
    else:
        _apply_outcome(report, work)


class _Console:
    """The apply's Console (commands/console.py): the plan and progress on stdout, or on
    stderr with --format json (stdout then holds the document alone); questions asked on
    a terminal only."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        stream = sys.stderr if as_json else sys.stdout
        self.style, self.terminal = _style_for(stream), stream.isatty()

    def out(self, text: str) -> None:
        click.echo(text, nl=False, err=self.as_json)

    def err(self, text: str) -> None:
        click.echo(text, err=True)

    def ask(self, question: str) -> bool | None:
        if not sys.stdin.isatty():
            return None
        return click.confirm(question, default=False)


def _echo_json(work: Any, outcome: str, warnings: list[str] = ()) -> None:
    """apply --format json: the document, once the apply ended (however it did)."""
    document = work.json_document(outcome, warnings)
    if document is not None:
        click.echo(document, nl=False)


def _run_apply(client: Any, work: Any) -> Any:
    """The apply's report, or None when nothing was to be applied. Declined: exit 1.
    Interrupted (Ctrl-C, SIGTERM) while writing: what was done, how to finish, exit 1."""
    from reconciler.commands.apply import Declined
    from reconciler.engine.session import run

    try:
        with _terminate_as_interrupt():  # stopped while planning: nothing was sent ("Aborted.")
            return run(client, work)
    except Declined:
        _echo_json(work, "declined")
        sys.exit(1)
    except KeyboardInterrupt:
        if work.progress is None:
            raise
        click.echo(work.progress.finish(), nl=False, err=work.as_json)
        _echo_json(work, "interrupted")
        click.echo("\nInterrupted: the operations in flight were stopped. Run apply again to finish the work "
                   "(nothing is duplicated).", err=True)
        sys.exit(1)


def _apply_outcome(report: Any, work: Any) -> None:
    """The apply's last lines, and exit 1 unless every change was made and saved."""
    from reconciler.commands.apply import outcome_of

    outcome = outcome_of(report)
    click.echo(work.progress.finish(), nl=False, err=work.as_json)
    for warning in outcome.warnings:
        click.echo(f"Warning: {warning}", err=True)
    # Conflicts counted apart, as apply --format json counts them (a conflict is no failure
    # of the request: the object changed in the tenant since the plan, and was left alone).
    conflicts = f", {outcome.conflicts} in conflict" if outcome.conflicts else ""
    click.echo(work.console.style(f"Apply {'complete' if outcome.ok else 'incomplete'}: {outcome.done} done, "
                                  f"{outcome.failed} failed{conflicts}, {outcome.skipped} skipped.", bold=True),
               err=work.as_json)
    _echo_json(work, outcome.json_outcome, report.warnings)
    if not outcome.ok:
        click.echo("Run apply again to complete the work once the failures are fixed.", err=True)
        sys.exit(1)
    if outcome.failed_write:
        # Every change was made, but a write failed (the state note): not a clean apply.
        click.echo("Apply finished with a failed write (see the warning above).", err=True)
        sys.exit(1)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, a CI job cancelled) stops an apply as Ctrl-C does: asyncio cancels
    the operations in flight and the user is told what to do, instead of a silent exit.
    Also where Ctrl-C is ignored (SIGTERM used to be passed on as that ignored SIGINT)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    from reconciler.engine.session import stop

    previous = signal.signal(signal.SIGTERM, lambda *_: stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- the lock and the history ---------------------------------------------------------------


@cli.command()
@click.argument("lease_id", metavar="LEASE_ID")
@click.option("--force", is_flag=True, help="Required: breaking a lock may let two applies write at once.")
@tenant_options
def unlock(lease_id: str, force: bool, url: str | None, concurrency: int | None) -> None:
    """Break the tenant's lock held under LEASE_ID (as `terraform force-unlock`).

    For an apply that died holding it (its lease also expires by itself). The LEASE_ID is
    in the message of the apply that was refused, and in `reconciler history`. If that
    apply still runs, it stops at its next renewal of the lease."""
    from reconciler.engine.lease import break_lease
    from reconciler.engine.session import run

    if not force:
        raise click.UsageError("unlock breaks another apply's lock: make sure that apply is not running, then "
                               f"pass --force (reconciler unlock --force {lease_id})")
    lease = run(_client(url, concurrency), lambda tenant: break_lease(tenant, lease_id))
    click.echo(f"Lock broken: lease {lease.id} ({lease.describe()}) deleted.")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for programs (format_version).")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N", help="Only the N most recent.")
@tenant_options
def history(fmt: str, limit: int | None, url: str | None, concurrency: int | None) -> None:
    """List the recent applies recorded in the tenant, newest first, and who holds the lock.

    Each entry: when, who (user, host, CI job), the lease, the plan's checksum, what was
    done, and the result (complete, partial, interrupted)."""
    from reconciler.engine.history import render_history_json, render_history_text
    from reconciler.engine.session import read_history_and_locks, run

    entries, leases = run(_client(url, concurrency), read_history_and_locks)
    entries = list(reversed(entries))[:limit]
    if fmt == "json":
        click.echo(render_history_json(entries, leases, FORMAT_VERSION), nl=False)
    else:
        click.echo(render_history_text(entries, leases), nl=False)


# --- drift / export ---


@cli.command()
@click.argument("directory", default=".", type=click.Path(exists=True, file_okay=True))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="text for people, json for programs (stable, format_version), markdown for an issue or PR comment.")
@click.option("--write", is_flag=True,
              help="Adopt the drift: edit the manifests in DIRECTORY in place so that they match the tenant.")
@tenant_options
def drift(directory: str, fmt: str, write: bool, url: str | None, concurrency: int | None) -> None:
    """Compare the tenant with the manifests in DIRECTORY (default: the current one).

    Lists, per kind: managed objects whose live fields differ (live vs manifest values),
    managed objects missing from the tenant, live objects the manifests do not declare
    (drift in kinds policy.prune owns; listed as unmanaged, not drift, in the others), and
    the fields the API never returns, with whether they match the last apply. An object
    under another name in the tenant (found by its referrers or content, on a tenant an
    apply wrote a state note in) is shown as one object: the rename --write adopts.
    Changes nothing; `reconciler apply` puts the tenant back.

    With --write, the drift is adopted instead: the manifests are edited in place (changed
    fields where they stand, objects gone from the tenant removed, new objects of pruned
    kinds appended, an object under another name in the tenant renamed to it, the
    manifests' name kept in previous_names), comments and formatting elsewhere
    untouched, so that `plan` then shows no changes. The report printed is the drift
    adopted. Nothing is written if a live value cannot be written in a manifest.

    Exit 0 in sync (every field compared), 2 drift, 3 no drift found but a field could not
    be verified (a secret not set here), 1 error. Drift is exactly what `plan` would
    change, and what it holds back on protected objects: the same plan, read as "live vs
    manifest". A protected object that differs is drift apply does not change; a delete
    apply could not make (an object not managed here still uses it) is reported, not an error."""
    from reconciler.commands.drift import adopt_drift
    from reconciler.engine.drift import drift_report
    from reconciler.engine.renames import console_renames
    from reconciler.engine.render_drift import render_json, render_markdown, render_text
    from reconciler.engine.session import plan_tenant, run

    try:
        manifests = _load(directory)
        # Drift changes nothing: a delete apply could not make as things stand is reported, not an error.
        the_plan, live = run(_client(url, concurrency),
                             lambda tenant: plan_tenant(tenant, manifests, report_blocked=True))
    except ReconcilerError as err:
        _error_report(fmt, "drift", _problems_of(err))
        raise
    # One detection of objects under two names: the report shows the very renames --write writes.
    renames = console_renames(the_plan, live, manifests)
    report = drift_report(the_plan, live.state_note, renames, directory=directory)

    def show() -> None:
        if fmt == "json":
            click.echo(render_json(report), nl=False)
        elif fmt == "markdown":
            click.echo(render_markdown(report), nl=False)
        else:
            click.echo(render_text(report, _style_for(sys.stdout)), nl=False)

    done: list[str] = []
    if write and report.items:  # real drift only: nothing to write for what was not verified
        try:
            report.adopted, done, report.adopted_unverified = adopt_drift(manifests, the_plan, live, renames)
        except ReconcilerError:
            report.write_refused = True
            show()  # the drift, and the way out that is left; the error follows
            raise
    if write and not report.items:
        # Nothing was written: say so, as when the drift found writes no file.
        n = report.unverifiable_count
        done = ["No manifest file changed: there is no drift to write" + (
            f" ({_count(n, 'object')} with a field that could not be compared, which --write cannot read from "
            "the tenant either)." if n else ".")]
    show()
    for line in done:
        click.echo(line, err=True)
    if report.items:
        sys.exit(2)
    if not report.in_sync:
        # No drift found, but something could not be compared (README: *What "No changes"
        # means*): never 0, and not 2 either, so a scheduled check can warn, not page.
        sys.exit(3)


@cli.command()
@click.option("--out", "out_dir", default="exported", show_default=True, metavar="DIR",
              type=click.Path(file_okay=False),
              help="Directory to write the manifests into (created if needed).")
@click.option("--force", is_flag=True,
              help="Replace files of the names export writes even if export did not write them (each is listed).")
@tenant_options
def export(out_dir: str, force: bool, url: str | None, concurrency: int | None) -> None:
    """Write the live tenant as manifests into DIR, so that `reconciler plan DIR` shows no changes.

    One file per kind (greetings.yaml, groups.yaml, ivr_menus.yaml, call_scripts.yaml,
    hotlines.yaml, extensions.yaml), objects sorted by name or number, references by name.
    Each file's first line says export wrote it, with a digest of its content: export
    replaces a file only while it is unedited, so exporting again into the same directory
    gives identical files. A file of those names that export did not write, or that was
    edited since, is yours: export refuses (exit 1, nothing written) unless --force, and then
    lists each file it replaced. The second line is the editor line
    `# yaml-language-server: $schema=../schemas/manifest.schema.json` (`reconciler schema`).

    Left out, with a comment saying why (a field left out is left as it is): fields the API
    never returns (a group's queue, an extension's enabled flag, timeout and password, a
    hotline's dedicated extension) and a hotline's outbound access restricted to lists the
    tenant does not return (its `accesses`). An uploaded mp3 is written as `recording: <the tenant's file>`.
    Secrets are never written.

    policy.yaml is written once, with nothing pruned and nothing protected: ownership is
    yours to decide, and an existing policy.yaml is never changed. The routing findings the
    tenant already has are acknowledged in it (policy.lint), so validate and lint pass.

    A reference manifests cannot name (a type word the doc does not list, an id no list
    returns) is written as `{live: {type: WORD, id: ID}}` and sent back as it was. A live
    object a manifest cannot express at all (two objects of a kind sharing one name, a value
    the doc does not list) is left out, named on stderr and in a comment of its file; the
    rest is written, and the exit status is 1. Refused (exit 1, nothing written) when DIR
    holds other manifest files. The written files are then planned against the same live
    state; exit 1 if that plan is not empty."""
    from reconciler.engine.export import export_manifests, write_export
    from reconciler.engine.session import read_live, run

    _refuse_default_out_in_manifests(out_dir)
    live = run(_client(url, concurrency), read_live)
    result = export_manifests(live)
    written = write_export(result, out_dir, force=force)
    _echo_written(written, result)
    _acknowledge_findings(out_dir, written)
    for line in result.skipped:
        click.echo(f"Not exported: {line}", err=True)
    _verify_export(out_dir, live, result)
    click.echo(f"Exported {result.total} objects to {out_dir}; `reconciler plan {out_dir}` shows no changes.")


def _refuse_default_out_in_manifests(out_dir: str) -> None:
    """Run from inside a manifest directory, the default ./exported would be read by the
    next `plan .` together with the manifests (every object declared twice)."""
    here = [p.name for p in sorted(Path(".").glob("*.y*ml")) if p.suffix in (".yaml", ".yml")]
    if out_dir == "exported" and here:
        raise click.UsageError(f"this directory holds YAML files ({', '.join(here[:3])}): if it is a manifest "
                               "directory, ./exported inside it would be read with it; pass --out DIR elsewhere")


def _acknowledge_findings(out_dir: str, written: list[tuple[Path, str]]) -> None:
    """The routing findings of the tenant, acknowledged in the policy.yaml export wrote (a
    note says so), or only noted when that file is the user's (commands/export.py)."""
    from reconciler.commands.export import acknowledge_findings

    note = acknowledge_findings(out_dir, written)
    if note:
        click.echo(f"Note: {note}", err=True)


def _echo_written(written: list[tuple[Path, str]], result: Any) -> None:
    """A line per file export wrote: how many objects, and whether it replaced a file of yours."""
    for path, what in written:
        count = result.counts.get(path.stem)
        detail = f"{count} object{'s' if count != 1 else ''}" if count is not None else "policy"
        if what == "replaced":
            detail += "; your file, not written by export, replaced because of --force"
        click.echo(f"{what:>8}  {path} ({detail})")


def _verify_export(out_dir: str, live: Any, result: Any) -> None:
    """Exit 1 when a plan of the written files is not empty (a bug), or when objects were
    left out (with what an apply of them would delete)."""
    from reconciler.commands.export import verify_export

    wrong = verify_export(out_dir, live, result)
    if wrong:
        click.echo(wrong, err=True, nl=False)
        sys.exit(1)


# --- reviewing call flows: graph / trace / lint ------------------------------------------


def _routing(directory: str | None, live: bool, url: str | None, concurrency: int | None,
             policy: bool = False) -> Any:
    """The routing of the manifests in `directory` (default: the current one), or (`live`)
    of the tenant. With `live`, a DIR given must exist (never silently ignored); `policy`
    (lint): its manifests' `policy.lint` sets the rules for the tenant's objects."""
    from reconciler.flows.sources import routing_from_live, routing_from_manifests

    if not live:
        return routing_from_manifests(_load(directory or "."))
    manifests = None
    if directory is not None:
        if not Path(directory).exists():
            from reconciler.errors import Problem

            raise ManifestError([Problem(None, f"{directory}: no such file or directory", "no-manifests")])
        if policy:
            manifests = _load(directory)  # invalid manifests: their problems, exit 1
    from reconciler.engine.session import read_live, run

    routing = routing_from_live(run(_client(url, concurrency), read_live))
    if manifests is not None:
        routing.lint_policy = dict(manifests.policy.lint)
        routing.policy_fields = dict(manifests.policy_fields)
    return routing


def _live_dir_not_read(command: str, directory: str | None, live: bool) -> None:
    """graph and trace with --live read the tenant only: say so when a DIR is given too."""
    if live and directory is not None:
        click.echo(f"Note: with --live, {command} reads the tenant; {directory} is not read.", err=True)


def flow_source_options(func: Callable) -> Callable:
    """--live and the connection options, shared by graph, trace and lint."""

    @click.option("--live", is_flag=True, help="Read the live tenant instead of the manifests.")
    @tenant_options
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=True))
@click.option("--hotline", metavar="NUMBER", help="Only the calls to this hotline.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "json"]), default="mermaid", show_default=True,
              help="mermaid (GitHub and GitLab render it), dot for Graphviz, json for programs.")
@flow_source_options
def graph(directory: str | None, hotline: str | None, fmt: str, live: bool, url: str | None,
          concurrency: int | None) -> None:
    """Print the routing graph: where each hotline's calls can go.

    hotline -> call script -> its steps -> an IVR menu's keys and fallback -> a group's
    members and on_timeout. Mermaid (GitHub and GitLab draw it), Graphviz dot or JSON."""
    from reconciler.flows.model import build_graph
    from reconciler.flows.render import render_graph

    routing = _routing(directory, live, url, concurrency)
    _live_dir_not_read("graph", directory, live)
    click.echo(render_graph(build_graph(routing, hotline), fmt), nl=False)


@cli.command()
@click.argument("hotline")
@click.argument("directory", required=False, type=click.Path(file_okay=True))
@click.option("--keys", metavar="2,1", help="The keys the caller presses, in order.")
@click.option("--unanswered", is_flag=True, help="Nobody answers: follow each group's on_timeout.")
@click.option("--at", "at", metavar='"Sat 19:30"', help="When the call comes: the hotline's weekly schedule picks "
              "the call script (the live tenant's, with --live).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for programs.")
@flow_source_options
def trace(hotline: str, directory: str | None, keys: str | None, unanswered: bool, at: str | None, fmt: str, live: bool,
          url: str | None, concurrency: int | None) -> None:
    """Walk one call to HOTLINE, hop by hop, and say how it ends.

    Ends: answered; unanswered (the last to ring did not answer, nothing follows);
    hung_up (the flow runs out, or a menu gives up); loop (the walk model is in the README)."""
    import json

    from reconciler.flows.trace import parse_at, parse_keys, render_trace_text, trace_call

    pressed = parse_keys(keys)
    when = parse_at(at) if at else None
    routing = _routing(directory, live, url, concurrency)
    _live_dir_not_read("trace", directory, live)
    result = trace_call(routing, hotline, pressed, answered=not unanswered, at=when)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_trace_text(result), nl=False)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=True))
@click.option("--format", "fmt", type=click.Choice(FINDING_FORMATS), default="text", show_default=True,
              help=FINDING_FORMATS_HELP)
@flow_source_options
def lint(directory: str | None, fmt: str, live: bool, url: str | None, concurrency: int | None) -> None:
    """Find routing mistakes before they reach callers, each with file:line:col.

    With --live, the tenant's objects are checked, as DIRECTORY's policy.lint sets the rules
    when DIRECTORY is given (without it, no policy: every rule at its own severity).

    Exit 0 with none (or only info), 2 with a warning or an error, 1 when it cannot run."""
    from reconciler.flows.findings_formats import from_lint
    from reconciler.flows.lint import exit_code, lint as lint_routing, render_lint_text

    shown = directory or "."
    with _findings_on_error(fmt, shown) if fmt != "text" else contextlib.nullcontext():
        findings = lint_routing(_routing(directory, live, url, concurrency, policy=True))
    no_policy = "no policy.lint read: `lint DIR --live` applies DIR's" if live and directory is None else ""
    if fmt == "text":
        click.echo(render_lint_text(findings, no_policy), nl=False)
    else:
        _echo_findings(from_lint(findings), fmt, shown)
    sys.exit(exit_code(findings))


# --- simulator and demo --------------------------------------------------------------------


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option("--api-key", default=None, help="API key the simulator accepts (random if not given).")
@click.option("--seed", type=click.Path(exists=True), metavar="FILE",
              help="Tenant to load: one JSON or YAML file in the API's own shapes (group_name, sip_members...), "
                   "not manifests.")
@click.option("--latency", type=click.FloatRange(min=0), default=0.0, help="Seconds added to every request.")
@click.option("--verbose", "-v", is_flag=True, help="Log every request on stderr (method, path, status; no secrets).")
@click.option("--reading", "readings", multiple=True, metavar="NAME",
              help="How to answer a question the vendor's doc leaves open (repeatable; `strict` takes the "
                   "hardest combination). See the README for the list.")
def sim(port: int, api_key: str | None, seed: str | None, latency: float, verbose: bool,
        readings: tuple[str, ...]) -> None:
    """Run the built-in OMICall simulator on loopback.

    Prints its URL, then its API key, then an `export OMICALL_URL=… OMICALL_API_KEY=…`
    line to paste into another shell. Without --seed it serves the demo tenant."""
    from reconciler.simulator.readings import resolve
    from reconciler.simulator import serve

    if seed and Path(seed).is_dir():
        raise ReconcilerError(f"--seed {seed}: {SEED_SHAPES}")
    try:
        resolve(readings)
    except ValueError as err:
        raise ReconcilerError(f"--reading: {err}") from None
    try:
        serve(port=port, api_key=api_key, seed=seed, latency=latency, verbose=verbose, readings=list(readings))
    except OSError as err:
        raise ReconcilerError(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}") from None
    except ValueError as err:  # a seed that is not a tenant (SeedError), or not JSON/YAML
        raise ReconcilerError(f"--seed {seed}: {err}. {SEED_SHAPES}") from None


# Manifests and exports describe what a tenant should be, by name; a seed is the tenant's own
# data (ids, agent ids, API field names), which manifests cannot give.
SEED_SHAPES = ("--seed takes one JSON or YAML file of the tenant in the API's own shapes "
               "({\"groups\": [{\"group_name\": ...}], \"extensions\": [{\"sip_user\": ...}], ...}), not manifests "
               "or an export. To try manifests, run `reconciler sim` without --seed (the demo tenant) and "
               "`reconciler apply DIR` against it")


@cli.command()
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Let the apply step pass the delete threshold (apply --force).")
def demo(directory: str | None, force: bool) -> None:
    """Plan and apply DIRECTORY against the built-in simulator, then plan again (no credentials).

    Without DIRECTORY: the examples shipped with the reconciler (the repository's examples/)."""
    from reconciler.simulator import Simulator

    directory = directory or str(packaged_examples())

    with Simulator(api_key="demo-key") as simulator:
        url = simulator.start()
        env = {"OMICALL_URL": url, "OMICALL_API_KEY": "demo-key", "OMICALL_TOKEN": ""}
        click.echo(f"Simulator running at {url} (demo tenant)\n")
        steps = [
            ("plan", ["plan", directory]),
            ("apply", ["apply", directory, "--auto-approve", *(["--force"] if force else [])]),
            ("plan again (expect no changes)", ["plan", directory, "--detailed-exitcode"]),
        ]
        for title, args in steps:
            click.echo(click.style(f"$ reconciler {' '.join(args)}", bold=True))
            old = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                cli.main(args=args, prog_name="reconciler", standalone_mode=False)
            except SystemExit as exit_:
                if exit_.code not in (0, None):
                    click.echo(f"demo: `{title}` exited {exit_.code}", err=True)
                    sys.exit(1)
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            click.echo("")
    click.echo("Demo complete: the simulator now matches the manifests.")


def packaged_examples() -> Path:
    """The example manifests installed with the package."""
    return Path(__file__).resolve().parent / "examples"


def main() -> None:
    """The `reconciler` command: the process ends when it returns."""
    try:
        cli(prog_name="reconciler")
    finally:
        # The interpreter's last garbage collection, on its way out, would walk every
        # object still alive to free memory the system frees anyway: 0.5 s after an apply
        # of 10,000 objects. Frozen, they are left to it (only the real command: a host
        # calling `cli` keeps its collector as it was). So an object kept alive only by a
        # reference cycle is never finalized here: whatever must reach a file is written
        # and closed before (every write uses `with` or `write_text`).
        gc.freeze()
