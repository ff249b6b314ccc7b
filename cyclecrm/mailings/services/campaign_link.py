"""A mailing linked to a campaign feeds it (docs/email-campaigns.md, "Campaigns"): whoever the
mailing was sent to becomes a campaign member with status sent, and a tracked click records an
`email_click` touch and moves the member to responded."""

from collections.abc import Iterable

from django.utils import timezone

from cyclecrm.campaigns.models import TouchChannel
from cyclecrm.campaigns.services.members import member_responded, members_from_mailing
from cyclecrm.campaigns.services.touches import record_touch
from cyclecrm.mailings.models import Mailing, MailingRecipient


def members_sent(mailing: Mailing, contact_ids: Iterable[int]) -> int:
    """The contacts just sent become members (idempotent; existing members keep their
    status). Returns how many joined."""
    if mailing.campaign_id is None:
        return 0
    return members_from_mailing(
        campaign=mailing.campaign, contact_ids=contact_ids, at=timezone.now()
    )


def all_sent_members(mailing: Mailing) -> int:
    """Every recipient sent so far (a backstop when sending ends: a crashed batch's rows)."""
    ids = MailingRecipient.objects.filter(mailing=mailing, sent_at__isnull=False).values_list(
        "contact_id", flat=True
    )
    return members_sent(mailing, ids)


def clicked(recipient: MailingRecipient) -> None:
    """A tracked click of a campaign mailing: a touch (one per contact, channel and day) and the
    member responded."""
    mailing = recipient.mailing
    if mailing.campaign_id is None:
        return
    now = timezone.now()
    channel = TouchChannel.EMAIL_CLICK
    record_touch(campaign=mailing.campaign, contact=recipient.contact, channel=channel, at=now)
    member_responded(campaign=mailing.campaign, contact_id=recipient.contact_id, at=now)
