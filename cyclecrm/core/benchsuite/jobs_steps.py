"""The database-side steps of the job measurements (jobs.py), each run in a child process on the
target's database: `python -m cyclecrm.core.benchsuite.jobs_steps STEP '{json arguments}'`
prints one JSON object on its last stdout line.

They run in a child so that the suite runner never needs a Django connection to the target,
and so their own start-up and memory stay out of the figures of the process being measured.
"""

import csv
import datetime as dt
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Step = Callable[[dict[str, Any]], dict[str, Any]]
SEGMENT_NAME = "Benchmark: 4-rule segment"
CAMPAIGN_NAME = "Benchmark campaign"
HTML_BODY = (
    "<p>Hello {{ contact.first_name }},</p><p>news for {{ contact.city }} from "
    "{{ mailing.name }}: <a href='https://example.com/offer'>see the offer</a>.</p>"
    "<p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
)
# What the four rules test: fields the data set generator fills (analytics/bench.py).
SEGMENT_RULES = {
    "all": [
        {"field": "country", "op": "eq", "value": "GB"},
        {"field": "city", "op": "in", "value": ["London", "Manchester", "Leeds", "Bristol"]},
        {"field": "account.industry", "op": "in", "value": ["Software", "Finance"]},
        {"field": "email", "op": "contains", "value": ".example.com"},
    ]
}
CSV_COLUMNS = ("external_id", "first_name", "last_name", "email", "phone", "city")


def _admin() -> Any:
    from cyclecrm.analytics.bench import BENCH_ADMIN
    from cyclecrm.identity.models import User

    return User.objects.get(username=BENCH_ADMIN)


# --- import -------------------------------------------------------------------------------------


def _clean_rows(path: Path, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """The file's rows as a bare insert would write them: the columns as given, country and
    birth date as the import stores them (ISO code, a date or nothing)."""
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            row: dict[str, Any] = {name: record[name] for name in CSV_COLUMNS}
            row |= {"postal_code": record["postal_code"], "country": "US"}
            row |= {"created_at": now, "updated_at": now}
            try:
                row["birth_date"] = dt.date.fromisoformat(record["birth_date"])
            except ValueError:
                row["birth_date"] = None
            yield row


def bare_insert(args: dict[str, Any]) -> dict[str, Any]:
    """Insert the file's rows into contacts_contact with executemany in one transaction,
    committed (the commit is part of the floor), then delete them again (not timed). The rows
    are read and adapted in chunks outside the timed part, so memory stays small at 1M rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from cyclecrm.analytics.bench import _adapt, _columns
    from cyclecrm.contacts.models import Contact

    before = Contact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rows = _clean_rows(args["csv"], timezone.now())
    first = next(rows)
    columns = _columns(Contact, first)
    quoted = ", ".join(connection.ops.quote_name(field.column) for field in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO contacts_contact ({quoted}) VALUES ({marks})"
    defaults = {field.attname: field.get_db_prep_save(field.get_default(), connection)
                for field in columns}  # fmt: skip
    seconds = cpu_seconds = 0.0
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(itertools.chain([first], rows), 10_000):
            params = [
                [_adapt(f, row[f.attname]) if f.attname in row else defaults[f.attname]
                 for f in columns]
                for row in chunk
            ]  # fmt: skip
            started, cpu = time.perf_counter(), time.process_time()
            cursor.executemany(sql, params)
            seconds += time.perf_counter() - started
            cpu_seconds += time.process_time() - cpu
            written += len(params)
        started, cpu = time.perf_counter(), time.process_time()
    seconds += time.perf_counter() - started  # the commit
    cpu_seconds += time.process_time() - cpu
    # Plain SQL: the bare rows have no related rows and got no side effects to undo.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM contacts_contact WHERE id > %s", [before])
        removed = cursor.rowcount
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE contacts_contact")
    return {
        "rows": written,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "removed": removed,
        "method": "executemany, one transaction, committed"
        + (" (psycopg 3, pipelined)" if connection.vendor == "postgresql" else " (sqlite3)"),
    }


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def import_cleanup(args: dict[str, Any]) -> dict[str, Any]:
    """Remove the contacts an import created (found by its history rows), their history and the
    import job, so the next run meets the same data set."""
    from django.db import connection, transaction

    from cyclecrm.contacts.models import Contact
    from cyclecrm.core.models import HistoryAction, HistoryEntry
    from cyclecrm.dataquality.models import ImportJob

    job = ImportJob.objects.get(pk=args["import_id"])
    own = f"import:{job.pk}"
    created = list(
        HistoryEntry.objects.filter(
            request_id=own, record_type="contact", action=HistoryAction.CREATE
        ).values_list("object_id", flat=True)
    )
    import_seconds = (job.finished_at - job.started_at).total_seconds() if job.started_at else None
    removed = 0
    for start in range(0, len(created), 5000):
        with transaction.atomic():
            removed += (
                Contact.objects.filter(pk__in=created[start : start + 5000])
                .delete()[1]
                .get("contacts.Contact", 0)
            )
    HistoryEntry.objects.filter(record_type="contact", object_id__in=created).delete()
    HistoryEntry.objects.filter(request_id=own).delete()
    job.delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE contacts_contact")
    return {"removed_contacts": removed, "import_seconds": import_seconds}


# --- duplicates ---------------------------------------------------------------------------------


def duplicates_last_scan(args: dict[str, Any]) -> dict[str, Any]:
    """The newest contact scan started since `since` (epoch seconds), marked failed when a
    stopped process left it queued or running; {} when the process stopped before creating it."""
    from django.utils import timezone

    from cyclecrm.dataquality.models import DuplicateScan

    since = dt.datetime.fromtimestamp(args["since"], tz=dt.UTC)
    scans = DuplicateScan.objects.filter(record_type="contact", created_at__gte=since)
    scan = scans.order_by("-id").first()
    if scan is None:
        return {}
    if scan.status in ("queued", "running"):
        scan.status, scan.error = "failed", "Stopped by the benchmark's time limit."
        scan.finished_at = timezone.now()
        scan.save(update_fields=["status", "error", "finished_at"])
    return {
        "scan": scan.pk,
        "status": scan.status,
        "records": scan.records,
        "compared": scan.candidate_pairs,
        "pairs": scan.pairs,
        "clusters": scan.clusters,
    }


# --- segment ------------------------------------------------------------------------------------


def segment_create(args: dict[str, Any]) -> dict[str, Any]:
    from cyclecrm.segments.models import Segment
    from cyclecrm.segments.services import segment_create as create

    Segment.objects.filter(name=SEGMENT_NAME).delete()
    segment = create(actor=_admin(), data={"name": SEGMENT_NAME, "rules": SEGMENT_RULES})
    return {"segment": segment.pk, "rules": SEGMENT_RULES}


def segment_delete(args: dict[str, Any]) -> dict[str, Any]:
    from cyclecrm.segments.models import Segment

    deleted, _ = Segment.objects.filter(pk=args["segment"]).delete()
    return {"deleted": deleted}


# --- campaign -----------------------------------------------------------------------------------


def campaign_start(args: dict[str, Any]) -> dict[str, Any]:
    """A static list of the first `recipients` contacts with an e-mail address (given e-mail
    consent for the run where they lack it; `campaign_cleanup` withdraws it again), a mailing
    to it, started through the mailing service; then one more send task per further batch,
    enqueued at once instead of a minute apart (see docs/performance.md)."""
    from django.db import transaction

    from cyclecrm.contacts.models import Contact
    from cyclecrm.mailings.models import MailingRecipient, RecipientState
    from cyclecrm.mailings.services.audience import mailing_start
    from cyclecrm.mailings.services.mailings import mailing_create
    from cyclecrm.mailings.services.sending import MAX_BATCH
    from cyclecrm.mailings.tasks import send_mailing
    from cyclecrm.segments.models import SegmentKind, SegmentMember
    from cyclecrm.segments.services import segment_create as create_segment

    actor = _admin()
    people = Contact.objects.exclude(email="").filter(do_not_contact=False).order_by("id")
    ids = list(people.values_list("id", flat=True)[: args["recipients"]])
    with transaction.atomic():
        granted = list(
            Contact.objects.filter(pk__in=ids, consent_email=False).values_list("id", flat=True)
        )
        Contact.objects.filter(pk__in=granted).update(consent_email=True)
        segment = create_segment(
            actor=actor, data={"name": CAMPAIGN_NAME, "kind": SegmentKind.STATIC}
        )
        SegmentMember.objects.bulk_create(
            [SegmentMember(segment=segment, contact_id=pk) for pk in ids], batch_size=2000
        )
    Path(args["granted_file"]).write_text(json.dumps(granted))
    mailing = mailing_create(
        actor=actor,
        data={
            "name": CAMPAIGN_NAME,
            "subject": "News for {{ contact.first_name }}",
            "html_body": HTML_BODY,
            "segment_id": segment.pk,
            "rate_per_minute": MAX_BATCH,
        },
    )
    started_at = time.time()
    mailing = mailing_start(actor=actor, mailing=mailing)
    snapshot_seconds = time.time() - started_at
    pending = MailingRecipient.objects.filter(mailing=mailing, state=RecipientState.PENDING).count()
    for _ in range(1, -(-pending // MAX_BATCH)):
        send_mailing(mailing.pk)
    return {
        "mailing": mailing.pk,
        "segment": segment.pk,
        "audience": len(ids),
        "pending": pending,
        "suppressed": mailing.suppressed,
        "started_at": started_at,
        "snapshot_seconds": snapshot_seconds,
    }


def campaign_cleanup(args: dict[str, Any]) -> dict[str, Any]:
    """Recipient counts by state, then the mailing, its list and the consent given for the run
    removed again."""
    from django.db.models import Count

    from cyclecrm.contacts.models import Contact
    from cyclecrm.mailings.models import Mailing, MailingRecipient
    from cyclecrm.segments.models import Segment

    states = dict(
        MailingRecipient.objects.filter(mailing_id=args["mailing"])
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    mailing = Mailing.objects.filter(pk=args["mailing"]).values("status").first()
    Mailing.objects.filter(pk=args["mailing"]).delete()
    Segment.objects.filter(pk=args["segment"]).delete()
    granted_file = Path(args["granted_file"])
    granted = json.loads(granted_file.read_text()) if granted_file.exists() else []
    for start in range(0, len(granted), 5000):
        Contact.objects.filter(pk__in=granted[start : start + 5000]).update(consent_email=False)
    return {"states": states, "status": (mailing or {}).get("status"), "restored": len(granted)}


STEPS: dict[str, Step] = {
    "bare-insert": bare_insert,
    "import-cleanup": import_cleanup,
    "duplicates-last-scan": duplicates_last_scan,
    "segment-create": segment_create,
    "segment-delete": segment_delete,
    "campaign-start": campaign_start,
    "campaign-cleanup": campaign_cleanup,
}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cyclecrm.config.settings")
    import django

    django.setup()
    args = json.loads(argv[2]) if len(argv) > 2 else {}
    if "csv" in args:
        args["csv"] = Path(args["csv"])
    result = STEPS[argv[1]](args)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv)
