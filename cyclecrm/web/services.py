"""Writes of web-interface state: saved list views (private to their user)."""

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils import timezone

from cyclecrm.core.errors import FieldErrors, NotFound
from cyclecrm.identity.models import User
from cyclecrm.web.models import SavedView

# Parameters that describe a position in a list rather than the list itself.
_TRANSIENT_PARAMS = {"cursor", "csrfmiddlewaretoken"}
NAME_MAX = 100
QUERY_MAX = 4000


def clean_query(query: str) -> str:
    """The list's query string without the page position, in a stable form."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    return urlencode(
        [(key, value) for key, value in pairs if key not in _TRANSIENT_PARAMS], safe=","
    )


def saved_view_save(*, actor: User, record_type: str, name: str, query: str) -> SavedView:
    """Save the current list as a named view; saving an existing name replaces its query."""
    errors = FieldErrors()
    name = " ".join((name or "").split())
    if not name:
        errors.add("name", "Give the view a name.")
    elif len(name) > NAME_MAX:
        errors.add("name", f"At most {NAME_MAX} characters.")
    query = clean_query(query or "")
    if len(query) > QUERY_MAX:
        errors.add("query", "This list has too many filters to save.")
    errors.raise_if_any()
    with transaction.atomic():
        view, _ = SavedView.objects.update_or_create(
            user=actor,
            record_type=record_type,
            name=name,
            defaults={"query": query, "updated_at": timezone.now()},
        )
    return view


def saved_view_delete(*, actor: User, view: SavedView) -> None:
    """Delete one of the actor's own views (the selector already refused anyone else's)."""
    if view.user_id != actor.pk:
        raise NotFound("No saved view with this id.")
    view.delete()
