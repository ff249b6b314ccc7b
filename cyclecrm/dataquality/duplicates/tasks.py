"""Background jobs of this area (Huey tasks); `dataquality.tasks` imports them for discovery."""

from huey.contrib.djhuey import db_task

from cyclecrm.dataquality.duplicates.scan import run_scan
from cyclecrm.dataquality.duplicates.services import clusters_merge_run
from cyclecrm.identity.models import User


@db_task()
def scan_duplicates(scan_id: int) -> None:
    """Scan a record type for duplicates and refill its review queue (see scan.py)."""
    run_scan(scan_id)


@db_task()
def merge_clusters(actor_id: int, cluster_ids: list[int]) -> int:
    """Merge the still-open clusters among `cluster_ids` as `actor_id` (see
    services.clusters_merge_run); resumed after a killed worker, it merges the rest."""
    actor = User.objects.get(pk=actor_id)
    return clusters_merge_run(actor=actor, cluster_ids=cluster_ids)
