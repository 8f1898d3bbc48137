"""`/api/v1/assessment`: a period's score sheet for one subject set, only the subjects in
the caller's scope, in the shape `gridwork assess --json` prints; needs `assess`."""

from __future__ import annotations

from typing import Any

from ..assessment import PeriodError, parse_period, period_of, spec_key
from ..assessment.view import in_scope, sheet_of
from ..auth import may
from .api_call import ApiError, Call


def assessment(call: Call) -> Any:
    """GET: ?period=2026-11|2026-Q4|2026-H2|2026 (default: the last ended period of the
    first kind), ?level=grid|role:R|departments (default: the first subject set)."""
    site = call.site
    a = site.deployment.assessment
    if a is None:
        raise ApiError(404, "this deployment has no assessment")
    if not may(site.deployment, call.user, "assess"):
        raise ApiError(403, "score sheets need the 'assess' permission")
    zone = site.runtime.zone
    keys = [spec_key(s) for s in a.subjects]
    errors: dict[str, list[str]] = {}
    period = period_of(a.periods[0], site.clock(), zone).previous()
    if (text := call.param("period")) is not None:
        try:
            period = parse_period(text, zone)
        except PeriodError as err:
            errors["period"] = [str(err)]
        else:
            if period.kind not in a.periods:
                errors["period"] = [f"assessed by {', '.join(a.periods)} only"]
    level = call.param("level") or keys[0]
    if level not in keys and f"level:{level}" in keys:
        level = f"level:{level}"
    if level not in keys:
        errors["level"] = [f"one of {', '.join(keys)}"]
    if errors:
        raise ApiError(400, "invalid query", errors)
    with site.engine.connect() as conn:
        shown = sheet_of(conn, site.runtime, level, period, site.clock())
        lines = in_scope(conn, site.runtime, call.user, shown.shape["subjects"])
    return {**shown.shape, "subjects": lines, "revision": shown.revision,
            "provisional": shown.provisional}
