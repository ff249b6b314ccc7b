"""Predictive lead scoring: the probability that a lead converts, learned from the CRM's own
decided leads (docs/intelligence/lead-scoring-and-churn.md).

Label: 1 for a converted lead (`converted_at` set), 0 for an unqualified one; leads still open,
contacted or qualified are scored, never trained on. Time: `created_at`; the hold-out is the
newest `test_fraction` (25 %) of the decided leads, so the quality figures say how the model does
on leads that came in after the ones it learned from. Then the model is refitted on all decided
leads and every lead gets a `LeadInsight` row (probability and its top five factors).

Features: BANT (budget given, authority, need, timeline), fit (industry, country, company
size, senior title), where the lead came from (source, campaign) and engagement (interactions
logged with the lead, and its tracked e-mails opened and clicked, before it was decided), built
with one annotated query.

While fewer than `min_per_class` (30) converted or unqualified leads exist (or fewer than
`min_per_class_holdout` (5) of each among the newest), the run is refused and the rule-based
score (`Lead.score`, leads app) stays in charge: see `lead_model_status()`.
"""

import math
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from sklearn.metrics import roc_auc_score

from cyclecrm.activities.models import Interaction
from cyclecrm.core.db.vendor import upsert_rows
from cyclecrm.integrations.models import EmailTracking
from cyclecrm.intelligence import classifier
from cyclecrm.intelligence.models import LeadInsight, ModelKind, ModelRun, RunStatus
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, in_chunks, trainer
from cyclecrm.leads.models import (
    Authority,
    Lead,
    LeadSource,
    LeadStatus,
    NeedLevel,
    TimelineHorizon,
)

DEFAULT_OPTIONS: dict[str, Any] = {
    "test_fraction": 0.25,
    "min_per_class": 30,
    "min_per_class_holdout": 5,
}
CHUNK = 2000
SENIOR_WORDS = ("chief", "head", "director", "vp", "vice president", "president", "founder",
                "owner", "ceo", "cto", "cfo", "coo", "managing")  # fmt: skip
CLASS_NAMES = ("unqualified leads", "converted leads")
RULES_IN_CHARGE = (
    "The rule-based lead score is in use: the conversion model has not been trained yet."
)


def _lower(choices: Any) -> dict[str, str]:
    return {value: str(label).lower() for value, label in choices.choices}


FEATURES = classifier.Features(
    numeric=(
        "budget_given",
        "log_employees",
        "senior_title",
        "phone_given",
        "email_consent",
        "from_campaign",
        "interactions",
        "emails_opened",
        "emails_clicked",
    ),
    categorical=("source", "authority", "need_level", "timeline_horizon", "industry", "country"),
    labels={
        "budget_given": "Budget confirmed",
        "log_employees": "Company size (log of employees)",
        "senior_title": "Senior title",
        "phone_given": "Phone number given",
        "email_consent": "Agreed to e-mail",
        "from_campaign": "Came from a campaign",
        "interactions": "Interactions logged",
        "emails_opened": "Tracked e-mails opened",
        "emails_clicked": "Tracked e-mails clicked",
        "source": "Source",
        "authority": "Authority",
        "need_level": "Need",
        "timeline_horizon": "Timeline",
        "industry": "Industry",
        "country": "Country",
    },
    value_labels={
        "source": _lower(LeadSource),
        "authority": _lower(Authority),
        "need_level": _lower(NeedLevel),
        "timeline_horizon": _lower(TimelineHorizon),
    },
)
COLUMNS = (
    "id",
    "created_at",
    "converted_at",
    "status",
    "score",
    "budget",
    "employees",
    "title",
    "phone",
    "consent_email",
    "source_campaign_id",
    "campaign_name",
    "source",
    "authority",
    "need_level",
    "timeline_horizon",
    "industry",
    "country",
    "interactions_before",
    "opened_before",
    "clicked_before",
)


def lead_rows(queryset: Any = None) -> Any:
    """Leads with the columns the features need, plus the number of interactions logged with
    each before it was decided (converted, unqualified; open leads: until now), in one query."""
    decided_at = Coalesce(
        "converted_at",
        # An unqualified lead was decided when its status last changed.
        _when_unqualified(),
        Value(timezone.now()),
        output_field=DateTimeField(),
    )
    counted = (
        Interaction.objects.filter(lead=OuterRef("pk"), occurred_at__lte=OuterRef("decided_at"))
        .order_by()
        .values("lead")
        .annotate(n=Count("id"))
        .values("n")
    )
    base = Lead.objects.all() if queryset is None else queryset
    return (
        base.order_by()
        .annotate(decided_at=decided_at)
        .annotate(
            interactions_before=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)),
            opened_before=_tracked("first_opened_at"),
            clicked_before=_tracked("first_clicked_at"),
        )
        .values(*COLUMNS)
    )


def _tracked(moment: str) -> Coalesce:
    """Tracked e-mails to the lead first opened (or clicked) before it was decided."""
    tracked = (
        EmailTracking.objects.filter(
            interaction__lead=OuterRef("pk"), **{f"{moment}__lte": OuterRef("decided_at")}
        )
        .order_by()
        .values("interaction__lead")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(tracked, output_field=IntegerField()), Value(0))


def _when_unqualified() -> Any:
    return Case(
        When(status=LeadStatus.UNQUALIFIED, then=F("status_changed_at")),
        default=None,
        output_field=DateTimeField(),
    )


def features_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The model's feature columns from `lead_rows` values (plus id, time, label, rule score)."""
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    title = frame["title"].fillna("").str.lower()
    frame["budget_given"] = frame["budget"].map(lambda value: float(bool(value and value > 0)))
    frame["log_employees"] = frame["employees"].map(
        lambda value: math.log1p(value) if value is not None and not pd.isna(value) else np.nan
    )
    frame["senior_title"] = title.map(lambda text: float(any(w in text for w in SENIOR_WORDS)))
    frame["phone_given"] = (frame["phone"].fillna("") != "").astype(float)
    frame["email_consent"] = frame["consent_email"].astype(float)
    frame["from_campaign"] = (
        frame["source_campaign_id"].notna() | (frame["campaign_name"].fillna("") != "")
    ).astype(float)
    frame["interactions"] = frame["interactions_before"].astype(float)
    frame["emails_opened"] = frame["opened_before"].astype(float)
    frame["emails_clicked"] = frame["clicked_before"].astype(float)
    frame["label"] = frame["converted_at"].notna().astype(int)
    return frame


def decided_frame() -> pd.DataFrame:
    """Features of every decided lead, built a chunk at a time so only the compact feature
    frame, never the whole list of raw rows, is held in memory."""
    rows = lead_rows(decided_leads()).iterator(chunk_size=CHUNK)
    frames = [features_frame(chunk) for chunk in in_chunks(rows, CHUNK)]
    return pd.concat(frames, ignore_index=True) if frames else features_frame([])


def decided_leads() -> Any:
    return Lead.objects.filter(Q(converted_at__isnull=False) | Q(status=LeadStatus.UNQUALIFIED))


@trainer(ModelKind.LEAD_CONVERSION)
def train(run: ModelRun, progress: Progress) -> None:
    options = {**DEFAULT_OPTIONS, **(run.options or {})}
    minimums = classifier.Minimums(
        per_class=int(options["min_per_class"]),
        per_class_holdout=int(options["min_per_class_holdout"]),
    )
    progress(5, "Reading decided leads", force=True)
    frame = decided_frame()
    y = frame["label"].to_numpy()
    test = classifier.split_by_time(frame["created_at"], float(options["test_fraction"]))
    try:
        metrics = classifier.evaluate(
            frame[~test], y[~test], frame[test], y[test], FEATURES,
            minimums=minimums, class_names=CLASS_NAMES,
        )  # fmt: skip
    except classifier.TooLittleData as error:
        raise NotEnoughData(f"{error} {RULES_STAY}") from error
    metrics["rule_score_roc_auc"] = _rule_score_auc(frame[test], y[test])
    metrics["cutoff"] = frame.loc[test, "created_at"].min().isoformat()
    progress(40, "Fitting on all decided leads", force=True)
    model = classifier.fit(frame, y, FEATURES)
    run.options = options
    run.metrics = metrics
    run.parameters = model
    run.trained_on = len(frame)
    run.evaluated_on = int(test.sum())
    run.scored = score_leads(run, model, progress)


RULES_STAY = "The rule-based lead score stays in use until then."


def _rule_score_auc(frame: pd.DataFrame, y: np.ndarray) -> float | None:
    """The rule-based score's AUC on the same hold-out, for comparison."""
    if len(set(y)) < 2:
        return None
    return round(float(roc_auc_score(y, frame["score"].astype(float))), 4)


def score_leads(run: ModelRun | None, model: dict[str, Any], progress: Progress | None) -> int:
    """Write every lead's probability and top factors with `model` (chunked upserts)."""
    total = Lead.objects.count()
    done = 0
    for rows in in_chunks(lead_rows().iterator(chunk_size=CHUNK), CHUNK):
        frame = features_frame(rows)
        probabilities, factors = classifier.score(model, frame)
        now = timezone.now()
        insights = [
            LeadInsight(
                lead_id=int(lead_id),
                conversion_probability=round(float(probability), 6),
                factors=lead_factors,
                model_run=run,
                scored_at=now,
            )
            for lead_id, probability, lead_factors in zip(
                frame["id"], probabilities, factors, strict=True
            )
        ]
        upsert_rows(
            LeadInsight,
            insights,
            unique_fields=["lead"],
            update_fields=["conversion_probability", "factors", "model_run", "scored_at"],
        )
        done += len(insights)
        if progress is not None:
            progress(40 + 60 * done / max(total, 1), f"Scoring {done:,} of {total:,} leads")
    return done


def lead_model_status() -> dict[str, Any]:
    """Which lead score is in charge, for the lead pages: `{"in_charge": "model" | "rules",
    "message", "run_id", "roc_auc", "trained_at"}`. The model is in charge once a run has
    succeeded (a later refused run keeps it); before that the rule-based score is, and the
    message says why (the refused run's reason when there is one)."""
    runs = ModelRun.objects.filter(kind=ModelKind.LEAD_CONVERSION)
    succeeded = runs.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at", "-id").first()
    if succeeded is not None:
        auc = succeeded.metrics.get("roc_auc")
        return {
            "in_charge": "model",
            "message": f"Conversion probabilities from the model trained on "
            f"{succeeded.trained_on:,} decided leads (hold-out ROC AUC {auc}).",
            "run_id": succeeded.pk,
            "roc_auc": auc,
            "trained_at": succeeded.finished_at,
        }
    refused = runs.filter(status=RunStatus.REFUSED).order_by("-finished_at", "-id").first()
    return {
        "in_charge": "rules",
        "message": refused.message if refused is not None else RULES_IN_CHARGE,
        "run_id": refused.pk if refused is not None else None,
        "roc_auc": None,
        "trained_at": None,
    }
