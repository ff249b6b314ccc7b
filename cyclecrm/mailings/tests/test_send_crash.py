"""A campaign send killed (SIGKILL) in the middle, on real `cyclecrm worker` processes and a
real SMTP server: the next worker resumes the same job at once (ADR 0033) and nobody gets the
campaign twice; at most the one message in flight is given up (ADR 0013). Compared with the
same campaign sent by a worker that was not killed."""

from collections import Counter

import pytest

from cyclecrm.core.testing.crash import (
    SlowSmtpSink,
    Worker,
    freeze,
    job_state,
    site_for_test,
    wait_until,
)
from cyclecrm.jobs.models import Job
from cyclecrm.mailings.services.audience import mailing_start
from cyclecrm.mailings.services.mailings import mailing_create
from cyclecrm.mailings.services.sending import INTERRUPTED
from cyclecrm.mailings.tests.conftest import consenting
from cyclecrm.segments.models import Segment, SegmentKind, SegmentMember

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 60
RECIPIENTS = "SELECT email, state, reason FROM mailings_mailingrecipient ORDER BY email"


def _start_campaign(marketer) -> str:
    """A started campaign to PEOPLE consenting contacts; returns its send job's task id."""
    contacts = [
        consenting(marketer, first_name=f"P{n}", email=f"p{n:03d}@example.com")
        for n in range(PEOPLE)
    ]
    segment = Segment.objects.create(name="All", kind=SegmentKind.STATIC, owner=marketer)
    SegmentMember.objects.bulk_create(SegmentMember(segment=segment, contact=c) for c in contacts)
    mailing = mailing_create(
        actor=marketer,
        data={
            "name": "Crash",
            "subject": "Hello {{ contact.first_name }}",
            "from_email": "news@shop.example",
            "html_body": "<p>Hello</p>",
            "segment_id": segment.pk,
            "rate_per_minute": 1000,
        },
    )
    mailing_start(actor=marketer, mailing=mailing)
    return Job.objects.get(task_name__endswith=".send_mailing").task_id


def test_a_killed_campaign_send_resumes_without_sending_anyone_twice(marketer, tmp_path):
    # given: a campaign queued for the worker, and a copy of everything for a clean run
    with site_for_test(tmp_path / "crashed") as site:
        task_id = _start_campaign(marketer)
        freeze(site)
        clean = site.clone(tmp_path / "clean")
    try:
        # when: the worker is killed partway, then a new worker starts
        with SlowSmtpSink() as sink:
            worker = Worker(site, "first", **sink.env())
            try:
                wait_until(lambda: sum(sink.counts.values()) >= 10, "10 messages", worker)
            finally:
                worker.kill()
            state, *_ = job_state(site, task_id)
            assert state == "running" and sum(sink.counts.values()) < PEOPLE, "killed partway"
            worker = Worker(site, "second", **sink.env())
            try:
                wait_until(lambda: _status(site) == "sent", "the campaign to end", worker)
                assert "1 resumed" in worker.output()
            finally:
                worker.stop()
            crashed = sink.counts

        with SlowSmtpSink(delay=0) as clean_sink:
            worker = Worker(clean, "clean", **clean_sink.env())
            try:
                wait_until(lambda: _status(clean) == "sent", "the clean run to end", worker)
            finally:
                worker.stop()
            uninterrupted = clean_sink.counts

        # then: the same job finished, nobody got it twice, at most the one in flight is lost
        assert job_state(site, task_id)[:3] == ("finished", 2, 1)  # one resumed attempt
        assert uninterrupted == Counter({f"p{n:03d}@example.com": 1 for n in range(PEOPLE)})
        assert set(crashed.values()) == {1}
        states = site.rows(RECIPIENTS)
        lost = [row for row in states if row[1] == "failed"]
        assert len(lost) <= 1 and all(reason == INTERRUPTED for *_, reason in lost)
        assert {email for email, state, _ in states if state == "sent"} <= set(crashed)
        assert len(crashed) >= PEOPLE - len(lost)
        assert [row for row in clean.rows(RECIPIENTS) if row[1] != "sent"] == []
    finally:
        clean.drop()


def _status(site) -> str:
    return site.value("SELECT status FROM mailings_mailing WHERE name = 'Crash'")
