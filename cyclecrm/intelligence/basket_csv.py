"""Reading purchase lines from a CSV file (optionally gzipped) into `Transactions`, with
generic row filters so public data sets are cleaned by options, not by code per data set
(no Django; `cyclecrm recommend evaluate` is the command line)."""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cyclecrm.intelligence.recommend import Transactions


class CsvProblem(ValueError):
    """A column is missing or a value cannot be read; the message names the column and row."""


@dataclass(frozen=True)
class CsvSpec:
    customer: str
    item: str
    date: str
    # None: one basket per customer and calendar day.
    basket: str | None = None
    # Rows whose value in any of these columns is empty are dropped.
    required: tuple[str, ...] = ()
    # Rows whose value in this column is not > 0 are dropped (returns, corrections).
    positive: str | None = None
    # (column, prefix): rows whose value starts with the prefix are dropped (cancellations).
    excluded_prefixes: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def parse_prefix(text: str) -> tuple[str, str]:
    """'InvoiceNo=C' → ('InvoiceNo', 'C')."""
    column, sep, prefix = text.partition("=")
    if not sep or not column or not prefix:
        raise CsvProblem(f"--exclude-prefix {text!r}: write COLUMN=PREFIX, e.g. InvoiceNo=C.")
    return column, prefix


def read_transactions(path: Path, spec: CsvSpec) -> tuple[Transactions, dict[str, int]]:
    """The filtered purchase lines of the file and counts of rows read and kept."""
    if not path.exists():
        raise CsvProblem(f"{path}: no such file.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    _check_columns(frame, spec)
    read = len(frame)
    frame = _filter(frame, spec)
    dates = _dates(frame, spec.date)
    customers = frame[spec.customer]
    day = dates.dt.strftime("%Y-%m-%d")
    baskets = frame[spec.basket] if spec.basket else customers + "|" + day
    transactions = Transactions.from_columns(
        baskets=baskets, customers=customers, items=frame[spec.item], dates=dates
    )
    return transactions, {"rows_read": read, "rows_kept": len(frame)}


def _check_columns(frame: pd.DataFrame, spec: CsvSpec) -> None:
    wanted = [
        ("--customer-column", spec.customer),
        ("--item-column", spec.item),
        ("--date-column", spec.date),
        ("--basket-column", spec.basket),
        ("--min-quantity-column", spec.positive),
        *(("--require-column", column) for column in spec.required),
        *(("--exclude-prefix", column) for column, _ in spec.excluded_prefixes),
    ]
    for option, column in wanted:
        if column and column not in frame.columns:
            raise CsvProblem(
                f"{option} {column!r}: no such column; the file has {', '.join(frame.columns)}."
            )
    for option, column in wanted[:3]:
        if column and not (frame[column].str.strip() != "").any():
            raise CsvProblem(f"{option} {column!r}: the column is empty.")


def _filter(frame: pd.DataFrame, spec: CsvSpec) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for column in (*spec.required, spec.customer, spec.item, spec.date):
        keep &= frame[column].str.strip() != ""
    for column, prefix in spec.excluded_prefixes:
        keep &= ~frame[column].str.startswith(prefix)
    if spec.positive:
        numbers = pd.to_numeric(frame[spec.positive], errors="coerce")
        bad = numbers.isna() & keep
        if bad.any():
            row = int(bad.idxmax())
            value = frame.at[row, spec.positive]
            raise CsvProblem(f"Row {row + 2}, column {spec.positive!r}: {value!r} is not a number.")
        keep &= numbers > 0
    return frame[keep]


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    dates = pd.to_datetime(frame[column], errors="coerce")
    if dates.isna().any():  # not all in the format of the first row: parse each on its own
        dates = pd.to_datetime(frame[column], errors="coerce", format="mixed")
    bad = dates.isna()
    if bad.any():
        row = int(bad.idxmax())
        value = frame.at[row, column]
        raise CsvProblem(f"Row {row + 2}, column {column!r}: {value!r} is not a date.")
    return dates
