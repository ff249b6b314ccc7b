"""Where the real public datasets of ../shared/data (beside the repository) are found.

Tests that reproduce published figures read them from here and fail, not skip, when they are
missing: CI has the folder, and a silently skipped check would prove nothing."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """`CYCLECRM_SHARED_DATA` if set, else `../shared/data` beside the repository."""
    configured = os.environ.get("CYCLECRM_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


def dataset(*parts: str) -> Path:
    path = shared_data().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the shared datasets must sit beside the repository "
            "(../shared/data) or be named by CYCLECRM_SHARED_DATA."
        )
    return path
