"""Sequence e-mails are tracked end to end: the real SMTP server receives rewritten links and
the open pixel; loading them through the public endpoints drives the branches."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.integrations.models import EmailTracking
from cyclecrm.nurture.enrollment import enroll
from cyclecrm.nurture.models import Enrollment, StepRun

pytestmark = pytest.mark.django_db

GUIDE = "https://example.com/guide?a=1&b=2"
BODY = (
    '<p>Hello {{ contact.first_name }}, read <a href="https://example.com/guide?a=1&amp;b=2">'
    'the guide</a> or <a href="mailto:help@example.com">write to us</a>.</p>'
)


def _sequence(build, **email):
    return build(
        [
            (
                "send_email",
                {"subject": "Guide for {{ contact.first_name }}", "body": BODY, **email},
            ),
            ("wait", {"days": 2}),
            ("branch", {"condition": {"type": "opened"}, "yes": 5, "no": 4}),
            ("set_lifecycle_stage", {"stage": "mql"}),
            ("set_lifecycle_stage", {"stage": "sql"}),
        ]
    )


def _urls(html: str) -> tuple[list[str], list[str]]:
    hrefs = [unescape(h) for h in re.findall(r'<a\b[^>]*?href="([^"]*)"', html)]
    images = [unescape(s) for s in re.findall(r'<img\b[^>]*?src="([^"]*)"', html)]
    return hrefs, images


def _path(url: str, base: str) -> str:
    assert url.startswith(base + "/")
    return url[len(base) :]


def _visited(enrollment: Enrollment) -> list[int]:
    runs = StepRun.objects.filter(enrollment=enrollment).order_by("id")
    return list(runs.values_list("step__position", flat=True))


@pytest.mark.parametrize("opened", [True, False])
def test_opening_a_sequence_email_takes_the_opened_branch(
    build,
    ada,
    marketer,
    rep_a,
    tick,
    smtp_server,
    huey_immediate,
    client,
    web_client,
    settings,
    django_capture_on_commit_callbacks,
    opened,
):
    # given a sequence e-mail sent through the real SMTP server
    base = settings.CYCLECRM["BASE_URL"]
    enroll(sequence=_sequence(build), contacts=[ada], source="hand", actor=marketer)
    enrollment = Enrollment.objects.get(contact=ada)
    now = timezone.now()
    tick(now)
    [mail] = smtp_server.received
    html = mail.message.get_body(("html",)).get_content()
    hrefs, images = _urls(html)
    email = StepRun.objects.get(enrollment=enrollment, step__position=1).interaction

    # then its web link goes through a click URL, mailto stays, and the pixel is there
    assert GUIDE not in hrefs and hrefs[1] == "mailto:help@example.com"
    assert hrefs[0].startswith(base + "/t/e/c/")
    [pixel] = images
    assert pixel.startswith(base + "/t/e/o/")
    assert "/t/e/" not in mail.message.get_body(("plain",)).get_content()

    # when the recipient loads the pixel (twice: a mail client reloading images)
    if opened:
        with django_capture_on_commit_callbacks(execute=True):
            first = client.get(_path(pixel, base))
            again = client.get(_path(pixel, base))
        assert (first.status_code, first["Content-Type"]) == (200, "image/gif")
        assert again.status_code == 200
    tick(now + dt.timedelta(days=2, minutes=1))

    # then the step run is marked and the branch took "yes" (5) or "no" (4, then 5)
    run = StepRun.objects.get(enrollment=enrollment, step__position=1)
    assert (run.opened_at is not None) is opened
    assert _visited(enrollment) == ([1, 2, 3, 5] if opened else [1, 2, 3, 4, 5])
    if opened:
        row = EmailTracking.objects.get(interaction=email)
        assert (row.open_count, row.click_count) == (2, 0)
        notes = Interaction.objects.filter(contact=ada, subject="Opened: Guide for Ada")
        assert notes.count() == 1  # the first open only
        enrollment.refresh_from_db()
        assert enrollment.exit_reason == ""  # the "Opened" entry is no reply
        page = web_client(marketer).get(reverse("timeline_panel", args=["contact", ada.pk]))
        assert "Opened: Guide for Ada" in page.content.decode()
        assert 'title="2 opens, 0 clicks">Opened</span>' in page.content.decode()


def test_a_click_redirects_to_the_original_link_only_and_counts_as_an_open(
    build,
    ada,
    marketer,
    rep_a,
    tick,
    smtp_server,
    huey_immediate,
    client,
    web_client,
    settings,
    django_capture_on_commit_callbacks,
):
    base = settings.CYCLECRM["BASE_URL"]
    enroll(sequence=_sequence(build), contacts=[ada], source="hand", actor=marketer)
    tick()
    [mail] = smtp_server.received
    hrefs, _ = _urls(mail.message.get_body(("html",)).get_content())
    path = _path(hrefs[0], base)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(path)

    assert response.status_code == 302 and response["Location"] == GUIDE
    run = StepRun.objects.get(enrollment__contact=ada, step__position=1)
    assert run.clicked_at is not None and run.opened_at is not None
    row = EmailTracking.objects.get(interaction=run.interaction)
    assert (row.open_count, row.click_count) == (1, 1)
    page = web_client(marketer).get(reverse("timeline_panel", args=["contact", ada.pk])).content
    assert "Clicked: Guide for Ada" in page.decode() and "Opened: Guide for Ada" in page.decode()
    assert "Opened, clicked</span>" in page.decode()  # on the e-mail's own entry


def test_tampered_tokens_are_not_found_and_redirect_nowhere(
    build, ada, marketer, tick, smtp_server, huey_immediate, client, settings
):
    base = settings.CYCLECRM["BASE_URL"]
    enroll(sequence=_sequence(build), contacts=[ada], source="hand", actor=marketer)
    tick()
    [mail] = smtp_server.received
    hrefs, [pixel] = _urls(mail.message.get_body(("html",)).get_content())
    click, opened = _path(hrefs[0], base), _path(pixel, base)
    signed = click.removeprefix("/t/e/c/")
    value, _, signature = signed.partition(":")
    other = Interaction.objects.create(channel="email", direction="outbound", subject="x")

    tampered = [
        f"/t/e/c/{value[:-1]}9:{signature}",  # another link position, same signature
        f"/t/e/c/{other.pk}.0:{signature}",  # another e-mail
        f"/t/e/c/{signed[:-2]}xx",  # a forged signature
        "/t/e/c/https://evil.example",
        opened.replace("/t/e/o/", "/t/e/c/").removesuffix(".gif"),  # an open token as a click
        f"/t/e/o/{other.pk}:{signature}.gif",
    ]
    for path in tampered:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Location" not in response
    assert not StepRun.objects.filter(opened_at__isnull=False).exists()


def test_a_step_with_tracking_off_sends_the_body_as_written(
    build, ada, marketer, tick, smtp_server, huey_immediate
):
    enroll(sequence=_sequence(build, track=False), contacts=[ada], source="hand", actor=marketer)
    tick()
    [mail] = smtp_server.received
    hrefs, images = _urls(mail.message.get_body(("html",)).get_content())
    assert hrefs == [GUIDE, "mailto:help@example.com"] and images == []
    assert not EmailTracking.objects.exists()
