"""Interaction services: logging with links or matching, sanitizing, channel rules, permissions,
and the contact's engagement fields (kept on write, aged out by the nightly recompute)."""

import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.activities import interactions
from cyclecrm.activities.engagement import engagement_recompute_all, engagement_refresh
from cyclecrm.activities.models import Channel, DeliveryStatus, Interaction
from cyclecrm.activities.tests.factories import make_interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.identity.access import forget_access


def _fields(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.fields


# -- logging and links ----------------------------------------------------------------------------


def test_log_a_call_fills_the_account_from_the_contact_and_writes_history(rep_a):
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)

    call = interactions.interaction_log(
        actor=rep_a,
        data={
            "channel": "call",
            "direction": "inbound",
            "subject": "  Pricing   question ",
            "contact": contact.pk,
            "duration_seconds": 300,
            "outcome": "connected",
        },
    )

    assert call.owner == rep_a
    assert call.subject == "Pricing question"
    assert call.contact_id == contact.pk
    assert call.account_id == account.pk
    assert HistoryEntry.objects.filter(record_type="interaction", object_id=call.pk).exists()


@pytest.mark.parametrize(
    "given",
    ["ADA.Match@Example.com", " ada.match@example.com "],
)
def test_match_contact_by_email(rep_a, given):
    contact = make_contact(owner=rep_a, email="ada.match@example.com")

    chat = interactions.interaction_log(
        actor=rep_a, data={"channel": "chat", "contact_email": given, "body": "Hi"}
    )

    assert chat.contact_id == contact.pk


def test_match_by_another_address_when_no_primary_matches(rep_a):
    contact = make_contact(owner=rep_a, other_emails=["ada@home.example"])

    sms = interactions.interaction_log(
        actor=rep_a, data={"channel": "sms", "contact_email": "ada@home.example"}
    )

    assert sms.contact_id == contact.pk


@pytest.mark.parametrize(
    "given",
    ["+1 415-555-2671", "(415) 555-2671", "415.555.2671", "+14155552671", "1-415-555-2671"],
)
def test_match_contact_by_phone_in_any_format(rep_a, given, settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "DEFAULT_REGION": "US"}
    contact = make_contact(owner=rep_a, phone="+14155552671")
    make_contact(owner=rep_a, phone="+14155552672")

    call = interactions.interaction_log(
        actor=rep_a, data={"channel": "call", "contact_phone": given}
    )

    assert call.contact_id == contact.pk


def test_match_by_mobile(rep_a):
    contact = make_contact(owner=rep_a, mobile="+447911123456")

    call = interactions.interaction_log(
        actor=rep_a, data={"channel": "call", "contact_phone": "+44 7911 123456"}
    )

    assert call.contact_id == contact.pk


def test_no_match_names_the_field(rep_a):
    make_contact(owner=rep_a, email="someone@example.com")

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a, data={"channel": "email", "contact_email": "nobody@example.com"}
        )
    assert _fields(exc) == {"contact_email": [interactions.NO_EMAIL_MATCH]}

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a, data={"channel": "call", "contact_phone": "not a number"}
        )
    assert list(_fields(exc)) == ["contact_phone"]


def test_several_matches_are_refused(rep_a):
    make_contact(owner=rep_a, phone="+14155552671")
    make_contact(owner=rep_a, phone="+14155552671")

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a, data={"channel": "call", "contact_phone": "+14155552671"}
        )
    assert _fields(exc) == {"contact_phone": [interactions.SEVERAL_MATCH]}


def test_matching_only_sees_contacts_the_actor_may_see(rep_a, rep_b):
    make_contact(owner=rep_b, email="secret@example.com")

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a, data={"channel": "email", "contact_email": "secret@example.com"}
        )
    assert _fields(exc) == {"contact_email": [interactions.NO_EMAIL_MATCH]}


def test_linking_an_invisible_record_is_refused(rep_a, rep_b):
    hidden = make_contact(owner=rep_b)

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(actor=rep_a, data={"channel": "note", "contact": hidden.pk})
    assert list(_fields(exc)) == ["contact"]


def test_an_interaction_needs_a_link(rep_a):
    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(actor=rep_a, data={"channel": "note", "body": "x"})
    assert _fields(exc) == {"contact": [interactions.NEEDS_LINK]}


def test_channel_fields_belong_to_their_channel(rep_a):
    contact = make_contact(owner=rep_a)

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a,
            data={
                "channel": "email",
                "contact": contact.pk,
                "duration_seconds": 10,
                "location": "Room 1",
            },
        )
    assert _fields(exc) == {
        "duration_seconds": [interactions.ONLY_CALLS],
        "location": [interactions.ONLY_MEETINGS],
    }


def test_meeting_defaults_and_end_before_start(rep_a):
    contact = make_contact(owner=rep_a)
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)

    meeting = interactions.interaction_log(
        actor=rep_a,
        data={
            "channel": "meeting",
            "contact": contact.pk,
            "starts_at": starts,
            "attendees": [contact.pk],
            "attendee_emails": ["Guest@Example.com"],
        },
    )
    assert meeting.occurred_at == starts
    assert list(meeting.attendees.all()) == [contact]
    assert meeting.attendee_emails == ["guest@example.com"]

    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a,
            data={
                "channel": "meeting",
                "contact": contact.pk,
                "starts_at": starts,
                "ends_at": starts - dt.timedelta(hours=1),
            },
        )
    assert _fields(exc) == {"ends_at": [interactions.ENDS_BEFORE_START]}


def test_unknown_channel_and_fields(rep_a):
    contact = make_contact(owner=rep_a)
    with pytest.raises(ValidationFailed) as exc:
        interactions.interaction_log(
            actor=rep_a, data={"channel": "fax", "contact": contact.pk, "colour": "red"}
        )
    assert set(_fields(exc)) == {"channel", "colour"}


# -- sanitizing ---------------------------------------------------------------------------------


def test_body_is_sanitized(rep_a):
    contact = make_contact(owner=rep_a)

    note = interactions.interaction_log(
        actor=rep_a,
        data={
            "channel": "note",
            "contact": contact.pk,
            "body": (
                '<p onclick="steal()">Hello <b>there</b><script>alert(1)</script>'
                '<img src="https://tracker.example/p.gif"><a href="javascript:alert(1)">x</a>'
                '<a href="https://example.com">site</a></p><style>p{}</style>'
            ),
        },
    )

    body = note.body
    assert "<b>there</b>" in body
    assert "script" not in body and "alert" not in body
    assert "onclick" not in body and "<img" not in body and "<style" not in body
    assert "javascript:" not in body
    assert 'href="https://example.com"' in body
    assert 'rel="noopener noreferrer nofollow"' in body


def test_plain_text_body_keeps_lines_and_is_escaped(rep_a):
    contact = make_contact(owner=rep_a)

    note = interactions.interaction_log(
        actor=rep_a,
        data={"channel": "note", "contact": contact.pk, "body": "a < b\n\nsecond line"},
    )

    assert note.body == "<p>a &lt; b</p>\n\n<p>second line</p>"


# -- permissions --------------------------------------------------------------------------------


def test_support_agent_logs_on_contacts_they_read(support_agent, rep_a):
    contact = make_contact(owner=rep_a)

    call = interactions.interaction_log(
        actor=support_agent, data={"channel": "call", "contact": contact.pk}
    )

    assert call.owner == support_agent


def test_no_create_right_is_forbidden(rep_a):
    role = rep_a.roles.get()
    role.permissions = {
        **role.permissions,
        "interaction": {**role.permissions["interaction"], "create": "none"},
    }
    role.save()
    forget_access(rep_a)
    contact = make_contact(owner=rep_a)

    with pytest.raises(Forbidden):
        interactions.interaction_log(actor=rep_a, data={"channel": "call", "contact": contact.pk})
    assert not Interaction.objects.exists()


def test_others_cannot_update_or_delete(rep_a, rep_b, manager):
    contact = make_contact(owner=rep_a)
    call = interactions.interaction_log(
        actor=rep_a, data={"channel": "call", "contact": contact.pk}
    )

    with pytest.raises(NotFound):
        interactions.interaction_update(
            actor=rep_b, interaction=call, data={"subject": "mine"}, version=call.version
        )
    with pytest.raises(NotFound):
        interactions.interaction_delete(actor=rep_b, interaction=call)

    updated = interactions.interaction_update(
        actor=manager, interaction=call, data={"subject": "Checked"}, version=call.version
    )
    assert updated.subject == "Checked"


# -- engagement ---------------------------------------------------------------------------------


def _engagement(contact: Contact) -> Contact:
    return Contact.objects.get(pk=contact.pk)


def test_engagement_follows_log_update_and_delete(rep_a):
    contact = make_contact(owner=rep_a)
    other = make_contact(owner=rep_a)
    now = timezone.now()

    call = interactions.interaction_log(
        actor=rep_a,
        data={"channel": "call", "contact": contact.pk, "occurred_at": now - dt.timedelta(days=2)},
    )
    interactions.interaction_log(
        actor=rep_a,
        data={
            "channel": "email",
            "contact": contact.pk,
            "occurred_at": now - dt.timedelta(days=40),
        },
    )
    interactions.interaction_log(actor=rep_a, data={"channel": "note", "contact": contact.pk})

    fresh = _engagement(contact)
    assert fresh.interactions_30d == 1
    assert fresh.interactions_90d == 2
    assert fresh.engagement["30d"]["call"] == 1
    assert fresh.engagement["90d"]["email"] == 1
    assert fresh.engagement["90d"]["chat"] == 0
    assert "note" not in fresh.engagement["90d"]  # internal notes are no engagement
    assert fresh.last_interaction_at == call.occurred_at

    interactions.interaction_update(
        actor=rep_a, interaction=call, data={"contact": other.pk}, version=call.version
    )
    assert _engagement(contact).interactions_30d == 0
    assert _engagement(other).interactions_30d == 1

    call.refresh_from_db()
    interactions.interaction_delete(actor=rep_a, interaction=call)
    assert _engagement(other).interactions_90d == 0
    assert _engagement(other).last_interaction_at is None


def test_future_meetings_and_failed_emails_do_not_count(rep_a):
    contact = make_contact(owner=rep_a)
    interactions.interaction_log(
        actor=rep_a,
        data={
            "channel": "meeting",
            "contact": contact.pk,
            "starts_at": timezone.now() + dt.timedelta(days=3),
        },
    )
    interactions.interaction_log(
        actor=rep_a,
        data={"channel": "email", "contact": contact.pk, "delivery_status": DeliveryStatus.FAILED},
    )

    fresh = _engagement(contact)
    assert fresh.interactions_90d == 0
    assert fresh.last_interaction_at is None


def test_counts_age_out_with_the_nightly_recompute(rep_a):
    contact = make_contact(owner=rep_a)
    quiet = make_contact(owner=rep_a)
    now = timezone.now()
    make_interaction(owner=rep_a, contact=contact, occurred_at=now - dt.timedelta(days=25))
    make_interaction(owner=rep_a, contact=contact, occurred_at=now - dt.timedelta(days=80))
    engagement_refresh([contact.pk], now=now)
    assert (_engagement(contact).interactions_30d, _engagement(contact).interactions_90d) == (1, 2)

    # ten days later the first is older than 30 days and the second older than 90
    written = engagement_recompute_all(now=now + dt.timedelta(days=10))

    assert written == 1
    aged = _engagement(contact)
    assert (aged.interactions_30d, aged.interactions_90d) == (0, 1)
    assert aged.engagement["90d"]["call"] == 1
    assert aged.last_interaction_at is not None
    assert _engagement(quiet).interactions_90d == 0
    # idempotent: nothing changes on a second run
    assert engagement_recompute_all(now=now + dt.timedelta(days=10)) == 0


def test_recompute_for_everyone_fills_contacts_written_in_bulk(rep_a):
    """Interactions inserted without the services (demo, import) and older than every window
    still give the contact its last interaction date."""
    contact = make_contact(owner=rep_a)
    now = timezone.now()
    old = make_interaction(owner=rep_a, contact=contact, occurred_at=now - dt.timedelta(days=120))

    assert engagement_recompute_all(now=now) == 0
    assert engagement_recompute_all(now=now, everyone=True) == 1

    filled = _engagement(contact)
    assert filled.last_interaction_at == old.occurred_at
    assert (filled.interactions_30d, filled.interactions_90d) == (0, 0)


def test_contact_edit_does_not_roll_engagement_back(rep_a):
    from cyclecrm.contacts.services import contact_update

    contact = make_contact(owner=rep_a)
    stale = Contact.objects.get(pk=contact.pk)
    interactions.interaction_log(actor=rep_a, data={"channel": "call", "contact": contact.pk})

    contact_update(actor=rep_a, contact=stale, data={"title": "CTO"}, version=stale.version)

    assert _engagement(contact).interactions_30d == 1
    assert _engagement(contact).title == "CTO"


def test_channel_choices_cover_the_brief():
    assert set(Channel.values) == {"email", "call", "meeting", "chat", "social", "sms", "note"}
