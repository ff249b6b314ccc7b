"""Steps the runner runs in a child process on the target's database (`cyclecrm bench
--child scale-...`), so they use the target's settings: its database, its SECRET_KEY (which
signs the page cursors), its cache."""

import json
import secrets
import sys
from typing import Any

import numpy as np


def prepare(samples: int, seed: int = 10) -> dict[str, Any]:
    """What the HTTP measurements need: API tokens (write scope) for the admin and the rep, a
    password for the admin's web log-in, cursors deep into the contact list, and sample
    contacts (id, version, e-mail) picked at random."""
    from cyclecrm.analytics.bench import BENCH_ADMIN, BENCH_REP
    from cyclecrm.contacts.models import Contact
    from cyclecrm.identity.models import TokenScope, User
    from cyclecrm.identity.services import token_create

    admin = User.objects.get(username=BENCH_ADMIN)
    rep = User.objects.get(username=BENCH_REP)
    password = secrets.token_urlsafe(18)
    admin.set_password(password)
    admin.save(update_fields=["password"])
    tokens = {
        user.username: token_create(
            actor=None, user=user, name="benchmark suite", scope=TokenScope.WRITE
        )[1]
        for user in (admin, rep)
    }
    total = Contact.objects.count()
    return {
        "admin": BENCH_ADMIN,
        "password": password,
        "token": tokens[BENCH_ADMIN],
        "rep_token": tokens[BENCH_REP],
        "contacts": total,
        "deep": deep_cursors(total),
        "samples": sample_contacts(samples, np.random.default_rng(seed)),
    }


def deep_cursors(total: int, count: int = 20) -> dict[str, Any]:
    """Cursors of the default ordering (name) at and after the middle of the list: a page
    fetched with one starts `depth` rows in (≥ 500,000 at a million contacts)."""
    from cyclecrm.contacts.models import Contact
    from cyclecrm.contacts.selectors import CONTACT_ORDERINGS
    from cyclecrm.core.pagination import _encode

    spec = CONTACT_ORDERINGS["name"]
    start = total // 2
    step = max(1, min(500, (total - start) // (count + 1)))
    rows = list(
        Contact.objects.order_by(*spec.order_by()).only(*spec.columns)[start : start + step * count]
    )[::step]
    return {"depth": start, "cursors": [_encode(row, spec) for row in rows]}


def sample_contacts(count: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Distinct random contacts, each with its version (for PATCH) and e-mail."""
    from cyclecrm.contacts.models import Contact

    ids = np.array(Contact.objects.order_by("pk").values_list("pk", flat=True))
    chosen = rng.choice(ids, size=min(count, ids.size), replace=False)
    rows = Contact.objects.filter(pk__in=[int(pk) for pk in chosen]).values(
        "pk", "version", "email", "last_name"
    )
    found = {row["pk"]: row for row in rows}
    return [found[int(pk)] for pk in chosen if int(pk) in found]


def clear_cache_loop() -> None:
    """Clear the cache (the KPI values) each time a line arrives on stdin; answer "ok".
    One long-lived process instead of one start-up per cold dashboard request."""
    from django.core.cache import cache

    for _ in sys.stdin:
        cache.clear()
        sys.stdout.write("ok\n")
        sys.stdout.flush()


def run(step: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """Dispatch one `--child scale-...` step; the runner reads the JSON it prints."""
    if step == "scale-prepare":
        return prepare(options["samples"])
    if step == "scale-cache":
        clear_cache_loop()
        return None
    if step == "scale-counts":
        return row_counts()
    raise ValueError(f"Unknown step {step}.")


def row_counts() -> dict[str, int]:
    """Rows of the main tables of the data set."""
    from cyclecrm.activities.models import Interaction
    from cyclecrm.catalog.models import Order
    from cyclecrm.contacts.models import Account, Contact
    from cyclecrm.leads.models import Lead
    from cyclecrm.pipeline.models import Opportunity
    from cyclecrm.support.models import Case

    models = (Contact, Account, Lead, Opportunity, Interaction, Order, Case)
    return {model._meta.db_table: model.objects.count() for model in models}


def emit(report: dict[str, Any] | None) -> None:
    if report is not None:
        sys.stdout.write(json.dumps(report, default=str) + "\n")
