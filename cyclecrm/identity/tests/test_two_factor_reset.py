"""An administrator resets another user's second factor (a lost phone): the service, the API,
the confirmation page, who may do it, and what the target must do afterwards."""

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cyclecrm.core.errors import Forbidden
from cyclecrm.core.testing.factories import make_user
from cyclecrm.identity import two_factor
from cyclecrm.identity.models import Role, SecurityEvent, SecurityEventKind, User
from cyclecrm.identity.tests.conftest import Clock
from cyclecrm.identity.tests.test_two_factor import code, enrol, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(teams, clock: Clock) -> User:
    """A sales rep with an authenticator app and backup codes."""
    user = make_user("ada", role="sales_rep")
    enrol(login("ada"), user, clock)
    clock.step()
    return user


def devices_of(user: User) -> int:
    return (
        TOTPDevice.objects.filter(user=user).count()
        + StaticDevice.objects.filter(user=user).count()
    )


def test_reset_removes_app_and_backup_codes_and_is_logged(admin, ada) -> None:
    removed = two_factor.two_factor_reset(actor=admin, user=ada)

    assert removed == 2
    assert devices_of(ada) == 0
    event = SecurityEvent.objects.get(kind=SecurityEventKind.TWO_FACTOR_REMOVED)
    assert (event.user, event.actor) == (ada, admin)
    assert event.detail == {"via": "admin_reset", "devices": 2}


@pytest.mark.parametrize(
    ("who", "message"),
    [("rep", two_factor.RESET_FORBIDDEN), ("self", two_factor.RESET_SELF)],
)
def test_reset_is_refused_to_non_admins_and_for_oneself(admin, rep_a, ada, who, message) -> None:
    actor, target = (rep_a, ada) if who == "rep" else (admin, admin)

    with pytest.raises(Forbidden, match=message[:20]):
        two_factor.two_factor_reset(actor=actor, user=target)

    assert devices_of(ada) == 2
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_REMOVED).exists()


def test_only_a_superuser_resets_a_superuser(admin, teams) -> None:
    root = make_user("root", is_superuser=True)
    other_root = make_user("root2", is_superuser=True)

    with pytest.raises(Forbidden):
        two_factor.two_factor_reset(actor=admin, user=root)
    assert two_factor.two_factor_reset(actor=other_root, user=root) == 0


def test_a_required_second_factor_must_be_enrolled_again(admin, ada, clock) -> None:
    Role.objects.filter(name="sales_rep").update(requires_two_factor=True)
    session = login("ada")
    device = TOTPDevice.objects.get(user=ada)
    assert session.post("/accounts/two-factor/verify/", {"token": code(device, clock)}).url == "/"
    assert session.get("/contacts/").status_code == 200

    two_factor.two_factor_reset(actor=admin, user=ada)

    # The open session lost its verified state with the device ...
    assert session.get("/contacts/").url.startswith("/accounts/two-factor/setup/")
    # ... and a new login is sent to enrolment, not let in with the password alone.
    fresh = login("ada")
    assert fresh.get("/").url.startswith("/accounts/two-factor/setup/")
    assert fresh.get("/api/v1/users/me").status_code == 401
    enrol(fresh, ada, clock)
    assert fresh.get("/").status_code == 200


def test_without_a_requirement_the_password_alone_logs_in_after_reset(admin, ada) -> None:
    two_factor.two_factor_reset(actor=admin, user=ada)

    assert login("ada").get("/").status_code == 200


def test_api_reset_and_its_refusals(admin, rep_a, ada, api_client) -> None:
    url = f"/api/v1/users/{ada.pk}/two-factor/reset"

    refused = api_client(rep_a).post(url)
    read_only = api_client(admin, scope="read").post(url)
    missing = api_client(admin).post("/api/v1/users/999999/two-factor/reset")
    myself = api_client(admin).post(f"/api/v1/users/{admin.pk}/two-factor/reset")
    assert devices_of(ada) == 2
    response = api_client(admin).post(url)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert read_only.status_code == 403
    assert missing.status_code == 404
    assert myself.status_code == 403
    assert response.status_code == 200
    assert response.json() == {"devices_removed": 2, "must_enrol": False}
    assert devices_of(ada) == 0


def test_api_reports_that_the_user_must_enrol(admin, ada, api_client) -> None:
    Role.objects.filter(name="sales_rep").update(requires_two_factor=True)

    response = api_client(admin).post(f"/api/v1/users/{ada.pk}/two-factor/reset")

    assert response.json() == {"devices_removed": 2, "must_enrol": True}


def test_web_reset_asks_for_the_user_name_first(admin, ada, web_client) -> None:
    client = web_client(admin)
    url = f"/settings/users/{ada.pk}/two-factor/reset/"

    user_page = client.get(f"/settings/users/{ada.pk}/")
    page = client.get(url)
    wrong = client.post(url, {"confirm": "bob"})
    assert devices_of(ada) == 2
    done = client.post(url, {"confirm": "ada"})

    assert url.encode() in user_page.content
    assert page.status_code == 200 and b'name="confirm"' in page.content
    assert wrong.status_code == 400
    assert done.status_code == 302 and done.url == f"/settings/users/{ada.pk}/"
    assert devices_of(ada) == 0
    assert url.encode() not in client.get(f"/settings/users/{ada.pk}/").content


def test_web_reset_is_refused_to_non_admins(rep_a, ada, web_client) -> None:
    url = f"/settings/users/{ada.pk}/two-factor/reset/"

    assert web_client(rep_a).get(url).status_code == 403
    assert web_client(rep_a).post(url, {"confirm": "ada"}).status_code == 403
    assert Client().post(url, {"confirm": "ada"}).status_code == 302  # to the login page
    assert devices_of(ada) == 2


def test_web_reset_of_oneself_is_refused(admin, web_client) -> None:
    response = web_client(admin).post(
        f"/settings/users/{admin.pk}/two-factor/reset/", {"confirm": "admin"}
    )

    assert response.status_code == 403
