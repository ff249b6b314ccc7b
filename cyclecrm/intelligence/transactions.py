"""Order history → one row per customer, the input of BG/NBD, Gamma-Gamma and RFM. Pure pandas,
no Django: the CSV commands read a file with `read_transactions`, the CRM jobs stream their
SQL-aggregated rows through `daily_from_rows`; both then call `summarise`.

As in the papers, a customer's purchases on one day count as one transaction (their amounts
added up), and time is counted in periods of `period_days` days from the customer's first
purchase.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

WHITESPACE = "whitespace"


class TransactionsError(ValueError):
    """A transactions file that cannot be read: the message names the column and the row."""


@dataclass(frozen=True)
class CsvLayout:
    """Where the three columns are. With `header` False the columns are 0-based indexes
    ("0", "2"...). `separator` is a character or "whitespace" (runs of blanks, as in CDNOW)."""

    customer: str
    date: str
    amount: str
    date_format: str | None = None
    separator: str = ","
    header: bool = True


def _column_keys(layout: CsvLayout) -> list[str | int]:
    names = [layout.customer, layout.date, layout.amount]
    if layout.header:
        return list(names)
    keys: list[str | int] = []
    for name in names:
        if not str(name).isdigit():
            raise TransactionsError(
                f"Column {name!r}: without a header, name columns by their 0-based index."
            )
        keys.append(int(name))
    return keys


def _read_frame(path: Path, layout: CsvLayout) -> pd.DataFrame:
    keys = _column_keys(layout)
    options: dict = {"dtype": str, "keep_default_na": False, "compression": "infer"}
    if layout.separator == WHITESPACE:
        options["sep"] = r"\s+"
    else:
        options["sep"] = layout.separator
    if not layout.header:
        options["header"] = None
    try:
        columns = pd.read_csv(path, nrows=0, **options).columns
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TransactionsError(f"{path}: {error}") from error
    for key in keys:
        if key not in columns:
            known = ", ".join(str(column) for column in columns)
            raise TransactionsError(f"Column {key!r} is not in {path.name} (columns: {known}).")
    frame = pd.read_csv(path, usecols=keys, **options)
    frame = frame[keys]
    frame.columns = ["customer", "date", "amount"]
    return frame


def _first_row(mask: pd.Series, header: bool) -> int:
    """The file line number (1-based, header counted) of the first True in `mask`."""
    position = int(np.flatnonzero(mask.to_numpy())[0])
    return position + (2 if header else 1)


def read_transactions(path: Path | str, layout: CsvLayout) -> pd.DataFrame:
    """Columns customer (str), date (datetime64, day), amount (float) of a CSV or .csv.gz."""
    path = Path(path)
    frame = _read_frame(path, layout)
    missing = frame["customer"].str.strip() == ""
    if missing.any():
        raise TransactionsError(
            f"Column {layout.customer!r}, row {_first_row(missing, layout.header)}: no customer."
        )
    dates = pd.to_datetime(frame["date"], format=layout.date_format or "ISO8601", errors="coerce")
    if dates.isna().any():
        row = _first_row(dates.isna(), layout.header)
        value = frame["date"].iloc[row - (2 if layout.header else 1)]
        expected = layout.date_format or "ISO 8601 (YYYY-MM-DD); set --date-format"
        raise TransactionsError(
            f"Column {layout.date!r}, row {row}: {value!r} is not a date ({expected})."
        )
    amounts = pd.to_numeric(frame["amount"].str.strip(), errors="coerce")
    if amounts.isna().any():
        row = _first_row(amounts.isna(), layout.header)
        value = frame["amount"].iloc[row - (2 if layout.header else 1)]
        raise TransactionsError(f"Column {layout.amount!r}, row {row}: {value!r} is not a number.")
    return pd.DataFrame(
        {
            "customer": frame["customer"].str.strip(),
            "date": dates.dt.tz_localize(None) if dates.dt.tz is not None else dates,
            "amount": amounts.astype(float),
        }
    )


def daily(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and day: the day's amount summed and its number of orders."""
    frame = transactions.assign(date=transactions["date"].dt.normalize())
    grouped = frame.groupby(["customer", "date"], sort=True, observed=True)["amount"]
    result = grouped.agg(amount="sum", orders="count").reset_index()
    return result


def daily_from_rows(rows: Iterable[tuple]) -> pd.DataFrame:
    """The same per-customer-day frame from (customer, day, amount, orders) tuples already
    summed per day (the CRM job's SQL aggregate), read in one pass."""
    customers: list = []
    days: list = []
    amounts: list[float] = []
    orders: list[int] = []
    for customer, day, amount, count in rows:
        customers.append(customer)
        days.append(day)
        amounts.append(float(amount))
        orders.append(int(count))
    frame = pd.DataFrame(
        {
            "customer": customers,
            "date": pd.to_datetime(pd.Series(days, dtype="object")),
            "amount": np.asarray(amounts, dtype=float),
            "orders": np.asarray(orders, dtype=np.int64),
        }
    )
    return (
        frame.groupby(["customer", "date"], sort=True)
        .agg(amount=("amount", "sum"), orders=("orders", "sum"))
        .reset_index()
    )


def summarise(
    days: pd.DataFrame,
    *,
    calibration_end: dt.date | None = None,
    period_days: float = 7.0,
    holdout_end: dt.date | None = None,
) -> pd.DataFrame:
    """One row per customer with a purchase on or before `calibration_end` (default: the last
    day in the data), indexed by customer:

    - `frequency` x (purchase days after the first), `recency` t_x and `T` in periods;
    - `monetary_value`: the mean amount of the repeat purchase days (NaN without repeat);
    - `revenue`, `purchase_days`, `orders`, `first`, `last`: the history to `calibration_end`;
    - `holdout_purchases`: purchase days after `calibration_end` up to `holdout_end` (0 when
      `holdout_end` is None).
    """
    if period_days <= 0:
        raise ValueError("period_days must be positive.")
    end = pd.Timestamp(calibration_end) if calibration_end else days["date"].max()
    calibration = days[days["date"] <= end]
    if "orders" not in calibration.columns:
        calibration = calibration.assign(orders=1)
    ordered = calibration.sort_values(["customer", "date"])
    grouped = ordered.groupby("customer", sort=True)
    first = grouped["date"].min()
    last = grouped["date"].max()
    count = grouped["date"].size()
    revenue = grouped["amount"].sum()
    first_amount = grouped["amount"].first()
    repeat = count - 1
    summary = pd.DataFrame(
        {
            "frequency": repeat.astype(int),
            "recency": (last - first).dt.days / period_days,
            "T": (end - first).dt.days / period_days,
            "monetary_value": ((revenue - first_amount) / repeat.where(repeat > 0)),
            "revenue": revenue,
            "purchase_days": count.astype(int),
            "orders": grouped["orders"].sum().astype(int),
            "first": first,
            "last": last,
        }
    )
    summary["holdout_purchases"] = 0
    if holdout_end is not None:
        later = days[(days["date"] > end) & (days["date"] <= pd.Timestamp(holdout_end))]
        counts = later.groupby("customer").size()
        summary["holdout_purchases"] = counts.reindex(summary.index, fill_value=0).astype(int)
    summary.index.name = "customer"
    return summary
