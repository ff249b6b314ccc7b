from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.dataquality.models import DuplicateCluster, ImportJob, RetentionPolicy

    register("import", "Imports", ImportJob, owner_field="created_by")
    register("duplicate", "Duplicate review", DuplicateCluster, owner_field=None)
    register("retention_policy", "Retention policies", RetentionPolicy, owner_field=None)
