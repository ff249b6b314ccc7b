"""Reading, mapping and cleansing rules of the import engine (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.dataquality.imports import readers
from cyclecrm.dataquality.imports.cleaning import cleaner, parse_bool, parse_date, parse_decimal
from cyclecrm.dataquality.imports.mapping import check_mapping, normalize_header, suggest_mapping
from cyclecrm.dataquality.imports.targets.base import Column
from cyclecrm.dataquality.imports.targets.contacts import TARGET as CONTACTS


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1.234,56", ".", "1234.56"),
        ("1,234.56", ".", "1234.56"),
        ("1 234,56", ".", "1234.56"),
        ("1\u00a0234,5", ".", "1234.5"),
        ("1,5", ".", "1.5"),
        ("1,234", ".", "1234"),
        ("1.234", ".", "1.234"),
        ("1.234", ",", "1234"),
        ("-12", ".", "-12"),
        ("1'000'000.5", ".", "1000000.5"),
    ],
)
def test_numbers_with_locale_separators(text, separator, expected):
    assert parse_decimal(text, separator) == Decimal(expected)


@pytest.mark.parametrize("text", ["1,2,3.4.5", "12,34,5", "abc", "1.2.3,4,5", "", "--1"])
def test_malformed_numbers_are_problems(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("2024-01-03", "dmy", dt.date(2024, 1, 3)),
        ("03/01/2024", "dmy", dt.date(2024, 1, 3)),
        ("01/03/2024", "mdy", dt.date(2024, 1, 3)),
        ("3.1.2024", "dmy", dt.date(2024, 1, 3)),
        ("3 Jan 2024", "mdy", dt.date(2024, 1, 3)),
        ("January 3, 2024", "dmy", dt.date(2024, 1, 3)),
        ("2024-01-03T10:00:00", "dmy", dt.date(2024, 1, 3)),
        (45294, "dmy", dt.date(2024, 1, 3)),
        (dt.datetime(2024, 1, 3, 9), "dmy", dt.date(2024, 1, 3)),
    ],
)
def test_dates_in_common_formats(raw, order, expected):
    assert parse_date(raw, order) == expected


def test_impossible_date_names_the_accepted_formats():
    with pytest.raises(ValueError, match=r"Not a date; use YYYY-MM-DD, DD/MM/YYYY"):
        parse_date("31/02/2024", "dmy")


@pytest.mark.parametrize(
    ("raw", "expected"), [("Yes", True), ("x", True), ("0", False), ("no", False)]
)
def test_booleans(raw, expected):
    assert parse_bool(raw) is expected


def test_unknown_boolean_is_a_problem():
    with pytest.raises(ValueError, match="is not yes/no"):
        parse_bool("maybe")


def test_choice_by_value_or_label_and_max_length():
    stage = next(column for column in CONTACTS.columns if column.field == "lifecycle_stage")
    clean = cleaner(stage, {})
    assert clean("Sales qualified lead") == "sql"
    assert clean("SQL") == "sql"
    with pytest.raises(ValueError, match="is not one of"):
        clean("prospect")
    short = cleaner(Column("code", "Code", "text", max_length=3), {})
    with pytest.raises(ValueError, match="At most 3 characters"):
        short("abcd")


def test_phone_email_country_cleaners_give_reasons():
    columns = {column.field: column for column in CONTACTS.columns}
    phone = cleaner(columns["phone"], {"default_region": "DE"})
    assert phone("030 1234567") == "+49301234567"
    with pytest.raises(ValueError, match="phone"):
        phone("12")
    assert cleaner(columns["email"], {})("  Ada@Example.COM ") == "ada@example.com"
    with pytest.raises(ValueError, match="Not a valid e-mail address"):
        cleaner(columns["email"], {})("ada@@example.com")
    assert cleaner(columns["country"], {})("Deutschland".replace("Deutschland", "Germany")) == "DE"
    with pytest.raises(ValueError, match="Unknown country"):
        cleaner(columns["country"], {})("Narnia")


def test_headers_map_by_name_label_and_synonyms():
    headers = ["E-Mail Address", "Mobile Phone", "Zip", "Company", "Straße", "First Name", "???"]
    mapping = suggest_mapping(headers, list(CONTACTS.columns))
    assert mapping == {
        "E-Mail Address": "email",
        "Mobile Phone": "mobile",
        "Zip": "postal_code",
        "Company": "account",
        "Straße": "street",
        "First Name": "first_name",
        "???": "",
    }
    assert normalize_header(" Código-Postal ") == "codigopostal"


def test_the_usual_export_headers_of_other_crms_map_without_a_preset():
    headers = ["State/Region", "Postal Code", "Country/Region", "Phone Number"]
    assert suggest_mapping(headers, list(CONTACTS.columns)) == {
        "State/Region": "region",
        "Postal Code": "postal_code",
        "Country/Region": "country",
        "Phone Number": "phone",
    }


def test_a_field_maps_once_and_required_fields_are_named():
    mapping = suggest_mapping(["email", "Mail"], list(CONTACTS.columns))
    assert mapping == {"email": "email", "Mail": ""}
    errors = check_mapping({"email": "email", "Mail": "email"}, list(CONTACTS.columns))
    assert errors["mapping.Mail"] == ["'email' is already mapped from column 'email'."]
    assert "last_name" in errors["mapping"][0]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("name;city\nMüller;Köln\n".encode("utf-8-sig"), "utf-8-sig"),
        ("name;city\nMüller;Köln\n".encode("utf-16"), "utf-16"),
        ("name;city\nMüller;Köln\n".encode(), "utf-8"),
        ("name;city\nMüller;Köln \u2013 Süd\n".encode("cp1252"), None),
    ],
)
def test_encoding_and_delimiter_detection(tmp_path, content, encoding):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    detected = readers.detect_encoding(path)
    if encoding:
        assert detected == encoding
    delimiter = readers.detect_delimiter(path, detected)
    assert delimiter == ";"
    [row] = list(readers.iter_rows(path, "csv", detected, delimiter))
    assert row.cells[0] == "Müller" and row.row == 2


def test_quoted_newlines_empty_lines_and_huge_fields(tmp_path):
    path = tmp_path / "f.csv"
    huge = "x" * (readers.MAX_FIELD_CHARS + 10)
    path.write_text(f'a,b\n\n"multi\nline",2\n\n{huge},3\nlast,4\n', encoding="utf-8")
    rows = list(readers.iter_rows(path, "csv", "utf-8", ","))
    assert [(row.row, row.cells, bool(row.error)) for row in rows] == [
        (3, ["multi\nline", "2"], False),
        (5, [], True),
        (6, ["last", "4"], False),
    ]
