"""Demo step: resolved and closed support cases over the past months, so the service dashboard's
trends (cases opened and resolved, response and resolution times, SLA compliance, the backlog)
have history; the `support` step's cases are all from the last ten days.

It runs after every other step, so adding it changes nothing they build, and it does nothing
when cases older than a month exist already.
"""

import datetime as dt
from dataclasses import replace

from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo import support
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.support.models import Case, CaseStatus, CaseStatusChange

MONTHS = 5
PER_MONTH = 12


def build_service_history(context: DemoContext) -> None:
    month = dt.timedelta(days=30)
    if Case.objects.filter(created_at__lt=context.now - month).exists():
        return
    rng = context.rng("service history")
    queues = support._queues(context)
    policies = support._policies()
    contacts = list(Contact.objects.order_by("-id").only("id", "account_id")[:500])
    agent = context.users.get("support")
    statuses = (CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.CLOSED)
    cases = []
    for back in range(1, MONTHS + 1):
        # Built as `support` builds cases, as if "now" were `back` months ago.
        then = replace(context, now=context.now - back * month)
        for _ in range(PER_MONTH):
            status = rng.choice(statuses)
            cases.append(support._case(then, rng, queues, policies, contacts, agent, status))
    Case.objects.bulk_create(cases)
    CaseStatusChange.objects.bulk_create(
        CaseStatusChange(case=case, to_status=case.status, actor=agent, at=case.status_changed_at)
        for case in cases
    )
    context.counts["past cases"] = len(cases)
    context.log(f"  {len(cases)} past cases over {MONTHS} months")
