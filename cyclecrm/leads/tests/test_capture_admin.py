"""Managing capture forms through the API and the settings pages, with the rights they need."""

import pytest
from django.urls import reverse

from cyclecrm.core.models import HistoryEntry
from cyclecrm.leads.capture.testing import make_capture_form, submit_json
from cyclecrm.leads.models import CaptureForm, FormSubmission

pytestmark = pytest.mark.django_db

NEW_FORM = {
    "name": "Demo request",
    "fields": ["first_name", "last_name", "email", "company"],
    "required_fields": ["email"],
    "consent_text": "Yes, e-mail me.",
    "source": "web_form",
    "campaign_name": "Demo 2025",
}


# -- API --------------------------------------------------------------------------------------


def test_marketer_creates_reads_updates_and_deletes_a_form(api_client, marketer):
    client = api_client(marketer)
    # create
    response = client.post("/api/v1/capture-forms", NEW_FORM, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["fields"] == NEW_FORM["fields"]
    assert body["public_path"] == f"/f/{body['public_key']}/"
    assert body["submit_path"] == f"/api/v1/forms/{body['public_key']}/submit"
    assert body["max_per_ip_per_hour"] == 10 and body["is_active"] is True
    form_id = body["id"]
    assert HistoryEntry.objects.filter(record_type="capture_form", object_id=form_id).exists()
    # read and list
    assert client.get(f"/api/v1/capture-forms/{form_id}").json()["name"] == "Demo request"
    assert [item["id"] for item in client.get("/api/v1/capture-forms").json()["items"]] == [form_id]
    # deactivate
    response = client.patch(
        f"/api/v1/capture-forms/{form_id}",
        {"version": 1, "is_active": False},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert submit_json(body["public_key"], {"email": "a@example.com"}).status_code == 404
    # delete
    assert client.delete(f"/api/v1/capture-forms/{form_id}").status_code == 204
    assert not CaptureForm.objects.filter(pk=form_id).exists()


def test_sales_rep_may_read_but_not_change_forms(api_client, rep_a):
    form = make_capture_form()
    client = api_client(rep_a)
    assert client.get(f"/api/v1/capture-forms/{form.pk}").status_code == 200
    created = client.post("/api/v1/capture-forms", NEW_FORM, content_type="application/json")
    assert created.status_code == 403
    patched = client.patch(
        f"/api/v1/capture-forms/{form.pk}",
        {"version": 1, "name": "x"},
        content_type="application/json",
    )
    assert patched.status_code == 403
    assert client.delete(f"/api/v1/capture-forms/{form.pk}").status_code == 403
    assert client.get(f"/api/v1/capture-forms/{form.pk}/submissions").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fields": []}, "fields"),
        ({"fields": ["description"]}, "fields"),
        ({"fields": ["password"]}, "fields.0"),
        ({"required_fields": ["phone"]}, "required_fields"),
        ({"double_opt_in": True, "consent_text": ""}, "double_opt_in"),
        ({"double_opt_in": True, "required_fields": []}, "double_opt_in"),
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
        ({"max_per_hour": 0}, "max_per_hour"),
        ({"name": "   "}, "name"),
        ({"public_key": "mine"}, "public_key"),
    ],
)
def test_invalid_form_definitions_are_422(api_client, admin, change, field):
    response = api_client(admin).post(
        "/api/v1/capture-forms", {**NEW_FORM, **change}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_submissions_are_listed_newest_first_for_managers(api_client, admin):
    form = make_capture_form()
    submit_json(form, {"email": "one@example.com"})
    submit_json(form, {"email": "two@example.com", "website_url": "bot"})
    response = api_client(admin).get(f"/api/v1/capture-forms/{form.pk}/submissions")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["status"] for item in items] == ["rejected", "accepted"]
    assert items[1]["lead_id"] is not None
    only = api_client(admin).get(f"/api/v1/capture-forms/{form.pk}/submissions?status=accepted")
    assert [item["status"] for item in only.json()["items"]] == ["accepted"]


# -- settings pages ---------------------------------------------------------------------------


def _post_data(**overrides):
    data = {
        "name": "Webinar sign-up",
        "source": "event",
        "campaign_name": "Webinar",
        "show_fields": ["first_name", "email", "company"],
        "require_fields": ["email"],
        "consent_text": "",
        "thank_you_message": "See you there!",
        "redirect_url": "",
        "max_per_ip_per_hour": "5",
        "max_per_hour": "100",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_marketer_creates_a_form_on_the_settings_page(web_client, marketer):
    client = web_client(marketer)
    assert client.get(reverse("capture_form_create")).status_code == 200
    response = client.post(reverse("capture_form_create"), _post_data())
    form = CaptureForm.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("capture_form_detail", args=[form.pk])
    assert form.fields == ["first_name", "email", "company"]
    assert (form.source, form.max_per_ip_per_hour, form.created_by) == ("event", 5, marketer)


def test_service_errors_show_on_the_settings_page(web_client, admin):
    response = web_client(admin).post(
        reverse("capture_form_create"), _post_data(show_fields=["description"])
    )
    assert response.status_code == 200
    assert "Include at least one of" in response.content.decode()
    assert not CaptureForm.objects.exists()


def test_editing_keeps_the_field_order_set_through_the_api(web_client, admin):
    form = make_capture_form(fields=["email", "first_name"], required_fields=["email"])
    response = web_client(admin).post(
        reverse("capture_form_edit", args=[form.pk]),
        {**_post_data(show_fields=["first_name", "email", "country"]), "version": 1},
    )
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.fields == ["email", "first_name", "country"]


def test_deactivate_and_reactivate(web_client, admin):
    form = make_capture_form()
    client = web_client(admin)
    client.post(reverse("capture_form_active", args=[form.pk]), {"active": "0", "version": 1})
    form.refresh_from_db()
    assert form.is_active is False
    client.post(reverse("capture_form_active", args=[form.pk]), {"active": "1", "version": 2})
    form.refresh_from_db()
    assert form.is_active is True


def test_sales_rep_cannot_create_or_edit_on_the_settings_pages(web_client, rep_a):
    form = make_capture_form()
    client = web_client(rep_a)
    assert client.get(reverse("capture_form_list")).status_code == 200
    assert client.get(reverse("capture_form_create")).status_code == 403
    assert client.post(reverse("capture_form_create"), _post_data()).status_code == 403
    assert client.get(reverse("capture_form_edit", args=[form.pk])).status_code == 403
    edit = client.post(reverse("capture_form_edit", args=[form.pk]), _post_data())
    assert edit.status_code == 403
    assert client.post(reverse("capture_form_active", args=[form.pk])).status_code == 403
    assert CaptureForm.objects.count() == 1
    # the detail page shows the form, but not what people submitted
    detail = client.get(reverse("capture_form_detail", args=[form.pk]))
    assert detail.status_code == 200
    assert 'id="submissions"' not in detail.content.decode()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("capture_form_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_detail_page_shows_url_snippet_curl_and_submissions(web_client, marketer):
    form = make_capture_form(consent_text="E-mail me", max_per_ip_per_hour=50)
    submit_json(form, {"email": "ada@example.com", "first_name": "Ada", "utm_source": "ads"})
    submit_json(form, {"email": "bot@example.com", "website_url": "x"})
    response = web_client(marketer).get(reverse("capture_form_detail", args=[form.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    public_url = f"http://testserver/f/{form.public_key}/"
    assert public_url in page
    assert f"&lt;form method=&quot;post&quot; action=&quot;{public_url}&quot;" in page
    assert "name=&quot;website_url&quot;" in page
    assert "name=&quot;utm_campaign&quot;" in page
    assert f"curl -X POST http://testserver/api/v1/forms/{form.public_key}/submit" in page
    assert "ada@example.com" in page
    assert "Honeypot field filled in" in page
    assert 'data-copy-target="#embed-snippet"' in page
    assert "<script>" not in page


def test_detail_page_pages_through_submissions(web_client, admin, settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "UI_PAGE_SIZE": 2}
    form = make_capture_form(max_per_ip_per_hour=100)
    for n in range(3):
        submit_json(form, {"email": f"p{n}@example.com"})
    client = web_client(admin)
    first = client.get(reverse("capture_form_detail", args=[form.pk]))
    cursor = first.context["next_cursor"]
    assert cursor and len(first.context["submissions"]) == 2
    second = client.get(reverse("capture_form_detail", args=[form.pk]), {"cursor": cursor})
    assert [item["email"] for item in second.context["submissions"]] == ["p0@example.com"]
    assert FormSubmission.objects.count() == 3
