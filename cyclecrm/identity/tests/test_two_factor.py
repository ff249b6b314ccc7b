"""Two-factor authentication through the real pages, with real TOTP codes and a stepped clock."""

import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cyclecrm.core.testing.factories import make_user
from cyclecrm.identity.models import Role, SecurityEvent, SecurityEventKind, User
from cyclecrm.identity.tests.conftest import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def code(device: TOTPDevice, clock: Clock) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now
    return f"{totp.token():06d}"


def login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrol(client: Client, user: User, clock: Clock) -> list[str]:
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/two-factor/setup/", {"token": code(device, clock)})
    assert response.status_code == 200
    return re.findall(r"<li>([a-z0-9]+)</li>", response.content.decode())


@pytest.fixture
def ada(teams) -> User:
    return make_user("ada", role="sales_rep")


def test_enrolment_shows_a_qr_code_and_needs_a_confirming_code(ada, clock) -> None:
    client = login("ada")

    page = client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=ada)
    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000"})

    assert page.status_code == 200
    assert b"<svg" in page.content
    assert b"<script>" not in page.content
    assert device.config_url.split("secret=")[1].split("&")[0] in page.content.decode()
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    codes = enrol(client, ada, clock)

    assert len(codes) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/").status_code == 200
    assert SecurityEvent.objects.filter(user=ada, kind=SecurityEventKind.TWO_FACTOR_ENROLLED)


def test_login_asks_for_the_code_and_refuses_a_replayed_one(ada, clock) -> None:
    enrol(login("ada"), ada, clock)
    device = TOTPDevice.objects.get(user=ada, confirmed=True)
    clock.step()
    client = login("ada")

    assert client.get("/").url == "/accounts/two-factor/verify/?next=%2F"
    assert client.get("/api/v1/users/me").status_code == 401
    first = code(device, clock)
    assert client.post("/accounts/two-factor/verify/", {"token": first}).url == "/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 200

    # The same code again, from a second login in the same period: refused (replay).
    second = login("ada")
    replay = second.post("/accounts/two-factor/verify/", {"token": first})
    assert replay.status_code == 400
    assert second.get("/").status_code == 302
    clock.step()
    assert second.post("/accounts/two-factor/verify/", {"token": code(device, clock)}).url == "/"
    kinds = set(SecurityEvent.objects.filter(user=ada).values_list("kind", flat=True))
    assert {SecurityEventKind.TWO_FACTOR_PASSED, SecurityEventKind.TWO_FACTOR_FAILED} <= kinds


def test_a_code_from_an_old_period_is_refused(ada, clock) -> None:
    enrol(login("ada"), ada, clock)
    device = TOTPDevice.objects.get(user=ada, confirmed=True)
    clock.step(5)
    stale = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    stale.time = clock.now - 30 * 3

    response = login("ada").post("/accounts/two-factor/verify/", {"token": stale.token()})

    assert response.status_code == 400


def test_backup_codes_work_once_and_regenerating_replaces_them(ada, clock) -> None:
    codes = enrol(login("ada"), ada, clock)

    client = login("ada")
    assert client.post("/accounts/two-factor/verify/", {"token": codes[0]}).url == "/"
    again = login("ada").post("/accounts/two-factor/verify/", {"token": codes[0]})
    assert again.status_code == 400

    new_page = client.post("/accounts/two-factor/backup-codes/")
    new_codes = re.findall(r"<li>([a-z0-9]+)</li>", new_page.content.decode())
    assert len(new_codes) == 10
    assert login("ada").post("/accounts/two-factor/verify/", {"token": codes[1]}).status_code == 400
    assert login("ada").post("/accounts/two-factor/verify/", {"token": new_codes[0]}).url == "/"


def test_removing_the_device_needs_a_current_code(ada, clock) -> None:
    client = login("ada")
    enrol(client, ada, clock)
    device = TOTPDevice.objects.get(user=ada, confirmed=True)
    clock.step()

    client.post("/accounts/two-factor/remove/", {"token": "123456"})
    assert TOTPDevice.objects.filter(user=ada).exists()

    client.post("/accounts/two-factor/remove/", {"token": code(device, clock)})
    assert not TOTPDevice.objects.filter(user=ada).exists()
    assert login("ada").get("/").status_code == 200
    assert SecurityEvent.objects.filter(user=ada, kind=SecurityEventKind.TWO_FACTOR_REMOVED)


def test_a_role_requiring_two_factor_sends_users_to_enrolment(ada, clock, api_client) -> None:
    Role.objects.filter(name="sales_rep").update(requires_two_factor=True)
    client = login("ada")

    assert client.get("/").url == "/accounts/two-factor/setup/?next=%2F"
    assert client.get("/contacts/").url == "/accounts/two-factor/setup/?next=%2Fcontacts%2F"
    assert client.get("/api/v1/users/me").status_code == 401
    # API tokens are not password logins: they keep working.
    assert api_client(ada).get("/api/v1/users/me").status_code == 200

    enrol(client, ada, clock)

    assert client.get("/").status_code == 200


def test_admin_sets_the_requirement_on_the_role_page(admin, web_client) -> None:
    role = Role.objects.get(name="marketer")
    form = {"label": role.label, "requires_two_factor_shown": "1", "requires_two_factor": "1"}
    for type_key, actions in role.permissions.items():
        for action, value in actions.items():
            form[f"perm.{type_key}.{action}"] = value

    web_client(admin).post(f"/settings/roles/{role.pk}/", form)

    assert Role.objects.get(pk=role.pk).requires_two_factor
    event = SecurityEvent.objects.get(kind=SecurityEventKind.ROLE_EDITED)
    assert event.actor == admin and "requires_two_factor" in event.detail["changed"]


def test_wrong_codes_are_throttled(ada, clock, settings) -> None:
    enrol(login("ada"), ada, clock)
    device = TOTPDevice.objects.get(user=ada, confirmed=True)
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    settings.OTP_STATIC_THROTTLE_FACTOR = 1
    clock.step()
    client = login("ada")

    client.post("/accounts/two-factor/verify/", {"token": "000000"})
    right = client.post("/accounts/two-factor/verify/", {"token": code(device, clock)})

    assert right.status_code == 400


def test_next_survives_the_second_factor(ada, clock) -> None:
    enrol(login("ada"), ada, clock)
    device = TOTPDevice.objects.get(user=ada, confirmed=True)
    clock.step()
    client = Client()

    to_login = client.get("/contacts/?q=x")
    logged_in = client.post(
        to_login.url, {"username": "ada", "password": PASSWORD, "next": "/contacts/?q=x"}
    )
    to_verify = client.get(logged_in.url)
    page = client.get(to_verify.url)
    verified = client.post(
        "/accounts/two-factor/verify/", {"token": code(device, clock), "next": "/contacts/?q=x"}
    )

    assert logged_in.url == "/contacts/?q=x"
    assert to_verify.url == "/accounts/two-factor/verify/?next=%2Fcontacts%2F%3Fq%3Dx"
    assert b'name="next" value="/contacts/?q=x"' in page.content
    assert verified.url == "/contacts/?q=x"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http://testserver.evil/"],
)
def test_an_off_site_next_after_the_second_factor_goes_home(ada, clock, target) -> None:
    enrol(login("ada"), ada, clock)
    device = TOTPDevice.objects.get(user=ada, confirmed=True)
    clock.step()
    client = login("ada")

    page = client.get("/accounts/two-factor/verify/", {"next": target})
    response = client.post(
        "/accounts/two-factor/verify/?" + f"next={target}",
        {"token": code(device, clock), "next": target},
    )

    assert b"evil" not in page.content
    assert response.url == "/"


def test_next_survives_a_required_enrolment(ada, clock) -> None:
    Role.objects.filter(name="sales_rep").update(requires_two_factor=True)
    client = login("ada")

    to_setup = client.get("/contacts/")
    client.get(to_setup.url)
    device = TOTPDevice.objects.get(user=ada, confirmed=False)
    codes_page = client.post(to_setup.url, {"token": code(device, clock)})

    assert to_setup.url == "/accounts/two-factor/setup/?next=%2Fcontacts%2F"
    assert b'href="/contacts/"' in codes_page.content
