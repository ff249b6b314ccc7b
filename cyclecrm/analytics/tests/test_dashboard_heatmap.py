"""The cohort heatmap reads the retention_cohorts matrix (cells keyed by cohort and offset)."""

from cyclecrm.analytics.panels import heatmap


def test_cells_become_rows_aligned_to_the_offsets():
    matrix = {
        "cohorts": ["2026-01-01", "2026-02-01"],
        "offsets": [1, 2],
        "cells": [
            {"cohort": "2026-01-01", "offset": 1, "rate": 50.0, "customers": 2},
            {"cohort": "2026-01-01", "offset": 2, "rate": 25.0, "customers": 1},
            {"cohort": "2026-02-01", "offset": 1, "rate": 10.0, "customers": 1},
        ],
    }
    data = heatmap(matrix)
    assert data["offsets"] == [1, 2]
    assert data["rows"] == [
        {"cohort": "2026-01-01", "size": None, "rates": [50.0, 25.0]},
        {"cohort": "2026-02-01", "size": None, "rates": [10.0, None]},  # month +2 lies ahead
    ]
