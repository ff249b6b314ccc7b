"""Data quality: imports, duplicate detection and merge, privacy rights (consent, retention).

One module per sub-domain; each is re-exported here so Django finds the models."""

from cyclecrm.dataquality.models.duplicates import (
    ClusterStatus,
    DuplicateCluster,
    DuplicatePair,
    DuplicateScan,
    MergeRecord,
)
from cyclecrm.dataquality.models.imports import (
    DuplicatePolicy,
    ImportJob,
    ImportMode,
    ImportStatus,
    SavedMapping,
)
from cyclecrm.dataquality.models.interchange import CalendarFeed, ExportStatus, FullExport
from cyclecrm.dataquality.models.privacy import (
    ConsentPurpose,
    ConsentRecord,
    RetentionAction,
    RetentionPolicy,
    RetentionRun,
    SuppressedAddress,
)

__all__ = [
    "CalendarFeed",
    "ClusterStatus",
    "ConsentPurpose",
    "ConsentRecord",
    "DuplicateCluster",
    "DuplicatePair",
    "DuplicatePolicy",
    "DuplicateScan",
    "ExportStatus",
    "FullExport",
    "ImportJob",
    "ImportMode",
    "ImportStatus",
    "MergeRecord",
    "RetentionAction",
    "RetentionPolicy",
    "RetentionRun",
    "SavedMapping",
    "SuppressedAddress",
]
