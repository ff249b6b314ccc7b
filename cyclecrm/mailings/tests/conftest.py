"""Fixtures for e-mail campaigns: a static list holding one contact per suppression reason,
the real SMTP test server (aiosmtpd on 127.0.0.1) and a ready mailing."""

import pytest
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.tests.conftest import huey_immediate, smtp_server  # noqa: F401
from cyclecrm.mailings.models import Mailing, MailingRecipient, MailingStatus, RecipientState
from cyclecrm.mailings.services.mailings import mailing_create
from cyclecrm.mailings.tokens import new_token
from cyclecrm.segments.models import Segment, SegmentKind, SegmentMember

HTML = (
    "<p>Hello {{ contact.first_name }},</p>"
    "{% if contact.city %}<p>See you in {{ contact.city }}!</p>{% else %}<p>See you online!</p>"
    "{% endif %}"
    '<p><a href="https://example.org/offer?a=1&amp;b=2">Our offer</a></p>'
)


def consenting(owner, **fields) -> Contact:
    fields.setdefault("consent_email", True)
    return make_contact(owner, **fields)


@pytest.fixture
def audience(marketer) -> dict[str, Contact]:
    """Two contacts who get the mail and one per suppression reason."""
    earlier = Mailing.objects.create(name="Earlier", subject="Earlier", owner=marketer)
    people = {
        "ada": consenting(marketer, first_name="Ada", email="ada@example.com", city="Paris"),
        "bob": consenting(marketer, first_name="Bob", email="bob@example.com"),
        "no_email": consenting(marketer, first_name="Nemo", email=""),
        "dnc": consenting(marketer, first_name="Dina", email="dina@example.com",
                          do_not_contact=True),
        "no_consent": make_contact(marketer, first_name="Carl", email="carl@example.com"),
        "unsubscribed": make_contact(marketer, first_name="Uma", email="uma@example.com",
                                     consent_email_source="unsubscribe: Spring"),
        "bounced": consenting(marketer, first_name="Bea", email="bea@example.com"),
        "duplicate": consenting(marketer, first_name="Ada2", email="ADA@example.com"),
    }  # fmt: skip
    MailingRecipient.objects.create(
        mailing=earlier,
        contact=people["bounced"],
        email="bea@example.com",
        token=new_token(),
        state=RecipientState.BOUNCED,
        bounce_kind="hard",
        sent_at=timezone.now(),
    )
    return people


@pytest.fixture
def segment(marketer, audience) -> Segment:
    segment = Segment.objects.create(name="Newsletter", kind=SegmentKind.STATIC, owner=marketer)
    SegmentMember.objects.bulk_create(
        SegmentMember(segment=segment, contact=contact) for contact in audience.values()
    )
    return segment


@pytest.fixture
def mailing(marketer, segment) -> Mailing:
    return mailing_create(
        actor=marketer,
        data={
            "name": "November news",
            "subject": "News for {{ contact.first_name }}",
            "from_name": "Cycle News",
            "from_email": "news@shop.example",
            "html_body": HTML,
            "segment_id": segment.pk,
        },
    )


def sending(mailing: Mailing) -> Mailing:
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.SENDING
    return mailing
