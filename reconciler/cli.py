"""The command line. The only module that prints or exits."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from reconciler import __version__
from reconciler.errors import ManifestError, PlanError, ReconcilerError


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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
            click.echo(f"Error: the manifests are invalid ({_count(len(err.problems), 'problem')}):", err=True)
            for problem in err.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except PlanError as err:
            problems = list(dict.fromkeys(err.problems))  # one line per problem, once
            if len(problems) == 1:
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
    for name in ("OMICALL_API_KEY", "OMICALL_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text[:300]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Configuration as code for the OMICall call center."""


# --- validate / schema (manifest) ------------------------------------------------------


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=True))
@click.option("--live", is_flag=True,
              help="Also resolve references the manifests do not declare against the tenant.")
@click.option("--url", envvar="OMICALL_URL", metavar="URL",
              help="Tenant API base URL (or OMICALL_URL), for --live. Credentials: OMICALL_API_KEY or OMICALL_TOKEN.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=None, metavar="N",
              help="Requests in flight at most, for --live (default 8).")
def validate(directory: str, live: bool, url: str | None, concurrency: int | None) -> None:
    """Check the manifests in DIRECTORY (default: the current one) without changing anything.

    Exit 0 when valid, 1 with every problem listed (file:line:column) when not."""
    from reconciler.manifest import check_live_references, load_manifests

    manifests = load_manifests(directory)
    summary = f"{len(manifests)} objects in {len(manifests.files)} file{'s' if len(manifests.files) != 1 else ''}"
    if live:
        unresolved = manifests.unresolved_references()
        live_names = _run(_live_names(_client(url, concurrency), {kind for _, _, (kind, _) in unresolved}))
        problems = check_live_references(manifests, live_names)
        if problems:
            raise ManifestError(problems)
        external = len({target for _, _, target in unresolved})
        summary += f", {external} reference{'s' if external != 1 else ''} to live objects"
    click.echo(f"{summary}: valid")


async def _live_names(client: Any, kinds: set[str]) -> dict[str, set[str]]:
    """Identities of the live objects of `kinds`, read concurrently."""
    from reconciler.kinds import KINDS

    wanted = sorted(kinds)
    async with client:
        lists = await asyncio.gather(
            *(client.list_all(KINDS[k].list_path, page_size=KINDS[k].page_size) for k in wanted)
        )
    return {k: {KINDS[k].live_identity(item) for item in items} for k, items in zip(wanted, lists)}


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


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _load(directory: str) -> Any:
    from reconciler.manifest import load_manifests

    return load_manifests(directory)


def _style_for(stream: Any) -> Callable[..., str]:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return lambda text, **_: text
    return click.style


FORMATS = click.Choice(["text", "json", "markdown"])


def _error_report(fmt: str, command: str, problems: list[str]) -> None:
    """Machine-read formats still get a document on stdout when the run cannot proceed,
    so CI that saves or posts the report does not post an empty one."""
    problems = list(dict.fromkeys(problems))
    if fmt == "json":
        import json

        click.echo(json.dumps({"format_version": 1, "error": True, "problems": problems},
                              ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        lines = [f"### reconciler {command}", "", f"**Error: the {command} cannot be made.**", ""]
        click.echo("\n".join(lines + [f"- {p.strip()}" for p in problems]))


# --- plan / apply ----------------------------------------------------------------------------


@cli.command()
@click.argument("directory", default=".", type=click.Path(exists=True, file_okay=True))
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan to FILE for `apply --plan`.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@tenant_options
def plan(directory: str, out: str | None, fmt: str, detailed_exitcode: bool, url: str | None,
         concurrency: int | None) -> None:
    """Show what apply would change in the tenant."""
    from reconciler.engine.planfile import save_plan
    from reconciler.engine.render import render_json, render_markdown, render_text
    from reconciler.engine.session import plan_tenant

    manifests = _load(directory)
    client = _client(url, concurrency)

    async def go() -> Any:
        async with client:
            return await plan_tenant(client, manifests)

    try:
        the_plan, _ = _run(go())
    except PlanError as err:
        _error_report(fmt, "plan", err.problems)
        raise
    if fmt == "json":
        click.echo(render_json(the_plan), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(the_plan), nl=False)
    else:
        click.echo(render_text(the_plan, _style_for(sys.stdout)), nl=False)
    if out:
        save_plan(the_plan, out, url=client.url)
        click.echo(f"Plan saved to {out}; apply it with: reconciler apply --plan {out}", err=True)
    if the_plan.blocked:
        click.echo("Error: this plan cannot be applied (see 'Cannot apply' above).", err=True)
        sys.exit(1)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


@cli.command()
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=True))
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False),
              help="Apply this saved plan (refused if the tenant changed since).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Apply even if the plan deletes more than the safety threshold.")
@tenant_options
def apply(directory: str, plan_file: str | None, auto_approve: bool, force: bool, url: str | None,
          concurrency: int | None) -> None:
    """Plan, then make the tenant match the manifests."""
    from reconciler.engine.planfile import load_plan
    from reconciler.engine.progress import Progress
    from reconciler.engine.render import render_text
    from reconciler.engine.session import apply_to_tenant, plan_tenant

    if plan_file and directory:
        raise click.UsageError("give either DIRECTORY or --plan FILE: a saved plan already says what to apply")
    client = _client(url, concurrency)
    style = _style_for(sys.stdout)
    if plan_file:
        the_plan = load_plan(plan_file, url=client.url)
    else:
        manifests = _load(directory or ".")

        async def make() -> Any:
            async with client:
                return await plan_tenant(client, manifests)

        the_plan, _ = _run(make())
        client = _client(url, concurrency)  # one client per event loop
    click.echo(render_text(the_plan, style), nl=False)
    if not the_plan.has_changes:
        return
    if the_plan.blocked:
        for line in the_plan.blocked:
            click.echo(f"Refused: {line}", err=True)
        sys.exit(1)
    if the_plan.unsafe and not force:
        for line in the_plan.unsafe:
            click.echo(f"Refused: {line}", err=True)
        sys.exit(1)
    if not auto_approve:
        if not sys.stdin.isatty():
            # As Terraform does: nobody can answer, so nothing is applied unasked.
            raise ReconcilerError("apply asks for confirmation on a terminal, and there is none here: "
                                  "review the plan above and run again with --auto-approve")
        if not click.confirm("Apply these changes to the tenant?", default=False):
            click.echo("Nothing applied.", err=True)
            sys.exit(1)

    # A line per operation in logs; on a terminal a bar, and a line for each that failed.
    tracker = Progress(terminal=sys.stdout.isatty(), style=style)

    def progress(result: Any) -> None:
        text = tracker.feed(result)
        if text:
            click.echo(text, nl=False)

    async def go() -> Any:
        async with client:
            return await apply_to_tenant(client, the_plan, saved=bool(plan_file), on_result=progress)

    try:
        report = _run(go())
    except KeyboardInterrupt:
        click.echo(tracker.finish(), nl=False)
        click.echo("\nInterrupted: the operations in flight were stopped. Run apply again to finish the work "
                   "(nothing is duplicated).", err=True)
        sys.exit(1)
    click.echo(tracker.finish(), nl=False)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    done, failed = report.by_status("done"), report.by_status("failed") + report.by_status("conflict")
    skipped = report.by_status("skipped")
    click.echo(style(f"Apply {'complete' if report.ok else 'incomplete'}: {len(done)} done, {len(failed)} failed, "
                     f"{len(skipped)} skipped.", bold=True))
    if not report.ok:
        click.echo("Run apply again to complete the work once the failures are fixed.", err=True)
        sys.exit(1)


# --- drift / export ---


@cli.command()
@click.argument("directory", default=".", type=click.Path(exists=True, file_okay=True))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True,
              help="text for people, json for programs (stable, format_version), markdown for an issue or PR comment.")
@tenant_options
def drift(directory: str, fmt: str, url: str | None, concurrency: int | None) -> None:
    """Compare the tenant with the manifests in DIRECTORY (default: the current one).

    Lists, per kind: managed objects whose live fields differ (live vs manifest values),
    managed objects missing from the tenant, live objects the manifests do not declare
    (drift in kinds policy.prune owns; listed as unmanaged, not drift, in the others), and
    the fields the API never returns, with whether they match the last apply. Changes
    nothing; `reconciler apply` puts the tenant back.

    Exit 0 in sync, 2 drift, 1 error. Drift is exactly what `plan` would change: the
    same plan, read as "live vs manifest"."""
    from reconciler.engine.drift import drift_of_tenant
    from reconciler.engine.render_drift import render_json, render_markdown, render_text

    manifests = _load(directory)
    client = _client(url, concurrency)

    async def go() -> Any:
        async with client:
            return await drift_of_tenant(client, manifests)

    try:
        report, _ = _run(go())
    except PlanError as err:
        _error_report(fmt, "drift", err.problems)
        raise
    if fmt == "json":
        click.echo(render_json(report), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(report), nl=False)
    else:
        click.echo(render_text(report, _style_for(sys.stdout)), nl=False)
    if not report.in_sync:
        sys.exit(2)


@cli.command()
@click.option("--out", "out_dir", default="exported", show_default=True, metavar="DIR",
              type=click.Path(file_okay=False),
              help="Directory to write the manifests into (created if needed).")
@tenant_options
def export(out_dir: str, url: str | None, concurrency: int | None) -> None:
    """Write the live tenant as manifests into DIR, so that `reconciler plan DIR` shows no changes.

    One file per kind (greetings.yaml, groups.yaml, ivr_menus.yaml, call_scripts.yaml,
    hotlines.yaml, extensions.yaml), objects sorted by name or number, references by name.
    The kinds' files are replaced on every export; exporting again into the same directory
    gives identical files when the tenant has not changed. Each file starts with the editor
    line `# yaml-language-server: $schema=../schemas/manifest.schema.json` (`reconciler schema`).

    Left out, with a comment saying why (a field left out is left as it is): fields the API
    never returns (a group's queue, an extension's enabled flag, timeout and password, a
    hotline's dedicated extension) and a hotline's outbound access restricted to lists the
    API does not return. An uploaded mp3 is written as `recording: <the tenant's file>`.
    Secrets are never written.

    policy.yaml is written once, with nothing pruned and nothing protected: ownership is
    yours to decide, and an existing policy.yaml is never changed.

    Refused (exit 1, nothing written) when a manifest could not name or express a live
    object: two objects of a kind sharing one name (their ids are listed; rename them in
    the console), a reference to something manifests cannot state, or other manifest files
    in DIR. The written files are then planned against the same live state; exit 1 if that
    plan is not empty."""
    from reconciler.engine.export import export_manifests, write_export
    from reconciler.engine.live import read_live
    from reconciler.engine.planner import make_plan
    from reconciler.engine.render import render_text

    here = [p.name for p in sorted(Path(".").glob("*.y*ml")) if p.suffix in (".yaml", ".yml")]
    if out_dir == "exported" and here:
        # Run from inside a manifest directory, the default ./exported would be read by the
        # next `plan .` together with the manifests (every object declared twice).
        raise click.UsageError(f"this directory holds YAML files ({', '.join(here[:3])}): if it is a manifest "
                               "directory, ./exported inside it would be read with it; pass --out DIR elsewhere")
    client = _client(url, concurrency)

    async def go() -> Any:
        async with client:
            return await read_live(client)

    live = _run(go())
    result = export_manifests(live)
    written = write_export(result, out_dir)
    for path, what in written:
        count = result.counts.get(path.stem)
        detail = f"{count} object{'s' if count != 1 else ''}" if count is not None else "policy"
        click.echo(f"{what:>8}  {path} ({detail})")
    # `export` then `plan` shows no changes: checked here, on the files as written.
    check = make_plan(_load(out_dir), live)
    if check.has_changes:
        click.echo("Error: a plan of the exported manifests is not empty (a bug of the reconciler; please "
                   "report it with this output):", err=True)
        click.echo(render_text(check), err=True, nl=False)
        sys.exit(1)
    click.echo(f"Exported {result.total} objects to {out_dir}; `reconciler plan {out_dir}` shows no changes.")


# --- simulator and demo --------------------------------------------------------------------


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port.")
@click.option("--api-key", default=None, help="API key the simulator accepts (random if not given).")
@click.option("--seed", type=click.Path(exists=True, dir_okay=False), help="Tenant to load (JSON or YAML).")
@click.option("--latency", type=click.FloatRange(min=0), default=0.0, help="Seconds added to every request.")
def sim(port: int, api_key: str | None, seed: str | None, latency: float) -> None:
    """Run the built-in OMICall simulator on loopback (first line: its URL)."""
    from reconciler.simulator.server import serve

    try:
        serve(port=port, api_key=api_key, seed=seed, latency=latency)
    except OSError as err:
        raise ReconcilerError(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}") from None
    except ValueError as err:  # a seed that is not a tenant (SeedError), or not JSON/YAML
        raise ReconcilerError(f"--seed {seed}: {err}") from None


@cli.command()
@click.argument("directory", default="examples", type=click.Path(exists=True, file_okay=False))
def demo(directory: str) -> None:
    """Plan and apply DIRECTORY against the built-in simulator, then plan again (no credentials)."""
    from reconciler.simulator import Simulator

    with Simulator(api_key="demo-key") as simulator:
        url = simulator.start()
        env = {"OMICALL_URL": url, "OMICALL_API_KEY": "demo-key", "OMICALL_TOKEN": ""}
        click.echo(f"Simulator running at {url} (demo tenant)\n")
        steps = [
            ("plan", ["plan", directory]),
            ("apply", ["apply", directory, "--auto-approve"]),
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


def main() -> None:
    cli(prog_name="reconciler")
