"""apply: plan (or take the saved plan), show it, have it approved, apply it with
progress, under the tenant's lock (engine/session.py), planning again when another
apply held the lock and changed the tenant meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.commands.console import Console
from reconciler.errors import ReconcilerError


class Declined(Exception):
    """The user answered no: apply exits 1 once the client is closed."""


@dataclass
class ApplyRun:
    """One apply's work in the event loop: plan (or take the saved plan), show it, ask,
    apply with progress. `progress` is set once writing starts: an interrupt before that
    has sent nothing."""

    console: Console
    saved: Any  # a saved plan (apply --plan), else None
    manifests: Any  # else the manifests to plan
    force: bool
    auto_approve: bool
    force_upload: bool
    targets: tuple[str, ...] = ()
    as_json: bool = False  # apply --format json: the report on stdout, everything else on stderr
    lock_timeout: float = 0.0
    progress: Any = None
    plan: Any = None  # the plan shown
    results: list = field(default_factory=list)  # each operation's result, as it came

    def json_document(self, outcome: str, warnings: list[str] = ()) -> str | None:
        """apply --format json: the document, once the apply ended (however it did); None
        without --format json, or before a plan was made."""
        if not self.as_json or self.plan is None:
            return None
        from reconciler.engine.render_apply import render_json

        return render_json(self.plan, self.results, outcome=outcome, warnings=list(warnings))

    async def __call__(self, tenant: Any) -> Any:
        """The apply's report, or None when nothing was to be applied."""
        from reconciler.engine.render import render_text
        from reconciler.engine.session import LockOptions, apply_to_tenant, checkpoint, plan_tenant
        from reconciler.flows.plan_flows import flow_changes

        busy = False
        if self.saved is not None:
            the_plan, flows = self.saved, None
        else:
            the_plan, live = await plan_tenant(tenant, self.manifests, force_upload=self.force_upload,
                                               targets=self.targets)
            flows = flow_changes(the_plan, live, draw=False)  # a text plan shows the impact only
            busy = bool(live.leases)
        self.plan = the_plan
        self.console.out(render_text(the_plan, self.console.style, flows))
        if not approved(the_plan, self.force, self.auto_approve, self.console):
            return None
        # A stop asked while the prompt blocked the loop (SIGTERM) takes effect here,
        # before anything is sent: "Aborted.", not "operations in flight were stopped".
        await checkpoint()
        self.progress = progress_of(the_plan, self.console)
        lock = LockOptions(timeout=self.lock_timeout, on_wait=self._waiting, on_replan=self._replan,
                           manifests=self.manifests, busy_at_plan=busy, force_upload=self.force_upload,
                           targets=self.targets)
        return await apply_to_tenant(tenant, the_plan, saved=self.saved is not None, force=self.force,
                                     on_result=self._show, lock=lock)

    def _waiting(self, lease: Any) -> None:
        self.console.err(f"Waiting up to {self.lock_timeout:g} s for the lock: {lease.describe()} holds it.")

    def _replan(self, the_plan: Any) -> bool:
        """The plan made again once the lock was had, another apply having changed the
        tenant meanwhile: shown, then approved as the first one was."""
        from reconciler.engine.render import render_text

        self.console.err("Another apply held the tenant's lock since this plan was made, and changed the tenant. "
                         "The plan now:")
        self.console.out(render_text(the_plan, self.console.style))
        if not approved(the_plan, self.force, self.auto_approve, self.console):
            return False
        self.plan = the_plan  # apply --format json reports the plan applied
        self.progress = progress_of(the_plan, self.console)
        return True

    def _show(self, result: Any) -> None:
        self.results.append(result)
        text = self.progress.feed(result)
        if text:
            self.console.out(text)


@dataclass
class Outcome:
    """How an apply that ran ended, for its last lines and its exit status."""

    done: int
    failed: int
    conflicts: int  # changed in the tenant since the plan: not overwritten
    skipped: int
    ok: bool  # every change made
    failed_write: bool  # every change made, but a write of the apply's own failed (the state note)
    warnings: list[str]  # the report's warnings, then its notices
    json_outcome: str  # the `outcome` of apply --format json


def outcome_of(report: Any) -> Outcome:
    from reconciler.engine.applier import Status
    from reconciler.engine.render_apply import outcome_of as json_outcome

    return Outcome(done=len(report.by_status(Status.DONE)),
                   failed=len(report.by_status(Status.FAILED)), conflicts=len(report.by_status(Status.CONFLICT)),
                   skipped=len(report.by_status(Status.SKIPPED)), ok=report.ok,
                   failed_write=report.ok and bool(report.warnings), warnings=report.warnings + report.notices,
                   json_outcome=json_outcome(report))


def progress_of(the_plan: Any, console: Console) -> Any:
    """Apply's progress: a line per operation in logs; on a terminal a bar, and a line for
    each operation that did not succeed. Renames are logged as renames."""
    from reconciler.engine.plan import Action
    from reconciler.engine.progress import Progress

    renamed = {c.address: c.rename_from for c in the_plan.changes if c.action == Action.RENAME}
    return Progress(terminal=console.terminal, style=console.style, renamed=renamed)


def approved(the_plan: Any, force: bool, auto_approve: bool, console: Console) -> bool:
    """Whether apply goes on with the plan shown: not when it has no changes; refused
    (an error) when unsafe or blocked or missing a secret; asked on a terminal (Declined
    when the answer is no)."""
    from reconciler.engine.session import check_secrets

    check_secrets(the_plan)  # before "no changes": a plan made without a secret did not check it
    if not the_plan.has_changes:
        return False
    the_plan.raise_if_unsafe(force)  # before asking: a refused plan is not offered
    if auto_approve:
        return True
    answer = console.ask("Apply these changes to the tenant?")
    if answer is None:
        # As Terraform does: nobody can answer, so nothing is applied unasked.
        raise ReconcilerError("apply asks for confirmation on a terminal, and there is none here: "
                              "review the plan above and run again with --auto-approve")
    if not answer:
        console.err("Nothing applied.")
        raise Declined()
    return True
