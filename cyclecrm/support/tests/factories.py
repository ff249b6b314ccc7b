"""Support test data: plain inserts for configuration, the services for cases (their clocks
are what the tests are about)."""

import itertools
from typing import Any

from cyclecrm.identity.models import Team, User
from cyclecrm.support.models import Article, ArticleStatus, BusinessCalendar, SlaPolicy

_seq = itertools.count(1)


def make_policy(priority: str = "normal", team: Team | None = None, **fields: Any) -> SlaPolicy:
    fields.setdefault("name", f"Policy {next(_seq)}")
    fields.setdefault("first_response_minutes", 60)
    fields.setdefault("resolution_minutes", 480)
    return SlaPolicy.objects.create(priority=priority, team=team, **fields)


def make_calendar(team: Team, **fields: Any) -> BusinessCalendar:
    return BusinessCalendar.objects.create(team=team, **fields)


def make_article(owner: User | None = None, **fields: Any) -> Article:
    n = next(_seq)
    fields.setdefault("title", f"How to reset a password {n}")
    fields.setdefault("slug", f"article-{n}")
    fields.setdefault("body", "<p>Open settings and choose reset.</p>")
    fields.setdefault("search_text", "Open settings and choose reset.")
    fields.setdefault("status", ArticleStatus.PUBLISHED)
    return Article.objects.create(owner=owner, created_by=owner, **fields)
