"""The contact list's "Add to list" menu: every static list the viewer may edit."""

from typing import Any

from django import template

from cyclecrm.segments import selectors

register = template.Library()


@register.inclusion_tag("segments/_add_matching.html", takes_context=True)
def add_matching_menu(context: dict[str, Any], query: str) -> dict[str, Any]:
    request = context["request"]
    lists = list(selectors.editable_static_lists(actor=request.user)[:50])
    return {"lists": lists, "query": query, "csrf_token": context.get("csrf_token")}
