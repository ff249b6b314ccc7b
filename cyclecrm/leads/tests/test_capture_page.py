"""The public page /f/<key>/: rendering for anonymous visitors, posting without CSRF (embeds),
the signed form token, error re-rendering, thank-you and redirect."""

import pytest
from django.test import Client

from cyclecrm.leads.capture.ratelimit import ip_fingerprint
from cyclecrm.leads.capture.testing import make_capture_form, submit_page
from cyclecrm.leads.capture.tokens import form_token_valid
from cyclecrm.leads.models import FormSubmission, Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def form():
    return make_capture_form(
        fields=["first_name", "email", "timeline_horizon", "description"],
        required_fields=["email"],
        consent_text="E-mail me news.",
        thank_you_message="Thanks, we will call you.",
        max_per_ip_per_hour=4,
    )


def test_public_page_renders_for_anonymous_visitors_with_honeypot_and_utm(form):
    response = Client().get(
        f"/f/{form.public_key}/?utm_source=news&utm_campaign=spring%20sale&utm_term=%3Cb%3E"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="website_url"' in page and 'tabindex="-1"' in page and 'class="capture-hp"' in page
    assert '<input type="hidden" name="utm_source" value="news">' in page
    assert '<input type="hidden" name="utm_campaign" value="spring sale">' in page
    assert '<input type="hidden" name="utm_term" value="&lt;b&gt;">' in page
    assert '<input type="hidden" name="utm_medium" value="">' in page
    assert 'name="consent"' in page and "E-mail me news." in page
    assert 'name="timeline_horizon"' in page
    assert "<script" not in page
    assert "navbar" not in page  # standalone, not the signed-in layout
    assert response["Cache-Control"].startswith("max-age=0")
    token = response.context["token"]
    assert form_token_valid(form.public_key, token)


def test_posting_the_page_without_csrf_creates_the_lead_and_thanks(form):
    token = Client().get(f"/f/{form.public_key}/").context["token"]
    response = submit_page(
        form,
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "timeline_horizon": "quarter",
            "consent": "1",
            "utm_source": "news",
            "utm_medium": "",
            "website_url": "",
            "form_token": token,
        },
    )
    assert response.status_code == 200
    assert b"Thanks, we will call you." in response.content
    lead = Lead.objects.get()
    assert (lead.email, lead.timeline_horizon, lead.utm_source) == (
        "ada@example.com",
        "quarter",
        "news",
    )
    assert lead.consent_email is True
    assert FormSubmission.objects.get().data["form_token"] is True


def test_errors_re_render_the_form_with_the_values(form):
    response = submit_page(form, {"first_name": "Ada", "email": "nope", "utm_source": "news"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="Ada"' in page
    assert "is-invalid" in page
    assert '<input type="hidden" name="utm_source" value="news">' in page
    assert Lead.objects.count() == 0 and FormSubmission.objects.count() == 0


def test_honeypot_on_the_page_shows_the_thank_you_page(form):
    response = submit_page(form, {"email": "bot@example.com", "website_url": "http://x"})
    assert response.status_code == 200
    assert b"Thanks, we will call you." in response.content
    assert Lead.objects.count() == 0


def test_rate_limited_page_is_429_with_retry_after(form):
    ip = "198.51.100.9"
    for n in range(2):  # no token: half of 4
        assert submit_page(form, {"email": f"p{n}@example.com"}, ip=ip).status_code == 200
    response = submit_page(form, {"email": "third@example.com"}, ip=ip)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many submissions" in response.content
    assert not Lead.objects.filter(email="third@example.com").exists()
    assert FormSubmission.objects.filter(ip_hash=ip_fingerprint(ip)).count() == 3


def test_redirect_url_sends_the_browser_on(form):
    form.redirect_url = "https://example.com/thanks"
    form.save()
    response = submit_page(form, {"email": "ada@example.com"})
    assert response.status_code == 303
    assert response["Location"] == "https://example.com/thanks"


def test_unknown_or_inactive_form_page_is_404():
    inactive = make_capture_form(is_active=False)
    for key in ("missing", inactive.public_key):
        response = Client().get(f"/f/{key}/")
        assert response.status_code == 404
        assert b"Form not found" in response.content
    assert submit_page(inactive, {"email": "a@example.com"}).status_code == 404
