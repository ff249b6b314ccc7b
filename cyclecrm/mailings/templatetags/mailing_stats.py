"""Formatting of the A/B results on the mailing page."""

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.1234 -> "12.3 %", signed differences keep their sign; None -> "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f} %"


@register.filter
def signed_percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.1f} pp"


@register.filter
def p_value(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
