"""The version a web form read, and the form error of a stale one (ADR 0005, ADR 0037).

An edit form carries the record's `version` in a hidden input (`web/_version_input.html`); the
view passes `posted_version(request)` to the service, which refuses a stale one with
`VersionConflict`; `stale_version_error` turns that into an error at the top of the form
instead of overwriting the other person's change.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest

STALE_MESSAGE = (
    "Someone else changed this {noun} while you were editing it, so your changes were not "
    "saved. Reload the page to see their version, then make your changes again."
)


def posted_version(request: HttpRequest) -> int | None:
    """The `version` input of the posted form; None when missing or not a number (the
    service then answers that the version is required)."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def stale_version_error(form: forms.Form, noun: str) -> None:
    form.add_error(None, STALE_MESSAGE.format(noun=noun))


def stale_version_message(request: HttpRequest, noun: str) -> None:
    """The same error for a one-button form (activate, deactivate), shown on the next page."""
    messages.error(request, STALE_MESSAGE.format(noun=noun))
