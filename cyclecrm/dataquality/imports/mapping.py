"""Automatic column mapping: a header maps to the field whose name, label or synonym it equals
after normalization (case, accents, spaces and punctuation ignored)."""

import re
import unicodedata

from cyclecrm.dataquality.imports.targets.base import Column

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_header(text: str) -> str:
    """'E-Mail Address' -> 'emailaddress'; 'Straße' -> 'strasse'; 'Código' -> 'codigo'."""
    folded = unicodedata.normalize("NFKD", str(text or "")).casefold()
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return _NON_ALNUM.sub("", plain.replace("ß", "ss"))


RANKS = ("field", "label", "synonyms")


def _index(columns: list[Column]) -> dict[str, tuple[str, int]]:
    """normalized name -> (field, rank); a field's own name wins over a label, a label over a
    synonym."""
    index: dict[str, tuple[str, int]] = {}
    for rank, kind in enumerate(RANKS):
        for column in columns:
            names = {
                "field": [column.field, column.field.removeprefix("custom.")],
                "label": [column.label],
                "synonyms": list(column.synonyms),
            }[kind]
            for name in names:
                index.setdefault(normalize_header(name), (column.field, rank))
    return index


def suggest_mapping(headers: list[str], columns: list[Column]) -> dict[str, str]:
    """{header: field} for every header; "" where nothing matches. Each field is used once: a
    header naming the field itself beats one naming its label, which beats a synonym (an export
    with both `id` and `external_id` maps `external_id`); among equals the first header wins."""
    index = _index(columns)
    matches = {header: index.get(normalize_header(header)) for header in headers}
    ranked = sorted(
        (match[1], position, header)
        for position, (header, match) in enumerate(matches.items())
        if match
    )
    mapping = dict.fromkeys(headers, "")
    used: set[str] = set()
    for _rank, _position, header in ranked:
        field = matches[header][0]
        if field not in used:
            used.add(field)
            mapping[header] = field
    return mapping


def apply_override(
    headers: list[str], suggested: dict[str, str], override: dict[str, str] | None
) -> dict[str, str]:
    """The suggestion with the user's choices laid over it (headers not in the file dropped)."""
    merged = {header: suggested.get(header, "") for header in headers}
    for header, field in (override or {}).items():
        if header in merged:
            merged[header] = field or ""
    return merged


def check_mapping(mapping: dict[str, str], columns: list[Column]) -> dict[str, list[str]]:
    """Field errors of a mapping: unknown fields, a field mapped twice, required fields unmapped."""
    known = {column.field for column in columns}
    errors: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for header, field in mapping.items():
        if not field:
            continue
        if field not in known:
            errors.setdefault(f"mapping.{header}", []).append(f"Unknown field {field!r}.")
        elif field in seen:
            errors.setdefault(f"mapping.{header}", []).append(
                f"{field!r} is already mapped from column {seen[field]!r}."
            )
        seen.setdefault(field, header)
    for column in columns:
        if column.required and column.field not in seen:
            errors.setdefault("mapping", []).append(
                f"Map a column to the required field {column.field!r} ({column.label})."
            )
    return errors
