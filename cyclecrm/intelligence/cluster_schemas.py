"""API shapes of the customer clusters."""

from ninja import Field, Schema


class ClusterFeatureOut(Schema):
    key: str
    label: str
    log1p: bool = Field(description="Whether log1p is applied before standardizing.")


class ClusterProfileOut(Schema):
    number: int = Field(description="The value of `insight.cluster` in segment rules.")
    name: str = Field(description="Named from the features furthest from the overall mean.")
    size: int
    share: float
    mean: dict[str, float] = Field(description="Per feature key, in original units.")
    median: dict[str, float]
    centre: dict[str, float] = Field(description="The k-means centre in original units.")


class SilhouetteOut(Schema):
    k: int
    silhouette: float
    chosen: bool


class ClusterOverviewOut(Schema):
    run_id: int
    trained_at: str | None
    customers: int
    k: int
    features: list[ClusterFeatureOut]
    profiles: list[ClusterProfileOut]
    silhouettes: list[SilhouetteOut]
