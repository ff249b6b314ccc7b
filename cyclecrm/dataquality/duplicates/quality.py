"""Measuring duplicate detection against record-linkage data with a known truth.

The data sets live in ../shared/data/record_linkage (see its README). Each loader maps the
file's columns to contact fields a CRM holds (never an identifier such as soc_sec_id) and
returns `LabeledRecord`s: the source record id (stored as the contact's external_id), the
contact field values and the true entity. `evaluate` scores predicted pairs or clusters
against the true pairs: every pair of records of the same entity.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from cyclecrm.intelligence.datasets import shared_data

DATASETS = ("febrl1", "febrl2", "febrl3", "fake_1000", "historical_50k")


def data_dir() -> Path:
    return shared_data() / "record_linkage"


@dataclass(frozen=True)
class LabeledRecord:
    external_id: str
    values: dict[str, Any]
    entity: str


def load(name: str) -> list[LabeledRecord]:
    """The records of one data set, mapped to contact fields."""
    if name.startswith("febrl"):
        return _febrl(data_dir() / "febrl" / f"febrl_dataset{name[-1]}.csv")
    if name == "fake_1000":
        return _fake_1000(data_dir() / "splink_datasets" / "fake_1000.csv")
    if name == "historical_50k":
        return _historical(
            data_dir() / "splink_datasets" / "historical_figures_with_errors_50k.parquet"
        )
    raise ValueError(f"unknown data set {name!r}; one of {', '.join(DATASETS)}")


def _febrl(path: Path) -> list[LabeledRecord]:
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, skipinitialspace=True):
            rec_id = row["rec_id"]
            street = " ".join(
                part for part in (row["street_number"], row["address_1"], row["address_2"]) if part
            )
            values = {
                "first_name": row["given_name"],
                "last_name": row["surname"],
                "street": street,
                "city": row["suburb"],
                "postal_code": row["postcode"],
                "region": row["state"],
                "birth_date": _iso_date(row["date_of_birth"]),
            }
            out.append(LabeledRecord(rec_id, values, rec_id.split("-")[1]))
    return out


def _fake_1000(path: Path) -> list[LabeledRecord]:
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values = {
                "first_name": row["first_name"],
                "last_name": row["surname"],
                "birth_date": row["dob"],
                "city": row["city"],
                "email": row["email"],
            }
            out.append(LabeledRecord(row["unique_id"], values, row["cluster"]))
    return out


def _historical(path: Path) -> list[LabeledRecord]:
    import pyarrow.parquet as pq  # benchmark-only dependency

    table = pq.read_table(path).to_pylist()
    out = []
    for row in table:
        values = {
            "first_name": row["first_name"],
            "last_name": row["surname"],
            "birth_date": row["dob"],
            "city": row["birth_place"],
            "postal_code": row["postcode_fake"],
            "gender": row["gender"],
            "title": row["occupation"],
        }
        out.append(LabeledRecord(row["unique_id"], values, row["cluster"]))
    return out


def _iso_date(digits: str) -> str:
    """FEBRL writes YYYYMMDD and sometimes an impossible date; keep only valid ones."""
    from datetime import date

    if len(digits) != 8 or not digits.isdigit():
        return ""
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        return ""


def true_pairs(records: Iterable[LabeledRecord]) -> set[tuple[str, str]]:
    by_entity: dict[str, list[str]] = defaultdict(list)
    for record in records:
        by_entity[record.entity].append(record.external_id)
    return {_ordered(a, b) for members in by_entity.values() for a, b in combinations(members, 2)}


def cluster_pairs(clusters: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    return {_ordered(a, b) for members in clusters for a, b in combinations(sorted(members), 2)}


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def evaluate(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of `predicted` over all true pairs."""
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted_pairs": len(predicted),
        "true_pairs": len(truth),
        "true_positives": hits,
    }
