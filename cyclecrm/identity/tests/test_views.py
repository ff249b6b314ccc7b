"""Settings pages: each needs its right; forms go through the services and show their errors."""

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse

from cyclecrm.contacts.selectors import contact_list
from cyclecrm.core.models import CustomField
from cyclecrm.core.testing.factories import make_contact, make_team, make_user
from cyclecrm.identity.models import ApiToken, Role, Team, User
from cyclecrm.identity.services import token_create
from cyclecrm.identity.tokens import token_digest

pytestmark = pytest.mark.django_db

PASSWORD = "a much better passphrase 7"


class SelectValues(HTMLParser):
    """The value each <select> of a page submits: the selected option, else the first."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select:
            first = self._select not in self.values
            if first or "selected" in attributes:
                self.values[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def select_values(html: str) -> dict[str, str]:
    parser = SelectValues()
    parser.feed(html)
    return parser.values


# --- who may open what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["user_list", "user_create", "team_list", "team_create", "role_list", "custom_field_list"],
)
def test_admin_opens_every_settings_page(admin, web_client, url_name):
    response = web_client(admin).get(reverse(url_name))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "url_name", ["user_create", "team_create", "role_list", "custom_field_create", "explain_access"]
)
def test_sales_rep_is_refused_admin_pages(rep_a, web_client, url_name):
    response = web_client(rep_a).get(reverse(url_name))

    assert response.status_code == 403


def test_sales_rep_is_refused_edit_pages_of_existing_rows(rep_a, rep_b, teams, web_client):
    client = web_client(rep_a)
    role = Role.objects.get(name="sales_rep")
    field = CustomField.objects.create(record_type="contact", key="k", label="K", kind="text")

    urls = [
        reverse("user_edit", args=[rep_b.pk]),
        reverse("user_password", args=[rep_b.pk]),
        reverse("team_edit", args=[teams["north"].pk]),
        reverse("role_edit", args=[role.pk]),
        reverse("custom_field_edit", args=[field.pk]),
    ]

    assert [client.post(url, {}).status_code for url in urls] == [403] * len(urls)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("user_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_directory_lists_are_read_only_for_a_sales_rep(rep_a, web_client):
    response = web_client(rep_a).get(reverse("user_list"))

    assert response.status_code == 200
    assert reverse("user_create") not in response.content.decode()
    assert reverse("user_edit", args=[rep_a.pk]) not in response.content.decode()


# --- users --------------------------------------------------------------------------------------


def test_user_list_searches_and_paginates(admin, web_client):
    for n in range(30):
        make_user(f"person{n:02d}")
    client = web_client(admin)

    first = client.get(reverse("user_list")).content.decode()
    second = client.get(reverse("user_list"), {"page": 2}).content.decode()
    found = client.get(reverse("user_list"), {"q": "person07"}).content.decode()

    assert "person00" in first and "person29" not in first
    assert "person29" in second and "person00" not in second
    assert "person07" in found and "person08" not in found


def test_admin_creates_a_user_with_roles_and_teams(admin, teams, web_client):
    response = web_client(admin).post(
        reverse("user_create"),
        {
            "username": "dora",
            "email": "Dora@Example.com",
            "first_name": "Dora",
            "roles": ["sales_rep", "marketer"],
            "teams": [teams["north"].pk],
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    dora = User.objects.get(username="dora")
    assert response.status_code == 302
    assert response.url == reverse("user_edit", args=[dora.pk])
    assert set(dora.roles.values_list("name", flat=True)) == {"sales_rep", "marketer"}
    assert list(dora.teams.all()) == [teams["north"]]
    assert dora.email == "dora@example.com"
    assert dora.check_password(PASSWORD)


def test_user_create_shows_service_errors_inline(admin, rep_a, web_client):
    response = web_client(admin).post(
        reverse("user_create"),
        {"username": "rep_a", "password1": "123", "password2": "123"},
    )

    assert response.status_code == 200
    assert "A user with this username already exists." in response.content.decode()
    assert User.objects.filter(username__iexact="rep_a").count() == 1


def test_user_create_rejects_a_weak_password_next_to_the_field(admin, web_client):
    response = web_client(admin).post(
        reverse("user_create"), {"username": "eve", "password1": "1234", "password2": "1234"}
    )

    form = response.context["form"]
    assert form.errors["password1"]
    assert not User.objects.filter(username="eve").exists()


def test_admin_edits_roles_teams_and_deactivates(admin, rep_a, teams, web_client):
    response = web_client(admin).post(
        reverse("user_edit", args=[rep_a.pk]),
        {"username": "rep_a", "roles": ["manager"], "teams": [teams["south"].pk], "version": 1},
    )

    rep_a.refresh_from_db()
    assert response.status_code == 302
    assert not rep_a.is_active
    assert list(rep_a.roles.values_list("name", flat=True)) == ["manager"]
    assert list(rep_a.teams.all()) == [teams["south"]]


def test_admin_sets_a_password(admin, rep_a, web_client):
    client = web_client(admin)
    url = reverse("user_password", args=[rep_a.pk])

    mismatch = client.post(url, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    done = client.post(url, {"password1": PASSWORD, "password2": PASSWORD, "version": 1})

    rep_a.refresh_from_db()
    assert mismatch.status_code == 200 and "The two passwords differ." in mismatch.content.decode()
    assert done.status_code == 302
    assert rep_a.check_password(PASSWORD)


# --- teams --------------------------------------------------------------------------------------


def test_team_list_shows_the_tree_with_managers_and_members(admin, manager, rep_a, web_client):
    html = web_client(admin).get(reverse("team_list")).content.decode()

    names = [name for name in re.findall(r">(\w+)</a></span>", html)]
    assert names == ["Marketing", "Sales", "North", "South", "Support"]
    assert "team-depth-1" in html
    assert str(manager) in html and str(rep_a) in html


def test_admin_creates_and_edits_a_team(admin, manager, teams, web_client):
    client = web_client(admin)

    created = client.post(
        reverse("team_create"),
        {"name": "West", "parent": teams["sales"].pk, "manager": manager.pk, "roles": ["marketer"]},
    )
    west = Team.objects.get(name="West")
    edited = client.post(
        reverse("team_edit", args=[west.pk]),
        {"name": "West coast", "parent": teams["sales"].pk, "manager": "", "version": 1},
    )

    west.refresh_from_db()
    assert created.status_code == 302 and edited.status_code == 302
    assert west.name == "West coast"
    assert west.parent == teams["sales"]
    assert west.manager is None
    assert list(west.roles.all()) == []


def test_team_edit_refuses_a_cycle(admin, teams, web_client):
    response = web_client(admin).post(
        reverse("team_edit", args=[teams["sales"].pk]),
        {"name": "Sales", "parent": teams["north"].pk, "version": 1},
    )

    assert response.status_code == 200
    assert "A team cannot sit below itself." in response.content.decode()
    assert Team.objects.get(pk=teams["sales"].pk).parent is None


def test_team_create_refuses_a_duplicate_name(admin, teams, web_client):
    response = web_client(admin).post(reverse("team_create"), {"name": "sales"})

    assert "A team with this name already exists." in response.content.decode()


# --- roles --------------------------------------------------------------------------------------


def test_role_list_shows_the_built_in_roles(admin, web_client):
    html = web_client(admin).get(reverse("role_list")).content.decode()

    for role in Role.objects.all():
        assert reverse("role_edit", args=[role.pk]) in html


def test_role_matrix_round_trips_and_changes_what_users_see(admin, rep_a, rep_b, web_client):
    contact = make_contact(owner=rep_a)
    role = Role.objects.get(name="sales_rep")
    before = dict(role.permissions)
    client = web_client(admin)
    url = reverse("role_edit", args=[role.pk])
    assert contact not in contact_list(actor=rep_b)

    values = select_values(client.get(url).content.decode())
    values = {name: value for name, value in values.items() if name.startswith("perm.")}
    values["perm.contact.read"] = "all"
    response = client.post(url, {**values, "label": role.label, "description": "Sees contacts"})

    role.refresh_from_db()
    assert response.status_code == 302
    assert role.permissions["contact"]["read"] == "all"
    assert role.description == "Sees contacts"
    changed = {
        (key, action)
        for key, actions in role.permissions.items()
        for action, level in actions.items()
        if before.get(key, {}).get(action, "none") != level
    }
    assert changed == {("contact", "read")}
    fresh_rep_b = User.objects.get(pk=rep_b.pk)
    assert contact in contact_list(actor=fresh_rep_b)
    assert select_values(client.get(url).content.decode())["perm.contact.read"] == "all"


def test_role_field_rules_are_added_and_removed(admin, web_client):
    role = Role.objects.get(name="marketer")
    client = web_client(admin)
    url = reverse("role_edit", args=[role.pk])
    matrix = {
        name: value
        for name, value in select_values(client.get(url).content.decode()).items()
        if name.startswith("perm.")
    }

    client.post(url, {**matrix, "new_field.contact": "email", "new_rule.contact": "hidden"})
    role.refresh_from_db()
    added = role.field_rules
    client.post(url, {**matrix, "rule.contact.email": "read", "new_field.contact": "phone"})
    role.refresh_from_db()
    changed = role.field_rules
    client.post(url, {**matrix, "rule.contact.email": "", "rule.contact.phone": "hidden"})
    role.refresh_from_db()

    assert added == {"contact": {"email": "hidden"}}
    assert changed == {"contact": {"email": "read", "phone": "hidden"}}
    assert role.field_rules == {"contact": {"phone": "hidden"}}


def test_role_edit_with_a_bad_level_saves_nothing(admin, web_client):
    role = Role.objects.get(name="sales_rep")
    before = dict(role.permissions)

    response = web_client(admin).post(
        reverse("role_edit", args=[role.pk]), {"perm.contact.read": "everything"}
    )

    role.refresh_from_db()
    assert response.status_code == 422
    assert "permissions.contact.read" in response.content.decode()
    assert role.permissions == before


def test_role_edit_offers_custom_fields_for_rules(admin, web_client):
    CustomField.objects.create(record_type="contact", key="shoe_size", label="Shoe", kind="number")

    html = web_client(admin).get(reverse("role_edit", args=[Role.objects.get(name="sales_rep").pk]))

    assert 'value="custom.shoe_size"' in html.content.decode()


# --- custom fields ------------------------------------------------------------------------------


def test_admin_creates_edits_and_deactivates_a_custom_field(admin, web_client):
    client = web_client(admin)

    created = client.post(
        reverse("custom_field_create"),
        {
            "record_type": "contact",
            "key": "preferred_channel",
            "label": "Preferred channel",
            "kind": "choice",
            "choices": "email\nphone\n\nsms\n",
            "position": 1,
        },
    )
    field = CustomField.objects.get(key="preferred_channel")
    edited = client.post(
        reverse("custom_field_edit", args=[field.pk]),
        {
            "label": "Channel",
            "choices": "email\nphone",
            "position": 2,
            "is_active": "on",
            "version": 1,
        },
    )
    field.refresh_from_db()
    after_edit = (field.label, field.choices, field.position, field.kind, field.is_active)
    client.post(reverse("custom_field_active", args=[field.pk]), {"active": "0", "version": 2})
    field.refresh_from_db()

    assert created.status_code == 302 and edited.status_code == 302
    assert after_edit == ("Channel", ["email", "phone"], 2, "choice", True)
    assert field.is_active is False


def test_custom_field_errors_from_the_service_show_on_the_form(admin, web_client):
    response = web_client(admin).post(
        reverse("custom_field_create"),
        {"record_type": "contact", "key": "size", "label": "Size", "kind": "choice", "position": 0},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["choices"]
    assert not CustomField.objects.exists()


def test_custom_field_list_groups_by_record_type(admin, web_client):
    CustomField.objects.create(record_type="account", key="tier", label="Tier", kind="text")

    html = web_client(admin).get(reverse("custom_field_list")).content.decode()

    assert "Accounts" in html and "Contacts" in html and "tier" in html


def test_sales_rep_cannot_deactivate_a_custom_field(rep_a, web_client):
    field = CustomField.objects.create(record_type="contact", key="k", label="K", kind="text")

    response = web_client(rep_a).post(reverse("custom_field_active", args=[field.pk]), {})

    field.refresh_from_db()
    assert response.status_code == 403
    assert field.is_active


# --- API tokens ---------------------------------------------------------------------------------


def test_token_secret_is_shown_once_and_never_listed(rep_a, web_client):
    client = web_client(rep_a)

    created = client.post(reverse("token_create"), {"name": "ERP sync", "scope": "write"})
    secret = re.search(r"ccrm_[0-9a-f]{12}_[A-Za-z0-9_-]+", created.content.decode()).group(0)
    listing = client.get(reverse("token_list")).content.decode()

    token = ApiToken.objects.get(name="ERP sync")
    assert token.user == rep_a and token.scope == "write"
    assert token.token_hash == token_digest(secret)
    assert "no-store" in created.headers["Cache-Control"]
    assert "ERP sync" in listing and token.prefix in listing
    assert secret not in listing
    assert secret.split("_", 2)[2] not in listing


def test_token_with_an_expiry_in_the_past_is_refused(rep_a, web_client):
    response = web_client(rep_a).post(
        reverse("token_create"), {"name": "old", "scope": "read", "expires_on": "2001-01-01"}
    )

    assert response.context["form"].errors["expires_on"]
    assert not ApiToken.objects.exists()


def test_token_list_shows_own_tokens_and_admins_see_all(admin, rep_a, rep_b, web_client):
    token_create(actor=None, user=rep_a, name="rep-a-token")
    token_create(actor=None, user=rep_b, name="rep-b-token")

    rep_view = web_client(rep_a).get(reverse("token_list")).content.decode()
    admin_view = web_client(admin).get(reverse("token_list")).content.decode()

    assert "rep-a-token" in rep_view and "rep-b-token" not in rep_view
    assert "rep-a-token" in admin_view and "rep-b-token" in admin_view


def test_tokens_are_revoked_by_their_owner_only(rep_a, rep_b, web_client):
    token, _ = token_create(actor=None, user=rep_a, name="mine")
    url = reverse("token_revoke", args=[token.pk])

    other = web_client(rep_b).post(url)
    token.refresh_from_db()
    still_active = token.is_active
    own = web_client(rep_a).post(url)
    token.refresh_from_db()

    assert other.status_code == 404
    assert still_active
    assert own.status_code == 302
    assert token.revoked_at is not None


# --- explain access -----------------------------------------------------------------------------


def test_explain_shows_why_a_rep_cannot_read_anothers_contact(admin, rep_a, rep_b, web_client):
    contact = make_contact(owner=rep_a)

    response = web_client(admin).get(
        reverse("explain_access"), {"user": rep_b.pk, "type": "contact", "id": contact.pk}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Roles in effect: sales_rep" in html
    assert "read: DENIED: level own" in html
    assert "the user does not own it" in html


def test_explain_reports_a_missing_record(admin, rep_b, web_client):
    response = web_client(admin).get(
        reverse("explain_access"), {"user": rep_b.pk, "type": "contact", "id": 999}
    )

    assert response.context["form"].errors["id"]
    assert "Roles in effect" not in response.content.decode()


def test_explain_is_linked_for_admins_only(admin, rep_a, web_client):
    admin_html = web_client(admin).get(reverse("user_list")).content.decode()
    rep_html = web_client(rep_a).get(reverse("user_list")).content.decode()

    assert reverse("explain_access") in admin_html
    assert reverse("explain_access") not in rep_html


# --- passwords ----------------------------------------------------------------------------------


def test_password_change(rep_a, web_client):
    client = web_client(rep_a)

    page = client.get(reverse("password_change"))
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )

    rep_a.refresh_from_db()
    assert page.status_code == 200
    assert response.url == reverse("password_change_done")
    assert rep_a.check_password(PASSWORD)
    assert client.get(reverse("password_change_done")).status_code == 200


def test_password_reset_by_email(client, teams):
    user = make_user("frank", email="frank@example.com", teams=[make_team("Ops")])

    client.post(reverse("password_reset"), {"email": "frank@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    )

    user.refresh_from_db()
    assert mail.outbox[0].subject == "Reset your Cycle CRM password"
    assert "frank" in mail.outbox[0].body
    assert "Choose a new password" in form_page.content.decode()
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert user.check_password(PASSWORD)


def test_password_reset_with_a_used_link_says_so(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))

    assert "Link no longer valid" in response.content.decode()
