"""Small helpers of the catalog pages."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.utils.safestring import SafeString

from cyclecrm.core.errors import Conflict, Forbidden
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.web.records.display import EMPTY, record_link


def link_html(actor: Any, record: Any) -> SafeString:
    """A link to `record` if the actor may read it; its name alone otherwise never leaks."""
    if record is None or not access.can(actor, Action.READ, record):
        return EMPTY
    return record_link(record)


def protect_conflict(func: Callable[..., Any]) -> Callable[..., Any]:
    """For the generic record views, which show 403/404 pages but not conflicts: a rule that
    refuses the change (e.g. deleting a sent quote) becomes a 403 with its message."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Conflict as exc:
            raise Forbidden(exc.message) from exc

    return wrapper
