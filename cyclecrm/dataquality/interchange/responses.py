"""HTTP downloads of vCards and calendars, shared by the API and the web views."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.dataquality.interchange.vcard import VERSIONS, contact_card, contacts_vcf
from cyclecrm.identity.access import access_for

VCARD_TYPE = "text/vcard; charset=utf-8"
ICS_TYPE = "text/calendar; charset=utf-8"
ICS_RESPONSE_DOC = {
    "responses": {"200": {"description": "iCalendar text.", "content": {"text/calendar": {}}}}
}


def parse_version(value: str | None) -> str:
    version = (value or "3.0").strip()
    if version not in VERSIONS:
        message = f"Choose one of: {', '.join(VERSIONS)}."
        raise ValidationFailed(message, fields={"version": [message]})
    return version


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> Any:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def vcard_response(actor: Any, contact: Any, version: str) -> HttpResponse:
    hidden = access_for(actor).hidden_fields(contact.record_type)
    body = contact_card(contact, version, hidden)
    return _attachment(HttpResponse(body, content_type=VCARD_TYPE), f"contact-{contact.pk}.vcf")


def vcard_list_response(actor: Any, queryset: QuerySet, version: str) -> StreamingHttpResponse:
    hidden = access_for(actor).hidden_fields(queryset.model.record_type)
    rows = queryset.iterator(chunk_size=2000)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(contacts_vcf(rows, version, hidden), content_type=VCARD_TYPE)
    return _attachment(response, f"contacts-{stamp}.vcf")


def ics_response(body: str, filename: str) -> HttpResponse:
    return _attachment(HttpResponse(body, content_type=ICS_TYPE), filename)
