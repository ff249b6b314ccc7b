"""API shapes of this area."""

from datetime import datetime

from ninja import Schema


class CardProblemOut(Schema):
    card: int
    field: str
    reason: str


class VCardImportOut(Schema):
    cards: int
    stored: bool
    created: list[int]
    updated: list[int]
    skipped: list[CardProblemOut]
    problems: list[CardProblemOut]


class FullExportOut(Schema):
    id: int
    status: str
    percent: int
    types_done: int
    types_total: int
    counts: dict[str, int]
    file_size: int
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download_url: str | None


class CalendarFeedOut(Schema):
    url: str
