"""The dashboard pages and their panels: which metric, drawn how, grouped how.

Metric names are the catalog's (kpis/*.py); a panel whose metric is not registered is skipped,
so a page never breaks on a missing definition. Each page takes the same filters (date range
with comparison, team, owner, pipeline, campaign, segment).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    metric: str
    chart: str = "number"  # see definitions.CHARTS
    group_by: str | None = None
    split_by: str | None = None
    title: str | None = None  # default: the metric's label
    width: int = 4  # Bootstrap columns out of 12


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    icon: str
    panels: tuple[Panel, ...]


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "overview",
        "Executive overview",
        "speedometer",
        (
            Panel("new_leads", "number", width=3),
            Panel("opportunity_win_rate", "number", width=3),
            Panel("weighted_pipeline", "number", width=3),
            Panel("churn_rate", "number", width=3),
            Panel("lead_funnel", "funnel", group_by="step", width=6),
            Panel("forecast_vs_quota", "gauge", width=6),
            Panel("cac", "number", width=3),
            Panel("cltv", "number", width=3),
            Panel("cltv_to_cac", "number", width=3),
            Panel("nps", "number", width=3),
            Panel("new_leads", "line", group_by="month", width=6, title="New leads per month"),
            Panel("average_order_value", "line", group_by="month", width=6),
        ),
    ),
    Dashboard(
        "marketing",
        "Marketing",
        "megaphone",
        (
            Panel("new_leads", "stacked_area", group_by="week", split_by="source", width=8),
            Panel("new_leads", "bar", group_by="source", width=4, title="New leads by source"),
            Panel("lead_funnel", "funnel", group_by="step", width=6),
            Panel("new_leads", "hbar", group_by="campaign", width=6, title="New leads by campaign"),
            Panel("lead_conversion_rate", "number", width=3),
            Panel("lead_to_mql_rate", "number", width=3),
            Panel("mql_to_sql_rate", "number", width=3),
            Panel("sql_to_opportunity_rate", "number", width=3),
            Panel("cost_per_lead", "number", width=3),
            Panel("cac", "number", width=3),
            Panel("campaign_roi", "hbar", group_by="campaign", width=6),
            Panel("email_open_rate", "number", width=4),
            Panel("email_click_rate", "number", width=4),
            Panel("click_to_open_rate", "number", width=4),
            Panel("unsubscribe_rate", "number", width=4),
            Panel("bounce_rate", "number", width=4),
            Panel("form_conversion_rate", "number", width=4),
        ),
    ),
    Dashboard(
        "sales",
        "Sales",
        "graph-up-arrow",
        (
            Panel("pipeline_value", "number", width=3),
            Panel("weighted_pipeline", "number", width=3),
            Panel("opportunity_win_rate", "number", width=3),
            Panel("avg_deal_size", "number", width=3),
            Panel("pipeline_value", "bar", group_by="stage", width=6, title="Pipeline by stage"),
            Panel("stage_distribution", "funnel", group_by="stage", width=6),
            Panel("avg_days_in_stage", "hbar", group_by="stage", width=6),
            Panel("forecast_vs_quota", "gauge", width=6),
            Panel("sales_cycle_length", "line", group_by="month", width=6),
            Panel("customer_stage_distribution", "bar", group_by="lifecycle_stage", width=6),
            Panel("onboarding_completion_rate", "gauge", width=6),
            Panel(
                "opportunity_win_rate", "bar", group_by="owner", width=6, title="Win rate by owner"
            ),
        ),
    ),
    Dashboard(
        "service",
        "Service",
        "life-preserver",
        (
            Panel("cases_opened", "number", width=4),
            Panel("cases_resolved", "number", width=4),
            Panel("case_backlog", "number", width=4),
            Panel("first_response_time", "number", width=4),
            Panel("resolution_time", "number", width=4),
            Panel("sla_compliance", "gauge", width=4),
            Panel("cases_opened", "stacked_area", group_by="week", split_by="channel", width=8),
            Panel("cases_opened", "bar", group_by="priority", width=4, title="Cases by priority"),
            Panel("csat", "line", group_by="month", width=6),
            Panel("nps", "line", group_by="month", width=6, title="NPS trend"),
        ),
    ),
    Dashboard(
        "retention",
        "Retention and value",
        "arrow-repeat",
        (
            Panel("churn_rate", "number", width=3),
            Panel("repeat_purchase_rate", "number", width=3),
            Panel("average_order_value", "number", width=3),
            Panel("cltv_to_cac", "number", width=3),
            Panel("retention_cohorts", "heatmap", width=12),
            Panel("cltv", "number", width=3),
            Panel("predicted_cltv", "number", width=3),
            Panel("loyalty_redemption_rate", "gauge", width=3),
            Panel("referral_conversion_rate", "number", width=3),
            Panel("revenue", "hbar", group_by="segment", width=6, title="Revenue by segment"),
            Panel("referrals", "line", group_by="month", width=6),
        ),
    ),
)


def dashboard_get(slug: str) -> Dashboard | None:
    return next((item for item in DASHBOARDS if item.slug == slug), None)
