"""Request and response bodies of /api/v1/duplicates."""

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema


class ClusterFilters(Schema):
    record_type: Literal["contact", "account", "lead"] | None = None
    status: Literal["open", "merged", "dismissed"] = "open"


class ClusterOut(Schema):
    id: int
    record_type: str
    score: float
    size: int
    record_ids: list[int]
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class ClusterRecordOut(Schema):
    id: int
    name: str
    url: str
    updated_at: dt.datetime
    values: dict[str, Any]


class FieldChoiceOut(Schema):
    field: str
    default_record_id: int = Field(description="The newest non-empty value's record.")
    differs: bool


class ClusterDetailOut(ClusterOut):
    records: list[ClusterRecordOut]
    fields: list[FieldChoiceOut]
    pairs: list[dict[str, Any]]


class ClusterMergeIn(InputSchema):
    survivor_id: int = Field(ge=1, le=MAX_ID, description="The record that stays.")
    merged_ids: list[int] | None = Field(
        None, description="Records merged into the survivor (default: all the others)."
    )
    values: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "`{field: record_id}`: the record whose value the survivor keeps, per field "
            "(`custom.<key>` for custom fields). Fields left out get the default: the value of "
            "the most recently updated record where it is not empty."
        ),
    )


class MergeOut(Schema):
    id: int
    record_type: str
    survivor_id: int
    merged_id: int
    cluster_id: int | None
    chosen: dict[str, int]
    merged_at: dt.datetime
    undone_at: dt.datetime | None


class ScanIn(InputSchema):
    record_type: Literal["contact", "account", "lead"]
    threshold: float | None = Field(None, gt=0, le=1)


class ScanOut(Schema):
    id: int
    record_type: str
    threshold: float
    status: str
    created_at: dt.datetime


class MergeBatchIn(InputSchema):
    cluster_ids: list[int] = Field(
        min_length=1,
        max_length=1000,
        description="Open clusters to merge, each into its oldest record (the lowest id).",
    )


class MergeBatchOut(Schema):
    task_id: str = Field(description="The background job's id (see /api/v1/jobs).")
    clusters: int = Field(description="How many clusters the job will merge.")
