"""Demo step: interactions across every channel for a share of the demo contacts, so timelines
and engagement fields have something to show. About 0.8 N interactions for N contacts, spread
over the last 180 days (a few meetings still ahead); the contacts' engagement fields are then
computed by the same function the nightly job runs."""

import datetime as dt
import random
from typing import Any

from cyclecrm.activities.engagement import engagement_recompute_all
from cyclecrm.activities.models import CallOutcome, Channel, Direction, Interaction
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.records import _pick
from cyclecrm.core.demo.sales import _contacts, _owner_fields, _rep

INTERACTIONS_PER_CONTACT = 0.8
ENGAGED_SHARE = 0.4  # of the contacts, the ones with any interaction
CHANNEL_WEIGHTS = {
    Channel.EMAIL: 35,
    Channel.CALL: 25,
    Channel.MEETING: 10,
    Channel.CHAT: 10,
    Channel.SOCIAL: 5,
    Channel.SMS: 5,
    Channel.NOTE: 10,
}
OUTCOME_WEIGHTS = {
    CallOutcome.CONNECTED: 55,
    CallOutcome.NO_ANSWER: 20,
    CallOutcome.VOICEMAIL: 15,
    CallOutcome.BUSY: 5,
    CallOutcome.WRONG_NUMBER: 2,
    CallOutcome.CALL_BACK: 3,
}
SUBJECTS = {
    Channel.EMAIL: ["Re: your question", "Proposal follow-up", "Invoice copy", "Intro"],
    Channel.CALL: ["Discovery call", "Follow-up call", "Support call", "Renewal call"],
    Channel.MEETING: ["Product demo", "Quarterly review", "Kick-off", "Lunch"],
    Channel.CHAT: ["Website chat", "Pricing question (chat)"],
    Channel.SOCIAL: ["Mention on LinkedIn", "Reply on X"],
    Channel.SMS: ["Appointment reminder", "Quick question"],
    Channel.NOTE: ["", ""],
}
BODIES = [
    "Asked about pricing for the next tier.",
    "Interested in a trial for the team.",
    "Wants the contract renewed before the end of the quarter.",
    "Had trouble with the import; sent the guide.",
    "Happy with the service so far.",
]
HISTORY_DAYS = 180


def build_interactions(context: DemoContext) -> None:
    rng = context.rng("interactions")
    contacts = _contacts(context)
    if not contacts or not context.reps:
        return
    engaged = rng.sample(contacts, max(1, round(len(contacts) * ENGAGED_SHARE)))
    total = round(len(contacts) * INTERACTIONS_PER_CONTACT)
    rows = [_interaction(context, rng, rng.choice(engaged)) for _ in range(total)]
    Interaction.objects.bulk_create(rows, batch_size=context.options.batch_size)
    context.counts["interactions"] = len(rows)
    engagement_recompute_all(now=context.now, everyone=True)
    context.log(f"  {len(rows)} interactions for {len(engaged)} contacts")


def _interaction(context: DemoContext, rng: random.Random, contact: Any) -> Interaction:
    now = context.now
    channel = _pick(rng, CHANNEL_WEIGHTS)
    ahead = channel == Channel.MEETING and rng.random() < 0.2
    offset = dt.timedelta(days=rng.uniform(0.5, 14) if ahead else -rng.uniform(0, HISTORY_DAYS))
    occurred = (now + offset).replace(second=0, microsecond=0)
    owner = _rep(context, rng, contact.owner_id)
    row = Interaction(
        channel=channel,
        direction=Direction.INBOUND if rng.random() < 0.4 else Direction.OUTBOUND,
        subject=rng.choice(SUBJECTS[channel]),
        body=f"<p>{rng.choice(BODIES)}</p>",
        occurred_at=occurred,
        contact_id=contact.pk,
        account_id=contact.account_id,
        created_at=min(occurred, now),
        updated_at=min(occurred, now),
        **_owner_fields(context, owner),
    )
    if channel == Channel.CALL:
        row.outcome = _pick(rng, OUTCOME_WEIGHTS)
        connected = row.outcome == CallOutcome.CONNECTED
        row.duration_seconds = rng.randint(120, 2400) if connected else rng.randint(0, 40)
    elif channel == Channel.MEETING:
        row.starts_at = occurred
        row.ends_at = occurred + dt.timedelta(minutes=rng.choice([30, 45, 60, 90]))
        row.location = rng.choice(["Video call", "Their office", "Our office"])
        row.attendee_emails = [contact.email] if contact.email else []
    elif channel == Channel.EMAIL:
        row.from_address = contact.email if row.direction == Direction.INBOUND else ""
        row.to_addresses = [contact.email] if contact.email else []
    return row
