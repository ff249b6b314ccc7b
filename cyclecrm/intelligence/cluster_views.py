"""The customer clusters page: the newest run's profiles side by side, the silhouette of every
k tried, and a "Save as segment" button per cluster."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.intelligence.cluster_selectors import ClusterOverview, cluster_overview
from cyclecrm.intelligence.cluster_services import (
    can_save_cluster_segment,
    cluster_segment_create,
)
from cyclecrm.web.errors import crm_view

# Features shown as money (two decimals); the others are day counts or counts.
MONEY_FEATURES = {"revenue", "average_order_value"}
DAY_FEATURES = {"recency_days", "tenure_days"}


def _number(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    if key in MONEY_FEATURES:
        return f"{value:,.2f}"
    if key in DAY_FEATURES:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def feature_rows(overview: ClusterOverview | None, overall: dict[str, float]) -> list[dict]:
    """One row per feature: its label and, per cluster, mean and median as text."""
    if overview is None:
        return []
    rows = []
    for feature in overview.features:
        key = feature["key"]
        cells = [
            {
                "mean": _number(key, profile["mean"].get(key)),
                "median": _number(key, profile["median"].get(key)),
            }
            for profile in overview.profiles
        ]
        rows.append(
            {"label": feature["label"], "cells": cells, "overall": _number(key, overall.get(key))}
        )
    return rows


@crm_view
def cluster_page(request: HttpRequest) -> HttpResponse:
    overview = cluster_overview(actor=request.user)
    overall: dict[str, Any] = overview.run.parameters.get("overall_mean", {}) if overview else {}
    context = {
        "overview": overview,
        "rows": feature_rows(overview, overall),
        "can_save": can_save_cluster_segment(request.user),
    }
    return render(request, "intelligence/clusters.html", context)


@crm_view
@require_POST
def cluster_save_segment(request: HttpRequest, number: int) -> HttpResponse:
    try:
        segment = cluster_segment_create(actor=request.user, number=number)
    except (NotFound, ValidationFailed) as exc:
        messages.error(request, exc.message)
        return redirect("intelligence_clusters")
    messages.success(request, f"Saved cluster {number} as the segment “{segment.name}”.")
    return redirect("segment_detail", pk=segment.pk)
