"""Document numbers: sequential per kind and year, no gaps after a rollback, taken numbers
skipped, and no duplicates when transactions race (PostgreSQL)."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from cyclecrm.catalog import numbering
from cyclecrm.catalog.models import NumberCounter


def at_year(monkeypatch, year: int) -> None:
    moment = dt.datetime(year, 6, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(numbering.timezone, "now", lambda: moment)


def test_sequential_per_kind_and_year(db, monkeypatch):
    at_year(monkeypatch, 2026)
    assert [numbering.next_number("quote") for _ in range(3)] == [
        "Q-2026-00001",
        "Q-2026-00002",
        "Q-2026-00003",
    ]
    assert numbering.next_number("order") == "O-2026-00001"
    at_year(monkeypatch, 2027)
    assert numbering.next_number("quote") == "Q-2027-00001"


def test_a_rolled_back_document_gives_its_number_back(db, monkeypatch):
    at_year(monkeypatch, 2026)
    numbering.next_number("quote")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert numbering.next_number("quote") == "Q-2026-00002"
        raise RuntimeError("the quote failed to save")
    assert numbering.next_number("quote") == "Q-2026-00002"


def test_taken_numbers_are_skipped(db, monkeypatch):
    at_year(monkeypatch, 2026)
    taken = {"O-2026-00001", "O-2026-00002"}
    assert numbering.next_number("order", taken=taken.__contains__) == "O-2026-00003"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_racing_transactions_get_distinct_numbers():
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def allocate() -> None:
        try:
            start.wait()
            with transaction.atomic():
                results.append(numbering.next_number("quote"))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(set(results)) == 8
    assert NumberCounter.objects.get(kind="quote").last == 8
