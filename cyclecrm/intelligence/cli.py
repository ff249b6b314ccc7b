"""What the `clv` and `rfm` commands share: the options naming a transactions file's columns,
and reading it into one row per customer and day (docs/intelligence/clv-and-rfm.md, "CLI")."""

import argparse
import datetime as dt
import json
from typing import Any

import pandas as pd
from django.core.management.base import CommandError

from cyclecrm.intelligence.transactions import (
    WHITESPACE,
    CsvLayout,
    TransactionsError,
    daily,
    read_transactions,
)


def add_transaction_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", required=True, help="CSV file (.csv or .csv.gz).")
    parser.add_argument("--customer-column", required=True)
    parser.add_argument("--date-column", required=True)
    parser.add_argument("--amount-column", required=True)
    parser.add_argument(
        "--date-format", default=None, help="strptime format, e.g. %%Y%%m%%d (default ISO 8601)."
    )
    parser.add_argument(
        "--separator", default=",", help=f"Column separator, or '{WHITESPACE}' (runs of blanks)."
    )
    parser.add_argument(
        "--no-header",
        action="store_true",
        help="The file has no header line: name columns by 0-based index.",
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON line (the last).")


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD.") from error


def read_days(options: dict[str, Any]) -> pd.DataFrame:
    layout = CsvLayout(
        customer=options["customer_column"],
        date=options["date_column"],
        amount=options["amount_column"],
        date_format=options["date_format"],
        separator=options["separator"],
        header=not options["no_header"],
    )
    try:
        return daily(read_transactions(options["transactions"], layout))
    except TransactionsError as error:
        raise CommandError(str(error)) from error


def json_line(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, default=str)
