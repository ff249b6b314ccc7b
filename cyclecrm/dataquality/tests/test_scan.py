"""The batch scan: clusters for the review queue, best first; dismissed pairs stay dismissed."""

from datetime import date

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.duplicates import scan as scan_module
from cyclecrm.dataquality.duplicates.clusters import group, group_indexed
from cyclecrm.dataquality.duplicates.compare import Person
from cyclecrm.dataquality.duplicates.matching import scored_pairs
from cyclecrm.dataquality.duplicates.scan import run_scan, scan_start
from cyclecrm.dataquality.duplicates.tasks import scan_duplicates
from cyclecrm.dataquality.models import DuplicateCluster, DuplicatePair, DuplicateScan

pytestmark = pytest.mark.django_db


def _people(owner):
    ada = make_contact(owner, first_name="Ada", last_name="Byron", email="ada@example.org")
    ada2 = make_contact(owner, first_name="Ada", last_name="Byronn", email="ada@example.org")
    bob = make_contact(
        owner, first_name="Robert", last_name="Noyce", email="", birth_date=date(1927, 12, 12)
    )
    bob2 = make_contact(
        owner, first_name="Robert", last_name="Noyce", email="", birth_date=date(1927, 12, 21)
    )
    make_contact(owner, first_name="Linus", last_name="Pauling", email="linus@example.org")
    return ada, ada2, bob, bob2


def test_scan_groups_duplicates_into_clusters_sorted_by_score(admin):
    ada, ada2, bob, bob2 = _people(admin)
    scan = run_scan(scan_start(actor=admin, record_type="contact").pk)
    assert (scan.status, scan.records, scan.clusters, scan.pairs) == ("done", 5, 2, 2)
    clusters = list(DuplicateCluster.objects.filter(record_type="contact"))
    assert [c.record_ids for c in clusters] == [[ada.pk, ada2.pk], [bob.pk, bob2.pk]]
    assert clusters[0].score >= clusters[1].score
    pair = DuplicatePair.objects.get(cluster=clusters[0])
    assert (pair.left_id, pair.right_id) == (ada.pk, ada2.pk)
    assert pair.reasons["email"] > 0


def test_rescan_replaces_open_clusters_and_never_reopens_a_dismissed_pair(admin):
    ada, ada2, bob, bob2 = _people(admin)
    run_scan(scan_start(actor=admin, record_type="contact").pk)
    dismissed = DuplicateCluster.objects.get(record_ids=[bob.pk, bob2.pk])
    dismissed.status = "dismissed"
    dismissed.save()

    scan = run_scan(scan_start(actor=admin, record_type="contact").pk)

    assert scan.clusters == 1
    open_ids = list(
        DuplicateCluster.objects.filter(status="open").values_list("record_ids", flat=True)
    )
    assert open_ids == [[ada.pk, ada2.pk]]
    assert DuplicateCluster.objects.filter(pk=dismissed.pk, status="dismissed").exists()


def test_scan_runs_as_a_background_job(admin):
    _people(admin)
    scan = scan_start(actor=admin, record_type="contact")
    scan_duplicates.call_local(scan.pk)
    assert DuplicateScan.objects.get(pk=scan.pk).status == "done"


def test_scan_sees_only_what_the_actor_may_read(rep_a, rep_b):
    _people(rep_b)
    scan = run_scan(scan_start(actor=rep_a, record_type="contact").pk)
    assert (scan.records, scan.clusters) == (0, 0)


def test_scan_refuses_an_unmatched_type_and_a_bad_threshold(admin):
    with pytest.raises(ValueError, match="record_type"):
        scan_start(actor=admin, record_type="order")
    with pytest.raises(ValueError, match="threshold"):
        scan_start(actor=admin, record_type="contact", threshold=1.5)


def test_guarded_grouping_does_not_chain_two_clusters_through_a_weak_edge():
    edges = [(1, 2, 0.999), (3, 4, 0.999), (2, 3, 0.6), (4, 5, 0.6)]
    assert group(edges, strong=0.99, mode="connected") == [[1, 2, 3, 4, 5]]
    assert group(edges, strong=0.99, mode="guarded") == [[1, 2], [3, 4, 5]]


def test_array_grouping_matches_the_edge_grouping_ties_included():
    rng = np.random.default_rng(3)
    left = rng.integers(0, 60, size=120)
    right = rng.integers(0, 60, size=120)
    keep = left < right
    left, right = left[keep], right[keep]
    score = rng.choice([0.6, 0.8, 0.995, 0.999], size=len(left))
    edges = list(zip(left.tolist(), right.tolist(), score.tolist(), strict=True))
    expected = group(edges, strong=0.99)
    labels = group_indexed(left, right, score, 60, strong=0.99)
    clusters = [np.flatnonzero(labels == n).tolist() for n in range(labels.max() + 1)]
    assert clusters == expected
    assert len(expected) > 3


def test_scan_reads_contacts_in_keyset_pages_of_tuples(admin, monkeypatch):
    people = [make_contact(admin, first_name="Ada", last_name=f"L{n}") for n in range(5)]
    monkeypatch.setattr(scan_module, "CHUNK", 2)
    with CaptureQueriesContext(connection) as queries:
        ids, records = scan_module.load_records("contact", None)
    assert list(ids) == sorted(p.pk for p in people)
    pages = [q["sql"] for q in queries if "contacts_contact" in q["sql"]]
    # 5 rows in pages of 2: 2 + 2 + 1, the last page shorter so no fourth query.
    assert len(pages) == 3
    assert all("LIMIT 2" in sql for sql in pages)
    assert sum('"id" >' in sql for sql in pages) == 2
    # one copy of a repeated value across records
    assert records[0].first_name is records[4].first_name


def test_an_oversized_block_is_skipped_not_compared_pairwise():
    people = [Person(first_name="ann", last_name="smith") for _ in range(12)]
    stats: dict[str, int] = {}
    assert list(scored_pairs(people, "contact", max_block=10, stats=stats)) == []
    assert stats["compared"] == 0
    stats = {}
    list(scored_pairs(people[:10], "contact", max_block=10, stats=stats))
    assert stats["compared"] == 45
