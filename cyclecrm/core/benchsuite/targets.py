"""The issue's targets (issue 10, "Targets on this 2-core machine") and whether a measurement
met them. A target is read from one figure of the measurement: `p99_ms` for latencies, a
measurement's own `met` for the job measurements (they check their targets themselves)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Goal:
    figure: str  # the key of the measurement compared
    limit: float | None  # at most (None: relative, see `check`)
    text: str  # how the table shows it


SEARCH = Goal("p99_ms", 30, "p99 ≤ 30 ms")
GOALS: dict[str, Goal] = {
    "api_list_first_page": Goal("p99_ms", 20, "p99 ≤ 20 ms"),
    "api_list_deep_page": Goal("p99_ms", None, "p99 ≤ first page p99"),
    "api_search_name_prefix": SEARCH,
    "api_search_email_prefix": SEARCH,
    "api_search_substring": SEARCH,
    "api_detail_with_timeline": Goal("p99_ms", 40, "p99 ≤ 40 ms"),
    "api_create": Goal("p99_ms", 30, "p99 ≤ 30 ms"),
    "api_update": Goal("p99_ms", 30, "p99 ≤ 30 ms"),
    "server_peak_rss": Goal("max_rss_mb", 1024, "≤ 1 GiB"),
}
DASHBOARD = Goal("p99_ms", 1000, "p99 ≤ 1 s")


def goal_for(name: str) -> Goal | None:
    if name.startswith("dashboard_"):
        return DASHBOARD
    return GOALS.get(name)


def check(name: str, measurement: dict[str, Any], measurements: dict[str, Any]) -> None:
    """Add `target` and `met` (True, False, or None when there is no figure) in place.

    A measurement with errors never meets its target. Job measurements that carry their own
    `met` keep it."""
    goal = goal_for(name)
    if goal is None:
        if measurement.get("errors"):
            measurement["met"] = False
        return
    measurement["target"] = goal.text
    value = measurement.get(goal.figure)
    limit = goal.limit
    if limit is None:  # the deep page: no slower than the first page
        limit = measurements.get("api_list_first_page", {}).get("p99_ms")
    if value is None or limit is None:
        measurement["met"] = None
    else:
        measurement["met"] = bool(value <= limit) and not measurement.get("errors")
