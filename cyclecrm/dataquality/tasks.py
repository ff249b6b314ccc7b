"""Huey discovers `<app>.tasks`; each area keeps its jobs in its own module."""

from cyclecrm.dataquality.duplicates import tasks as duplicate_tasks
from cyclecrm.dataquality.imports import tasks as import_tasks
from cyclecrm.dataquality.interchange import tasks as interchange_tasks
from cyclecrm.dataquality.privacy import tasks as privacy_tasks

__all__ = ["duplicate_tasks", "import_tasks", "interchange_tasks", "privacy_tasks"]
