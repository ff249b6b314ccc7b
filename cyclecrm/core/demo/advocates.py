"""Demo step for advocates: social mentions by some of the promoters (inbound social
interactions, the signal the score counts), then the advocacy scores computed by the service
from everything built before (NPS answers, and reviews and referrals where those steps ran)."""

import datetime as dt

from cyclecrm.activities.engagement import engagement_refresh
from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.advocacy.advocates import advocate_scores_refresh
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.feedback.models import Category, SurveyResponse

MENTION_SHARE = 0.5
MAX_MENTIONS = 3
MENTION_DAYS = 300
SUBJECTS = ["Recommended us on LinkedIn", "Praised the support team on X", "Tagged us in a post"]


def build_advocates(context: DemoContext) -> None:
    rng = context.rng("advocates")
    promoters = sorted(
        set(
            SurveyResponse.objects.filter(category=Category.PROMOTER).values_list(
                "contact_id", flat=True
            )
        )
    )
    speakers = rng.sample(promoters, round(len(promoters) * MENTION_SHARE))
    owners = dict(Contact.objects.filter(pk__in=speakers).values_list("pk", "owner_id"))
    rows = [
        Interaction(
            channel=Channel.SOCIAL,
            direction=Direction.INBOUND,
            contact_id=pk,
            subject=rng.choice(SUBJECTS),
            occurred_at=context.now - dt.timedelta(days=rng.randrange(MENTION_DAYS)),
            owner_id=owners.get(pk),
        )
        for pk in speakers
        for _ in range(rng.randint(1, MAX_MENTIONS))
    ]
    Interaction.objects.bulk_create(rows, batch_size=context.options.batch_size)
    engagement_refresh(speakers, now=context.now)
    result = advocate_scores_refresh(now=context.now)
    context.counts["advocates"] = result.scored
    context.log(f"  {len(rows)} social mentions; {result.scored} advocates scored")
