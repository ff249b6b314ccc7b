"""Saved list views are private: only their owner can list, open or delete them."""

from django.urls import reverse

from cyclecrm.web.models import SavedView


def _save(client, name: str, query: str, record_type: str = "contact"):
    return client.post(
        reverse("saved_view_create"), {"record_type": record_type, "name": name, "query": query}
    )


def test_saving_a_view_stores_the_query_without_the_page_position(web_client, rep_a):
    response = _save(
        web_client(rep_a), " My  leads ", "lifecycle_stage=lead&cursor=abc&cols=name,email"
    )
    view = SavedView.objects.get()
    assert (view.user, view.record_type, view.name) == (rep_a, "contact", "My leads")
    assert view.query == "lifecycle_stage=lead&cols=name,email"
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_list") + "?" + view.query


def test_saving_under_an_existing_name_replaces_the_query(web_client, rep_a):
    client = web_client(rep_a)
    _save(client, "Mine", "country=DE")
    _save(client, "Mine", "country=FR")
    assert list(SavedView.objects.values_list("query", flat=True)) == ["country=FR"]


def test_a_view_needs_a_name_and_a_known_list(web_client, rep_a):
    client = web_client(rep_a)
    assert _save(client, "  ", "country=DE").status_code == 302
    assert _save(client, "x", "country=DE", record_type="nonsense").status_code == 404
    assert not SavedView.objects.exists()


def test_views_are_listed_opened_and_deleted_only_by_their_owner(web_client, rep_a, rep_b):
    owner, other = web_client(rep_a), web_client(rep_b)
    _save(owner, "North leads", "lifecycle_stage=lead")
    view = SavedView.objects.get()
    assert "North leads" in owner.get(reverse("contact_list")).content.decode()
    assert "North leads" not in other.get(reverse("contact_list")).content.decode()
    assert other.get(reverse("saved_view_open", args=[view.pk])).status_code == 404
    assert other.post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    opened = owner.get(reverse("saved_view_open", args=[view.pk]))
    assert opened["Location"] == reverse("contact_list") + "?lifecycle_stage=lead"
    deleted = owner.post(reverse("saved_view_delete", args=[view.pk]))
    assert deleted.status_code == 302
    assert not SavedView.objects.exists()


def test_delete_needs_post(web_client, rep_a):
    view = SavedView.objects.create(user=rep_a, record_type="contact", name="x", query="")
    assert web_client(rep_a).get(reverse("saved_view_delete", args=[view.pk])).status_code == 405
    assert SavedView.objects.exists()
