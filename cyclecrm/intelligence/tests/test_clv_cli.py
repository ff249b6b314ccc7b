"""The `clv fit` and `rfm` commands on CSV files: the CDNOW reproduction from the raw file, gzip
and date formats, clear errors, and a time-split run on the UCI online retail data."""

import io
import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cyclecrm.intelligence.datasets import dataset
from cyclecrm.intelligence.tests.test_clv import (
    PUBLISHED_BGNBD,
    PUBLISHED_GAMMA_GAMMA,
    PUBLISHED_LOG_LIKELIHOOD,
    assert_close,
)

CDNOW_COLUMNS = ["--customer-column", "1", "--date-column", "2", "--amount-column", "4"]


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def cdnow_raw() -> str:
    return str(dataset("clv", "cdnow", "CDNOW_sample.txt"))


def test_clv_fit_on_the_raw_cdnow_file_reproduces_the_papers():
    result = run(
        "clv", "fit", "--transactions", cdnow_raw(), "--separator", "whitespace", "--no-header",
        *CDNOW_COLUMNS, "--date-format", "%Y%m%d", "--calibration-end", "1997-09-30", "--json",
    )  # fmt: skip
    assert_close(result, PUBLISHED_BGNBD, 0.01)
    assert_close(result, PUBLISHED_GAMMA_GAMMA, 0.02)
    assert round(result["log_likelihood"], 1) == PUBLISHED_LOG_LIKELIHOOD
    assert (result["customers"], result["repeat_customers"]) == (2357, 946)


@pytest.fixture
def cdnow_csv_gz(tmp_path) -> str:
    """CDNOW as an ordinary gzip CSV with a header and day/month/year dates."""
    frame = pd.read_csv(cdnow_raw(), sep=r"\s+", header=None, dtype=str)
    frame = pd.DataFrame(
        {
            "customer": frame[1],
            "day": pd.to_datetime(frame[2], format="%Y%m%d").dt.strftime("%d/%m/%Y"),
            "value": frame[4],
        }
    )
    path = tmp_path / "cdnow.csv.gz"
    frame.to_csv(path, index=False)
    return str(path)


def test_clv_fit_on_a_gzip_csv_with_a_date_format_and_a_holdout(cdnow_csv_gz):
    result = run(
        "clv", "fit", "--transactions", cdnow_csv_gz, "--customer-column", "customer",
        "--date-column", "day", "--amount-column", "value", "--date-format", "%d/%m/%Y",
        "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--json",
    )  # fmt: skip
    assert_close(result, PUBLISHED_BGNBD, 0.01)
    holdout = result["holdout"]
    assert holdout["holdout_periods"] == 39
    assert holdout["customers"] == 2357
    by_group = holdout["by_repeat_purchases"]
    assert sum(row["customers"] for row in by_group) == 2357
    # The model ranks customers: more calibration purchases, more predicted and actual ones.
    assert by_group[0]["predicted_mean"] < by_group[-1]["predicted_mean"]
    assert by_group[0]["actual_mean"] < by_group[-1]["actual_mean"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("who,when,amount\na,2020-01-01,3\n", "Column 'customer' is not in"),
        ("customer,day,value\na,2020-01-01,3\nb,2020-13-45,4\n", "Column 'day', row 3"),
        ("customer,day,value\na,2020-01-01,3\nb,2020-01-02,ten\n", "Column 'value', row 3"),
        ("customer,day,value\n,2020-01-01,3\n", "Column 'customer', row 2"),
    ],
)
def test_unreadable_files_fail_naming_the_column_and_row(tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    with pytest.raises(CommandError, match=message):
        run(
            "clv", "fit", "--transactions", str(path), "--customer-column", "customer",
            "--date-column", "day", "--amount-column", "value", "--calibration-end", "2020-02-01",
        )  # fmt: skip


def test_rfm_command_prints_group_counts_and_cut_points():
    result = run(
        "rfm", "--transactions", cdnow_raw(), "--separator", "whitespace", "--no-header",
        *CDNOW_COLUMNS, "--date-format", "%Y%m%d", "--as-of", "1998-07-01", "--json",
    )  # fmt: skip
    assert result["customers"] == 2357
    assert sum(result["groups"].values()) == 2357
    assert set(result["cut_points"]) == {"recency_days", "purchase_days", "revenue"}
    recency = result["cut_points"]["recency_days"]
    # Score 5 is the most recent: its longest recency is below score 1's shortest.
    assert recency["5"][1] < recency["1"][0]


def test_uci_online_retail_with_a_time_split(tmp_path):
    """Calibration to 2011-09-09, hold-out to 2011-12-09 (docs: measured figures)."""
    lines = pd.read_csv(
        dataset("retail", "online_retail_uci.csv.gz"),
        dtype={"InvoiceNo": str, "CustomerID": str},
        usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )
    clean = lines[
        lines["CustomerID"].notna()
        & ~lines["InvoiceNo"].str.startswith("C")
        & (lines["Quantity"] > 0)
    ]
    assert (len(clean), clean["CustomerID"].nunique()) == (397924, 4339)
    path = tmp_path / "retail.csv.gz"
    clean.assign(Amount=clean["Quantity"] * clean["UnitPrice"]).to_csv(
        path, columns=["CustomerID", "InvoiceDate", "Amount"], index=False
    )
    result = run(
        "clv", "fit", "--transactions", str(path), "--customer-column", "CustomerID",
        "--date-column", "InvoiceDate", "--amount-column", "Amount",
        "--calibration-end", "2011-09-09", "--holdout-end", "2011-12-09", "--json",
    )  # fmt: skip
    holdout = result["holdout"]
    first_purchases = pd.to_datetime(clean.groupby("CustomerID")["InvoiceDate"].min())
    assert result["customers"] == (first_purchases <= "2011-09-09 23:59:59").sum()
    assert result["p"] > 0 and result["q"] > 1
    # Totals within a third (the hold-out runs into the Christmas season the model cannot know),
    # and the ranking holds: heavier calibration buyers buy more in the hold-out.
    assert holdout["predicted_purchases"] == pytest.approx(holdout["actual_purchases"], rel=0.34)
    assert holdout["correlation"] > 0.5
