"""`cyclecrm recommend evaluate` on the real UCI Online Retail data and on broken files."""

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cyclecrm.intelligence.datasets import dataset

UCI_CLEANING = [
    "--customer-column", "CustomerID", "--item-column", "StockCode",
    "--date-column", "InvoiceDate", "--basket-column", "InvoiceNo",
    "--require-column", "CustomerID", "--min-quantity-column", "Quantity",
    "--exclude-prefix", "InvoiceNo=C",
]  # fmt: skip


def _evaluate(path: Path, *options: str) -> dict:
    out = StringIO()
    call_command("recommend", "evaluate", "--transactions", str(path), *options, "--json",
                 stdout=out)  # fmt: skip
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_model_beats_popularity_on_uci_online_retail():
    path = dataset("retail", "online_retail_uci.csv.gz")
    result = _evaluate(path, *UCI_CLEANING, "--cutoff", "2011-09-01", "--k", "5,10")
    # the cleaning of the data set's documentation
    assert result["rows_kept"] == 397_924
    assert result["customers_evaluated"] > 1000
    for k in ("5", "10"):
        assert result["hit_rate"][k] > result["baseline_hit_rate"][k] > 0
        assert result["lift_over_baseline"][k] > 1.1
        assert result["precision"][k] > result["baseline_precision"][k]
    assert result["hit_rate"]["10"] >= result["hit_rate"]["5"]


@pytest.fixture
def small_file(tmp_path) -> Path:
    path = tmp_path / "lines.csv.gz"
    lines = ["order,customer,sku,day,qty"]
    for n in range(8):
        lines += [f"o{n},c{n},A,2024-01-0{n + 1},1", f"o{n},c{n},B,2024-01-0{n + 1},1"]
    lines += ["x1,c0,C,2024-03-01,1", "Cx,c1,B,2024-03-01,1", "r1,c2,D,2024-03-01,-1"]
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    return path


def test_filters_and_default_baskets(small_file):
    result = _evaluate(small_file, "--customer-column", "customer", "--item-column", "sku",
                       "--date-column", "day", "--cutoff", "2024-02-01", "--k", "1",
                       "--min-quantity-column", "qty", "--exclude-prefix", "order=C")  # fmt: skip
    assert (result["rows_read"], result["rows_kept"]) == (19, 17)
    assert result["baskets"] == 8  # one per customer and day without --basket-column
    assert result["customers_evaluated"] == 1  # c0 bought C, new after the cut-off


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--customer-column", "client"], "--customer-column 'client': no such column"),
        (["--exclude-prefix", "order"], "write COLUMN=PREFIX"),
        (["--cutoff", "01/02/2024"], "--cutoff '01/02/2024'"),
        (["--k", "0"], "--k '0'"),
    ],
)
def test_clear_errors(small_file, options, message):
    base = {"--customer-column": "customer", "--item-column": "sku", "--date-column": "day",
            "--cutoff": "2024-02-01"}  # fmt: skip
    for option, value in zip(options[::2], options[1::2], strict=True):
        base[option] = value
    arguments = [part for pair in base.items() for part in pair]
    with pytest.raises(CommandError, match=message):
        _evaluate(small_file, *arguments)


def test_bad_date_names_the_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("customer,sku,day\nc1,A,2024-01-01\nc2,B,not a day\n")
    with pytest.raises(CommandError, match=r"Row 3, column 'day': 'not a day' is not a date"):
        _evaluate(path, "--customer-column", "customer", "--item-column", "sku",
                  "--date-column", "day", "--cutoff", "2024-02-01")  # fmt: skip
