"""Demo step for support: queues with business hours, SLA policies, ~40 cases in every state
(some breached and escalated) and a small knowledge base. Due times are computed with the same
business-hours rules the services use; rows are bulk-inserted like the other demo steps."""

import datetime as dt
import random
from typing import Any

from cyclecrm.catalog.numbering import next_serial_number
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.richtext import html_to_text
from cyclecrm.identity.models import Team
from cyclecrm.support import sla
from cyclecrm.support.escalation import breach_changes
from cyclecrm.support.models import (
    PRIORITY_RANK,
    Article,
    ArticleCategory,
    ArticleStatus,
    BusinessCalendar,
    Case,
    CaseStatus,
    CaseStatusChange,
    SlaPolicy,
)

CASES = 40
# (queue, time zone, opens, closes)
QUEUES = [
    ("Support", "UTC", dt.time(9), dt.time(17)),
    ("Support EMEA", "Europe/Berlin", dt.time(8), dt.time(18)),
    ("Support Americas", "America/New_York", dt.time(9), dt.time(18)),
]
# priority: (first response, resolution, escalate to)
POLICIES = {
    "low": (480, 2400, ""),
    "normal": (240, 960, "high"),
    "high": (60, 480, "urgent"),
    "urgent": (30, 240, ""),
}
SUBJECTS = [
    "Cannot log in after password reset", "Invoice shows the wrong VAT rate",
    "Export to CSV times out", "Two-factor codes not arriving", "Order arrived damaged",
    "How do I add a second user?", "Integration stopped syncing overnight",
    "Refund for duplicate charge", "Dashboard loads very slowly", "Change billing address",
    "Mobile app crashes on start", "Question about the enterprise plan",
]  # fmt: skip
STATUSES = ["new"] * 8 + ["open"] * 12 + ["pending"] * 5 + ["resolved"] * 10 + ["closed"] * 5
ARTICLES = [
    ("Accounts", "Resetting your password", "Open <b>Settings → Security</b>, choose reset."),
    ("Accounts", "Adding users to your workspace", "Admins invite users from Settings → Users."),
    ("Accounts", "Setting up two-factor authentication", "Scan the QR code with your app."),
    ("Billing", "Understanding your invoice", "Each line shows the plan, seats and taxes."),
    ("Billing", "Requesting a refund", "Refunds for duplicate charges are made within 5 days."),
    ("Billing", "Changing your billing address", "Edit it under Billing → Details."),
    ("Troubleshooting", "Exports that time out", "Narrow the filter or export in the background."),
    ("Troubleshooting", "Slow dashboards", "Reduce the date range; clear cached widgets."),
    ("Troubleshooting", "Integrations that stop syncing", "Reconnect the integration token."),
    ("Troubleshooting", "Mobile app crashes", "Update to the latest version and sign in again."),
]


def build_support(context: DemoContext) -> None:
    rng = context.rng("support")
    queues = _queues(context)
    policies = _policies()
    articles = _articles(context)
    contacts = list(Contact.objects.order_by("-id").only("id", "account_id")[:500])
    agent = context.users.get("support")
    cases = [
        _case(context, rng, queues, policies, contacts, agent, status)
        for status in rng.sample(STATUSES, len(STATUSES))
    ]
    Case.objects.bulk_create(cases)
    CaseStatusChange.objects.bulk_create(
        CaseStatusChange(case=case, to_status=case.status, actor=agent, at=case.status_changed_at)
        for case in cases
    )
    links = [
        Case.articles.through(case=case, article=rng.choice(articles), linked_by=agent)
        for case in cases[:15]
    ]
    Case.articles.through.objects.bulk_create(links, ignore_conflicts=True)
    breached = sum(
        1 for case in cases if case.first_response_breached_at or case.resolution_breached_at
    )
    context.counts["cases"] = len(cases)
    context.log(f"  {len(cases)} cases ({breached} breached), {len(articles)} articles")


def _queues(context: DemoContext) -> list[Team]:
    parent = context.teams.get("Support")
    queues = []
    for name, zone, opens, closes in QUEUES:
        team = context.teams.get(name) or Team.objects.filter(name__iexact=name).first()
        if team is None:
            team = Team.objects.create(name=name, parent=parent)
        if team.manager_id is None and "manager" in context.users:
            Team.objects.filter(pk=team.pk).update(manager=context.users["manager"])
        BusinessCalendar.objects.get_or_create(
            team=team, defaults={"timezone": zone, "start_time": opens, "end_time": closes}
        )
        context.teams[name] = team
        queues.append(team)
    return queues


def _policies() -> dict[str, SlaPolicy]:
    policies = {}
    for priority, (first, resolution, escalate) in POLICIES.items():
        policies[priority], _ = SlaPolicy.objects.get_or_create(
            team=None,
            priority=priority,
            defaults={
                "name": f"Default {priority}",
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "escalate_to_priority": escalate,
            },
        )
    return policies


def _articles(context: DemoContext) -> list[Article]:
    categories = {}
    for position, name in enumerate(dict.fromkeys(category for category, _, _ in ARTICLES)):
        categories[name], _ = ArticleCategory.objects.get_or_create(
            slug=name.lower(), defaults={"name": name, "position": position}
        )
    author = context.users.get("support")
    articles = []
    for index, (category, title, text) in enumerate(ARTICLES):
        slug = title.lower().replace(" ", "-")
        body = f"<p>{text}</p><p>Still stuck? Reply to your case and we will help.</p>"
        article = Article.objects.filter(slug=slug).first() or Article.objects.create(
            title=title,
            slug=slug,
            body=body,
            search_text=html_to_text(body),
            category=categories[category],
            status=ArticleStatus.DRAFT if index == 9 else ArticleStatus.PUBLISHED,
            published_at=None if index == 9 else context.now,
            owner=author,
            created_by=author,
        )
        articles.append(article)
    return articles


def _case(
    context: DemoContext,
    rng: random.Random,
    queues: list[Team],
    policies: dict[str, SlaPolicy],
    contacts: list[Contact],
    agent: Any,
    status: str,
) -> Case:
    now = context.now
    queue = rng.choice(queues)
    priority = rng.choices(list(POLICIES), weights=[2, 5, 3, 1])[0]
    opened = now - dt.timedelta(hours=rng.uniform(0.5, 240))
    calendar = sla.calendar_for_team(queue)
    dues = sla.initial_dues(policies[priority], opened, calendar)
    contact = rng.choice(contacts) if contacts else None
    case = Case(
        number=next_serial_number("case", "CASE", taken=lambda n: False),
        subject=rng.choice(SUBJECTS),
        description="<p>Reported by the customer.</p>",
        contact=contact,
        account_id=contact.account_id if contact else None,
        channel=rng.choice(["email", "email", "phone", "web", "chat"]),
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        status=status,
        owner=agent,
        team=queue,
        created_by=agent,
        updated_by=agent,
        created_at=opened,
        updated_at=opened,
        status_changed_at=opened,
        **dues,
    )
    if status != CaseStatus.NEW or rng.random() < 0.3:
        case.first_responded_at = opened + dt.timedelta(minutes=rng.uniform(5, 400))
        case.first_responded_at = min(case.first_responded_at, now)
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolved_at = min(opened + dt.timedelta(hours=rng.uniform(1, 48)), now)
        case.status_changed_at = case.resolved_at
    if status == CaseStatus.CLOSED:
        case.closed_at = case.resolved_at
    if status == CaseStatus.PENDING:
        case.paused_at = case.first_responded_at or now
    for name, value in breach_changes(case, now).items():
        setattr(case, name, value)
        case.escalated_at = case.escalated_at or value
    case.next_due_at = sla.next_due(sla.case_values(case))
    return case
