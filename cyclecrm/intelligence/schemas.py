import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import InputSchema, OutputSchema
from cyclecrm.intelligence.models import ModelKind, OfferKind, RunStatus

ModelKindName = Literal[tuple(ModelKind.values)]  # type: ignore[valid-type]
RunStatusName = Literal[tuple(RunStatus.values)]  # type: ignore[valid-type]
RunOrdering = Literal["created", "-created"]


class ModelRunOut(OutputSchema):
    id: int
    kind: ModelKindName
    status: RunStatusName
    progress: int = Field(description="0..100 while running.")
    progress_note: str = Field(description="The current step while running.")
    requested_by_id: int | None = Field(None, description="Null for scheduled runs.")
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    trained_on: int = Field(description="Records the model was fitted on.")
    evaluated_on: int = Field(description="Records of the hold-out it was checked on.")
    scored: int = Field(description="Records scored with the fitted model.")
    options: dict[str, Any]
    metrics: dict[str, Any] = Field(description="Quality figures on held-out data.")
    parameters: dict[str, Any] = Field(description="The fitted model as JSON.")
    message: str = Field(description="Why the run was refused or failed.")


class ModelSummaryOut(Schema):
    kind: ModelKindName
    label: str
    latest: ModelRunOut | None = Field(None, description="The newest run, whatever its status.")
    in_use: ModelRunOut | None = Field(None, description="The newest succeeded run.")


class TrainIn(InputSchema):
    options: dict[str, Any] = Field(
        default_factory=dict, description="Options for this run (window, horizon...)."
    )


class FactorOut(Schema):
    feature: str = ""
    label: str = ""
    value: Any = None
    contribution: float | None = Field(
        None, description="Push towards (positive) or away from (negative) the outcome."
    )


class LeadPredictionOut(Schema):
    lead_id: int
    model_in_charge: bool = Field(
        description="False while the rule-based score is in charge (see `reason`)."
    )
    probability: float | None = Field(None, description="Conversion probability, 0..1.")
    factors: list[FactorOut] = Field(description="The factors behind it, strongest first.")
    run_id: int | None = None
    trained_at: dt.datetime | None = None
    roc_auc: float | None = Field(None, description="The model's ROC AUC on held-out leads.")
    reason: str = Field(description="Why the rule-based score is in charge; empty otherwise.")
    rule_score: int | None = Field(None, description="The rule-based score (null if hidden).")
    rule_grade: str | None = None


class OfferOut(Schema):
    id: int
    product_id: int
    product_name: str
    product_sku: str
    kind: Literal[tuple(OfferKind.values)]  # type: ignore[valid-type]
    rank: int
    score: float
    reason: str


class CustomerInsightOut(Schema):
    contact_id: int
    scored: bool = Field(description="False until a model has scored this contact.")
    orders_count: int = 0
    purchase_days: int = 0
    revenue: Decimal = Field(Decimal("0"), description="Revenue to date: the historical CLTV.")
    average_order_value: Decimal | None = None
    first_order_at: dt.datetime | None = None
    last_order_at: dt.datetime | None = None
    recency_score: int | None = None
    frequency_score: int | None = None
    monetary_score: int | None = None
    rfm_group: str = ""
    p_alive: float | None = Field(None, description="Probability the customer is still active.")
    expected_purchases: float | None = Field(None, description="Over the CLV horizon.")
    predicted_clv: Decimal | None = Field(None, description="Over the CLV horizon.")
    clv_horizon: str | None = Field(None, description="The horizon of the CLV model in use.")
    churn_probability: float | None = None
    churn_band: str = Field("", description="low, medium or high; empty until scored.")
    churn_factors: list[FactorOut] = Field(default_factory=list)
    cluster: int | None = None
    offers: list[OfferOut] = Field(default_factory=list, description="Next best offers.")


class HotLeadOut(Schema):
    lead_id: int
    name: str
    company: str
    status: str
    owner_id: int | None = None
    conversion_probability: float
    top_factor: str = Field(description="The strongest factor's label; empty if none.")


class CustomerRowOut(Schema):
    contact_id: int
    name: str
    account_id: int | None = None
    account_name: str = ""
    churn_probability: float | None = None
    churn_band: str = ""
    predicted_clv: Decimal | None = None
    revenue: Decimal
    orders_count: int
    rfm_group: str = ""
    last_order_at: dt.datetime | None = None
