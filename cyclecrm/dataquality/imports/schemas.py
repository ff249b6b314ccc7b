"""API shapes of imports: the job with its progress, the preview, fields, presets, mappings."""

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, Version

ModeName = Literal["valid-rows", "all-or-nothing"]
PolicyName = Literal["skip", "update", "create"]
MAPPING_DOC = (
    '`{"source column header": "target field"}`; a column mapped to `""` is not imported. '
    "Target fields are listed by `GET /imports/fields/{record_type}` (custom fields as "
    "`custom.<key>`)."
)
OPTIONS_DOC = (
    "Cleansing options: `default_region` (ISO country for phone numbers without a country "
    "code), `date_order` (`dmy`, `mdy`, `ymd`), `decimal_separator` (`.` or `,`); see "
    "docs/import.md."
)


class UploadIn(Schema):
    """The form fields sent with the file (multipart)."""

    record_type: str = Field(
        min_length=1, max_length=40, description="The type to import into, e.g. `contact`."
    )
    encoding: str = Field("", max_length=40, description="Override the detected encoding.")
    delimiter: str = Field("", max_length=4, description="Override the detected delimiter.")
    preset: str = Field("", max_length=40, description="A preset key from `GET /presets`.")
    mapping_id: int | None = Field(None, ge=1, le=MAX_ID, description="A saved mapping's id.")
    options: str = Field("", max_length=10_000, description="Options as a JSON object.")


class ProblemOut(Schema):
    row: int = Field(description="The row's line in the file; the header is row 1.")
    column: str
    value: str
    reason: str


class CountsOut(Schema):
    read: int
    created: int
    updated: int
    skipped: int
    rejected: int


class ProgressOut(Schema):
    rows_done: int
    rows_total: int | None
    percent: int


class ColumnOut(Schema):
    field: str
    label: str
    kind: str
    required: bool
    synonyms: list[str]
    choices: list[str]


class ImportOut(Schema):
    id: int
    version: int
    record_type: str
    file_name: str
    file_format: str
    status: str
    encoding: str
    delimiter: str
    preset: str
    mapping: dict[str, str] = Field(description=MAPPING_DOC)
    options: dict[str, Any] = Field(description=OPTIONS_DOC)
    mode: str
    on_duplicate: str
    progress: ProgressOut
    counts: CountsOut
    problems: list[ProblemOut] = Field(description="The first problems found.")
    error: str
    created_by_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ImportCreatedOut(ImportOut):
    headers: list[str] = Field(description="The file's column headers, in order.")
    fields: list[ColumnOut] = Field(description="The fields of the record type.")


class ImportPatchIn(InputSchema):
    mapping: dict[str, str] | None = Field(None, description=MAPPING_DOC)
    options: dict[str, Any] | None = Field(None, description=OPTIONS_DOC)
    mode: ModeName | None = None
    on_duplicate: PolicyName | None = None
    encoding: str | None = Field(None, max_length=40)
    delimiter: str | None = Field(None, min_length=1, max_length=4)
    version: Version


class PreviewRowOut(Schema):
    row: int
    values: dict[str, Any] = Field(description="Each mapped field as it will be stored.")
    problems: list[ProblemOut]


class PreviewOut(Schema):
    rows: list[PreviewRowOut]


class PresetOut(Schema):
    key: str
    label: str
    record_type: str
    mapping: dict[str, str]


class MappingIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    record_type: str = Field(min_length=1, max_length=40)
    mapping: dict[str, str] = Field(description=MAPPING_DOC)
    options: dict[str, Any] = Field(default_factory=dict, description=OPTIONS_DOC)


class MappingOut(Schema):
    id: int
    name: str
    record_type: str
    mapping: dict[str, str]
    options: dict[str, Any]
    created_at: dt.datetime
