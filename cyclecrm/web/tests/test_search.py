"""Global search: permission-scoped, grouped by record type, ten per group."""

from django.urls import reverse

from cyclecrm.core.testing.factories import make_account, make_contact


def test_results_are_grouped_counted_and_limited(web_client, rep_a):
    for n in range(12):
        make_contact(owner=rep_a, last_name=f"Nakamura{n:02d}")
    make_account(owner=rep_a, name="Nakamura Trading")
    response = web_client(rep_a).get(reverse("search"), {"q": "nakamura"})
    groups = {group.ui.name: group for group in response.context["groups"]}
    assert groups["contact"].total == 12
    assert len(groups["contact"].hits) == 10
    assert groups["account"].total == 1
    body = response.content.decode()
    assert reverse("contact_list") + "?q=nakamura" in body
    assert "See all 12 contacts" in body
    assert reverse("account_detail", args=[groups["account"].hits[0].record.pk]) in body


def test_search_only_finds_what_the_user_may_read(web_client, rep_a, rep_b, support_agent):
    make_contact(owner=rep_a, last_name="Okonkwo", email="okonkwo@example.com")
    assert (
        "Okonkwo" not in web_client(rep_b).get(reverse("search"), {"q": "okonkwo"}).content.decode()
    )
    assert (
        "Okonkwo"
        in web_client(support_agent).get(reverse("search"), {"q": "okonkwo"}).content.decode()
    )


def test_hidden_fields_are_not_shown_in_results(web_client, rep_a):
    from cyclecrm.identity.models import Role

    Role.objects.filter(name="sales_rep").update(field_rules={"contact": {"email": "hidden"}})
    make_contact(owner=rep_a, last_name="Okafor", email="secret-okafor@example.com")
    body = web_client(rep_a).get(reverse("search"), {"q": "okafor"}).content.decode()
    assert "Okafor" in body and "secret-okafor" not in body


def test_empty_query_shows_a_hint_and_no_results(web_client, rep_a):
    make_contact(owner=rep_a)
    response = web_client(rep_a).get(reverse("search"))
    assert response.status_code == 200
    assert response.context["groups"] == []
    assert "Type a name" in response.content.decode()


def test_search_requires_login(client):
    response = client.get(reverse("search"), {"q": "x"})
    assert response.status_code == 302


def test_counts_stop_at_the_cap(web_client, rep_a, monkeypatch):
    from cyclecrm.web import search

    monkeypatch.setattr(search, "TOTAL_CAP", 3)
    for n in range(5):
        make_contact(owner=rep_a, last_name=f"Abernathy{n}")
    response = web_client(rep_a).get(reverse("search"), {"q": "abernathy"})
    group = {group.ui.name: group for group in response.context["groups"]}["contact"]
    assert group.total == 4 and group.capped and group.total_label == "3+"
    assert ">3+</span>" in response.content.decode()
