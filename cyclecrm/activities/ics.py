"""iCalendar (.ics, RFC 5545) for meetings, written with vobject (the project's vCard library).

The event's UID is the interaction's `ical_uid` and its SEQUENCE the record version, so a
calendar that imported an earlier download replaces the event instead of adding a second one.
The invite is a METHOD:PUBLISH calendar (a file to add), not an iTIP REQUEST: sending
invitations is the e-mail integration's business.
"""

import re

import vobject
from dateutil import tz
from django.utils import timezone
from django.utils.html import strip_tags

from cyclecrm.activities.interactions import meeting_default_end
from cyclecrm.activities.models import Channel, Interaction
from cyclecrm.core.errors import ValidationFailed

PRODID = "-//Cycle CRM//Interactions//EN"
NOT_A_MEETING = "Only meetings have a calendar entry."
_BLANK_LINES = re.compile(r"\n{3,}")


def plain_text(html: str) -> str:
    """The body as text for calendars, which show no HTML."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", html or "")
    text = strip_tags(text).replace("&nbsp;", " ")
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    text = text.replace("&#x27;", "'").replace("&amp;", "&")
    return _BLANK_LINES.sub("\n\n", text).strip()


def meeting_ics(
    interaction: Interaction,
    *,
    organizer_email: str = "",
    visible_attendees: set[int] | None = None,
) -> str:
    """The meeting as an iCalendar document (CRLF line endings, folded as RFC 5545 says).
    With `visible_attendees`, only those attendee contacts are named (the reader's view)."""
    # vobject writes UTC times with a Z only for dateutil's UTC (the standard library's has no
    # TZID it knows).
    if interaction.channel != Channel.MEETING:
        raise ValidationFailed(NOT_A_MEETING, fields={"channel": [NOT_A_MEETING]})
    starts = interaction.starts_at or interaction.occurred_at
    ends = interaction.ends_at or meeting_default_end(starts)
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = PRODID
    calendar.add("method").value = "PUBLISH"
    event = calendar.add("vevent")
    event.add("uid").value = interaction.ical_uid
    event.add("sequence").value = str(max(interaction.version - 1, 0))
    event.add("dtstamp").value = timezone.now().astimezone(tz.UTC)
    event.add("dtstart").value = starts.astimezone(tz.UTC)
    event.add("dtend").value = ends.astimezone(tz.UTC)
    event.add("summary").value = interaction.subject or "Meeting"
    description = plain_text(interaction.body)
    if description:
        event.add("description").value = description
    if interaction.location:
        event.add("location").value = interaction.location
    if organizer_email:
        event.add("organizer").value = f"mailto:{organizer_email}"
    for email, name in _attendees(interaction, visible_attendees):
        attendee = event.add("attendee")
        attendee.value = f"mailto:{email}"
        if name:
            attendee.params["CN"] = [name]
    return calendar.serialize()


def _attendees(interaction: Interaction, visible: set[int] | None) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for contact in interaction.attendees.all():
        if contact.email and (visible is None or contact.pk in visible):
            seen.setdefault(contact.email.lower(), contact.full_name)
    for email in interaction.attendee_emails or []:
        seen.setdefault(email.lower(), "")
    return list(seen.items())


def ics_filename(interaction: Interaction) -> str:
    return f"meeting-{interaction.pk}.ics"
