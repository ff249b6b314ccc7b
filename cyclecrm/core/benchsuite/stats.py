"""Latency figures of one measurement: percentiles (numpy's default, linear interpolation),
mean and throughput. Times go in as seconds and come out as milliseconds."""

from collections.abc import Sequence
from typing import Any

import numpy as np


def summarise(latencies: Sequence[float], *, errors: int, elapsed: float) -> dict[str, Any]:
    """The figures of one measurement: `latencies` of the successful and failed operations
    (seconds), `errors` how many failed, `elapsed` the wall time of the measured phase."""
    values = np.asarray(latencies, dtype=float) * 1000.0
    count = int(values.size)
    if count == 0:
        return {"requests": 0, "errors": errors, "p50_ms": None, "p99_ms": None}
    return {
        "requests": count,
        "errors": errors,
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "mean_ms": round(float(values.mean()), 2),
        "max_ms": round(float(values.max()), 2),
        "rps": round(count / elapsed, 1) if elapsed > 0 else None,
    }
