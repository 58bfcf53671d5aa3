"""One run against a tenant: read it, plan, apply. The CLI's only door into the engine."""

from __future__ import annotations

from typing import Any, Callable

from reconciler.engine.applier import ApplyReport, OpResult, apply_plan
from reconciler.engine.live import LiveState, read_live
from reconciler.engine.plan import Plan
from reconciler.engine.planner import ManifestsLike, make_plan


async def plan_tenant(client: Any, manifests: ManifestsLike, *, force_upload: bool = False) -> tuple[Plan, LiveState]:
    """Read every list once, then plan (pure)."""
    live = await read_live(client)
    return make_plan(manifests, live, force_upload=force_upload), live


async def apply_to_tenant(
    client: Any, plan: Plan, *, saved: bool, on_result: Callable[[OpResult], None] | None = None
) -> ApplyReport:
    """Re-read the tenant right before changing it, so that an object changed since the plan
    is a conflict and not silently overwritten; then apply."""
    fresh = await read_live(client)
    return await apply_plan(client, plan, fresh, saved=saved, on_result=on_result)
