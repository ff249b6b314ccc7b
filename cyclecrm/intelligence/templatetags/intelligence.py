"""The intelligence cards on lead and contact pages, and small formatting helpers. The cards
read through intelligence.selectors, so the lead and contact views stay unchanged."""

from typing import Any

from django import template
from django.utils.html import format_html

from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level
from cyclecrm.intelligence import offer_selectors, selectors
from cyclecrm.intelligence.models import CustomerInsight, ModelRun
from cyclecrm.intelligence.vocab import RFM_GROUPS

register = template.Library()

BAND_STYLES = {"high": "text-bg-danger", "medium": "text-bg-warning", "low": "text-bg-success"}
FACTORS_SHOWN = 5


@register.filter
def percent(value: Any) -> str:
    """0.4234 → "42.3 %"; empty for None."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.1f} %"


@register.simple_tag
def churn_badge(insight: CustomerInsight) -> str:
    if insight.churn_probability is None:
        return "—"
    style = BAND_STYLES.get(insight.churn_band, "text-bg-secondary")
    return format_html(
        '<span class="badge {}">{}</span> {}',
        style,
        insight.churn_band.capitalize() or "Unbanded",
        percent(insight.churn_probability),
    )


def _factor_rows(factors: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for factor in factors[:FACTORS_SHOWN]:
        if not isinstance(factor, dict):
            continue
        contribution = factor.get("contribution")
        label = factor.get("label") or factor.get("feature", "")
        value = factor.get("value")
        rows.append(
            {
                "label": label,
                # A category is already named in the label ("Industry: Energy").
                "value": None if value is not None and f": {value}" in label else value,
                "contribution": contribution,
                "up": isinstance(contribution, int | float) and contribution > 0,
            }
        )
    return rows


def _may_read_models(user: Any) -> bool:
    return level(user, ModelRun.record_type, Action.READ) != Level.NONE


@register.simple_tag(takes_context=True)
def lead_prediction_card(context: template.Context, lead: Any) -> dict[str, Any] | None:
    """None (no card) for users who may not read the models."""
    user = context["request"].user
    if not _may_read_models(user):
        return None
    prediction = selectors.lead_prediction(actor=user, lead=lead)
    return {"prediction": prediction, "factors": _factor_rows(prediction.factors)}


@register.simple_tag(takes_context=True)
def customer_insight_card(context: template.Context, contact: Any) -> dict[str, Any] | None:
    user = context["request"].user
    if not _may_read_models(user):
        return None
    insight = selectors.customer_insight(actor=user, contact=contact)
    return {
        "insight": insight,
        "churn_factors": _factor_rows(insight.churn_factors or []) if insight else [],
        "offers": offer_selectors.offers_for_contact(actor=user, contact=contact),
        "clv_horizon": selectors.clv_horizon_label() if insight else None,
    }


@register.filter
def rfm_label(group: str) -> str:
    """The RFM group's label ("Can't lose them") for its stored key ("cant_lose")."""
    return RFM_GROUPS.get(group, group or "—")
