"""Reads for the customer clusters: the newest succeeded clusters run and its profiles laid
out for the side-by-side page and the API. Reading needs the `read` right on `model_run`."""

from dataclasses import dataclass, field
from typing import Any

from cyclecrm.core.errors import Forbidden, NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.intelligence.models import ModelKind, ModelRun, RunStatus

NO_RUN = "No clusters run has succeeded yet: train the clusters model first."


@dataclass
class ClusterOverview:
    run: ModelRun
    k: int
    features: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    # [{"k": 2, "silhouette": 0.41, "chosen": False}, ...] in k order.
    silhouettes: list[dict[str, Any]] = field(default_factory=list)

    def profile(self, number: int) -> dict[str, Any]:
        for profile in self.profiles:
            if profile["number"] == number:
                return profile
        raise NotFound(f"The newest clusters run has no cluster {number}.")


def _check_read(actor: User) -> None:
    if access.level(actor, "model_run", Action.READ) == Level.NONE:
        raise Forbidden("You may not read the predictive models.")


def clusters_run_latest() -> ModelRun | None:
    """The clusters run in use: the newest that succeeded."""
    return (
        ModelRun.objects.filter(kind=ModelKind.CLUSTERS, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )


def cluster_overview(*, actor: User) -> ClusterOverview | None:
    """The newest clusters run's profiles (one query), None when no run has succeeded."""
    _check_read(actor)
    run = clusters_run_latest()
    if run is None:
        return None
    parameters = run.parameters or {}
    chosen = parameters.get("k")
    by_k = (run.metrics or {}).get("by_k", {})
    silhouettes = [
        {"k": int(k), "silhouette": score, "chosen": int(k) == chosen}
        for k, score in sorted(by_k.items(), key=lambda item: int(item[0]))
    ]
    return ClusterOverview(
        run=run,
        k=int(chosen or 0),
        features=list(parameters.get("features", [])),
        profiles=list(parameters.get("profiles", [])),
        silhouettes=silhouettes,
    )


def cluster_overview_required(*, actor: User) -> ClusterOverview:
    overview = cluster_overview(actor=actor)
    if overview is None:
        raise NotFound(NO_RUN)
    return overview
