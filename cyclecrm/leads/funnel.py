"""The lead funnel's steps, defined once: the lead list filter (`reached=`) and the KPIs
(`lead_funnel` and the step-to-step conversion rates) use these conditions.

Each step counts the leads that reached it *or any later step*, so the funnel never widens:
a lead qualified by a salesperson without ever reaching an MQL grade band still passed the
MQL step.

- mql: `mql_at` is set (a grade band marking MQL was reached), or a later step was reached;
- sql: the lead is `qualified` now, or its status history shows it was ever set to
  `qualified`, or it was converted;
- opportunity: it was converted with an opportunity;
- won: that opportunity is in a won stage.
"""

from django.db.models import Exists, OuterRef, Q

from cyclecrm.leads.models import LeadStatus, LeadStatusChange

STEPS = ("lead", "mql", "sql", "opportunity", "won")
LABELS = {
    "lead": "Leads",
    "mql": "MQL",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "won": "Won",
}


def won_q() -> Q:
    from cyclecrm.pipeline.models import StageKind

    return Q(converted_opportunity__stage__kind=StageKind.WON)


def opportunity_q() -> Q:
    return Q(converted_opportunity__isnull=False)


def sql_q() -> Q:
    ever_qualified = LeadStatusChange.objects.filter(
        lead_id=OuterRef("pk"), to_status=LeadStatus.QUALIFIED
    )
    return (
        Q(status=LeadStatus.QUALIFIED)
        | Q(Exists(ever_qualified))
        | Q(converted_at__isnull=False)
        | opportunity_q()
    )


def mql_q() -> Q:
    return Q(mql_at__isnull=False) | sql_q()


def reached_q(step: str) -> Q:
    """Leads that reached `step` (one of STEPS) or a later one."""
    return {
        "lead": Q,
        "mql": mql_q,
        "sql": sql_q,
        "opportunity": opportunity_q,
        "won": won_q,
    }[step]()
