"""The UTM link builder: a landing page URL plus the campaign's UTM parameters.

Existing query parameters and the fragment are kept in place; a `utm_*` parameter already in
the URL is replaced by the one built (never duplicated)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import transaction

from cyclecrm.campaigns.models import Campaign, UtmLink
from cyclecrm.campaigns.services.campaigns import require_edit
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.identity.models import User

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
REQUIRED = ("utm_source", "utm_medium", "utm_campaign")
MAX_URL = 2000
MAX_PARAM = 200


@dataclass(frozen=True)
class BuiltLink:
    base_url: str
    params: dict[str, str]
    url: str


def _check_base(base_url: str, errors: FieldErrors) -> None:
    if not base_url:
        errors.add("base_url", "This field is required.")
        return
    if len(base_url) > MAX_URL:
        errors.add("base_url", f"At most {MAX_URL} characters.")
        return
    if any(ch.isspace() or not ch.isprintable() for ch in base_url):
        errors.add("base_url", "A URL cannot contain spaces or control characters.")
        return
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        errors.add("base_url", "Not a valid URL.")
        return
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        errors.add("base_url", "Use an http:// or https:// address with a host name.")


def utm_build(*, base_url: str, campaign: Campaign | None = None, **params: Any) -> BuiltLink:
    """Build the tracked URL (no database writes). `utm_campaign` defaults to the campaign's
    code; 422 names `base_url` or the parameter at fault."""
    errors = FieldErrors()
    base_url = str(base_url or "").strip()
    _check_base(base_url, errors)
    unknown = sorted(set(params) - set(UTM_KEYS))
    for name in unknown:
        errors.add(name, "Unknown field.")
    values = {key: " ".join(str(params.get(key) or "").split()) for key in UTM_KEYS}
    if not values["utm_campaign"] and campaign is not None:
        values["utm_campaign"] = campaign.code
    for key in UTM_KEYS:
        if key in REQUIRED and not values[key]:
            errors.add(key, "This field is required.")
        elif len(values[key]) > MAX_PARAM:
            errors.add(key, f"At most {MAX_PARAM} characters.")
    errors.raise_if_any()
    parts = urlsplit(base_url)
    given = {key: value for key, value in values.items() if value}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in given]
    query = urlencode(kept + list(given.items()))
    return BuiltLink(base_url=base_url, params=values, url=urlunsplit(parts._replace(query=query)))


def utm_link_create(*, actor: User, campaign: Campaign, base_url: str, **params: Any) -> UtmLink:
    """Build and save a tracked link on the campaign."""
    require_edit(actor, campaign)
    built = utm_build(base_url=base_url, campaign=campaign, **params)
    link = UtmLink(campaign=campaign, base_url=built.base_url, url=built.url, **built.params)
    link.created_by = actor
    with transaction.atomic():
        link.save()
    return link


def utm_link_delete(*, actor: User, campaign: Campaign, link_id: int) -> None:
    require_edit(actor, campaign)
    deleted, _ = UtmLink.objects.filter(campaign=campaign, pk=link_id).delete()
    if not deleted:
        raise ValidationFailed(fields={"link_id": ["No link with this id on the campaign."]})
