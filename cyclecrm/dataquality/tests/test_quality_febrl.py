"""Duplicate detection measured on FEBRL data (without soc_sec_id) against its ground truth:
the records are stored as contacts, then the real CLI and scan run on them."""

import csv

import pytest
from django.core.management import call_command

from cyclecrm.contacts.models import Contact
from cyclecrm.dataquality.duplicates import quality
from cyclecrm.dataquality.models import DuplicateCluster

pytestmark = pytest.mark.django_db


def _store(records: list[quality.LabeledRecord], owner) -> dict[int, str]:
    rows = [
        Contact(
            owner=owner,
            created_by=owner,
            external_id=record.external_id,
            **{
                key: value or None if key == "birth_date" else value or ""
                for key, value in record.values.items()
            },
        )
        for record in records
    ]
    Contact.objects.bulk_create(rows, batch_size=1000)
    return dict(Contact.objects.values_list("id", "external_id"))


@pytest.mark.parametrize("name", ["febrl1", "febrl2"])
def test_febrl_pairwise_and_clustered_f1_reach_the_target(name, admin, tmp_path):
    records = quality.load(name)
    external = _store(records, admin)
    truth = quality.true_pairs(records)

    export = tmp_path / "pairs.csv"
    call_command("duplicates", "find", "contact", "--export", str(export), "--as", admin.username)
    with export.open(newline="") as handle:
        found = {
            quality._ordered(r["external_id_1"], r["external_id_2"]) for r in csv.DictReader(handle)
        }
    pairwise = quality.evaluate(found, truth)

    call_command("duplicates", "scan", "contact", "--as", admin.username)
    clusters = DuplicateCluster.objects.filter(record_type="contact", status="open")
    clustered = quality.evaluate(
        quality.cluster_pairs([[external[i] for i in c.record_ids] for c in clusters]), truth
    )

    assert pairwise["true_pairs"] == {"febrl1": 500, "febrl2": 1934}[name]
    assert pairwise["f1"] >= 0.99, pairwise
    assert clustered["f1"] >= 0.99, clustered
