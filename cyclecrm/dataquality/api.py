"""The data-quality API routers, each at its prefix under /api/v1 (mounted by api.root)."""

from ninja import Router


def routers() -> list[tuple[str, Router]]:
    from cyclecrm.dataquality.duplicates.api import router as duplicates
    from cyclecrm.dataquality.imports.api import router as imports
    from cyclecrm.dataquality.interchange.api import router as interchange
    from cyclecrm.dataquality.privacy.api import router as privacy

    return [
        ("/imports", imports),
        ("/duplicates", duplicates),
        ("/privacy", privacy),
        ("/exports", interchange),
    ]
