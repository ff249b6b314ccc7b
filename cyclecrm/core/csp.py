"""Per-response additions to the Content-Security-Policy of settings.CONTENT_SECURITY_POLICY.

The policy is strict for every page (docs/security.md, "Web hardening"); the few responses that
need one more source say so here, next to the reason, rather than loosening the whole site.
"""

from urllib.parse import urlsplit

from django.http import HttpResponse


def allow_form_redirect(response: HttpResponse, url: str) -> HttpResponse:
    """Let a form on this page end on `url`'s origin: browsers apply `form-action` to the
    redirect that follows a submission too (a capture form's thank-you page on the owner's
    site). Only http(s) origins are added; anything else leaves the policy unchanged."""
    parts = urlsplit(url or "")
    if parts.scheme in {"http", "https"} and parts.netloc:
        # The attribute django-csp's @csp_update decorator sets; merged into the policy.
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # type: ignore[attr-defined]
    return response
