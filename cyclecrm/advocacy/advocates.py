"""Advocacy scores: who speaks for us, ranked, so marketing can invite them to case studies and
communities (docs/advocacy-advocates.md has the formula and why each weight is what it is).

Signals, each counted in the last `WINDOW_MONTHS` months and worth its points times a recency
decay (half the weight every `HALF_LIFE_MONTHS` months, by calendar month):

- a promoter NPS answer (9-10): +10; a detractor answer (0-6): -10;
- an approved review rated 3 or more: 3 per star above 2, +3 when publishing is permitted;
- a referral that converted: +15; one still pending: +3;
- a social mention (an inbound interaction on the social channel): +4.

The score is the decayed sum, never below zero, rounded to one decimal. SQL aggregates the
signals per contact and month, a vectorised pandas step weighs them, and rows are written with
`upsert_rows`, one window of contact ids at a time so memory stays bounded. A contact whose
score falls to zero loses their row. A rerun in the same month writes nothing."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.advocacy.models import AdvocateScore, Review, ReviewStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.db.vendor import upsert_rows
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.events import Event, emit
from cyclecrm.feedback.models import Category, SurveyKind, SurveyResponse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.loyalty.models import Referral, ReferralStatus

WINDOW_MONTHS = 24
HALF_LIFE_MONTHS = 6
CHUNK = 5000
# Crossing this score upwards emits `contact.advocate_reached` (a workflow trigger).
ADVOCATE_THRESHOLD = 25.0
EVENT_ADVOCATE_REACHED = "contact.advocate_reached"
REFRESH_FORBIDDEN = "Refreshing advocate scores needs the right to moderate every review."
# Source key -> (component column it counts into, or "" for score only; points per signal).
WEIGHTS: dict[str, tuple[str, int]] = {
    "promoter": ("promoter_answers", 10),
    "detractor": ("", -10),
    "review": ("reviews", 0),  # points per review come from its rating, see `_points`
    "referral_converted": ("referrals", 15),
    "referral_pending": ("", 3),
    "mention": ("mentions", 4),
}
COMPONENTS = ("promoter_answers", "reviews", "referrals", "mentions")
COLUMNS = ("score", *COMPONENTS)


@dataclass(frozen=True)
class RefreshResult:
    scored: int
    changed: int
    removed: int

    def as_dict(self) -> dict[str, int]:
        return {"scored": self.scored, "changed": self.changed, "removed": self.removed}


def can_refresh(actor: Any) -> bool:
    """Managers, marketers and admins: whoever may moderate every review."""
    return actor is not None and access.level(actor, Review.record_type, Action.EDIT) == Level.ALL


def require_refresh(actor: Any) -> None:
    if not can_refresh(actor):
        raise Forbidden(REFRESH_FORBIDDEN)


# -- SQL: signals per contact and month ---------------------------------------------------------


def _sources(since: dt.datetime) -> dict[str, tuple[QuerySet, str, str]]:
    """Source key -> (its rows in the window, the contact column, the time column)."""
    nps = SurveyResponse.objects.filter(survey__kind=SurveyKind.NPS, answered_at__gte=since)
    return {
        "promoter": (nps.filter(category=Category.PROMOTER), "contact_id", "answered_at"),
        "detractor": (nps.filter(category=Category.DETRACTOR), "contact_id", "answered_at"),
        "review": (
            Review.objects.filter(
                status=ReviewStatus.APPROVED, rating__gte=3, submitted_at__gte=since
            ),
            "contact_id",
            "submitted_at",
        ),
        "referral_converted": (
            Referral.objects.filter(status=ReferralStatus.CONVERTED, converted_at__gte=since),
            "referrer_id",
            "converted_at",
        ),
        "referral_pending": (
            Referral.objects.filter(status=ReferralStatus.PENDING, created_at__gte=since),
            "referrer_id",
            "created_at",
        ),
        "mention": (
            Interaction.objects.filter(
                channel=Channel.SOCIAL, direction=Direction.INBOUND, occurred_at__gte=since
            ),
            "contact_id",
            "occurred_at",
        ),
    }


def _monthly(source: str, rows: QuerySet, contact: str, at: str) -> Iterator[dict[str, Any]]:
    """One row per contact and calendar month: how many signals and, for reviews, the stars and
    how many permit publishing."""
    extra: dict[str, Any] = {}
    if source == "review":
        extra = {
            "stars": Sum("rating"),
            "consented": Count("id", filter=Q(publish_consent=True)),
        }
    grouped = (
        rows.order_by()
        .values(cid=F(contact), y=ExtractYear(at), m=ExtractMonth(at))
        .annotate(n=Count("id"), **extra)
    )
    for row in grouped:
        yield {"source": source, "stars": 0, "consented": 0, **row}


def _signals(now: dt.datetime, ids: tuple[int, int], only: int | None = None) -> pd.DataFrame:
    """Every signal of contacts with ids in [low, high) (or of one contact) as a frame. Signals
    dated after `now` (a meeting-style future date typed by hand) wait until they happen."""
    since = _window_start(now)
    records: list[dict[str, Any]] = []
    for source, (rows, contact, at) in _sources(since).items():
        rows = rows.filter(**{f"{at}__lte": now})
        if only is not None:
            rows = rows.filter(**{contact: only})
        else:
            rows = rows.filter(**{f"{contact}__gte": ids[0], f"{contact}__lt": ids[1]})
        records.extend(_monthly(source, rows, contact, at))
    columns = ["source", "cid", "y", "m", "n", "stars", "consented"]
    return pd.DataFrame.from_records(records, columns=columns)


def _window_start(now: dt.datetime) -> dt.datetime:
    """The first day of the month `WINDOW_MONTHS - 1` months before this one (UTC)."""
    months = now.year * 12 + now.month - 1 - (WINDOW_MONTHS - 1)
    return dt.datetime(months // 12, months % 12 + 1, 1, tzinfo=dt.UTC)


# -- pandas: weigh and sum ---------------------------------------------------------------------


def _points(frame: pd.DataFrame, now: dt.datetime) -> np.ndarray:
    """Each row's points times its recency decay (vectorised)."""
    n = frame["n"].astype("int64")
    age = (now.year * 12 + now.month) - (
        frame["y"].astype("int64") * 12 + frame["m"].astype("int64")
    )
    decay = np.power(0.5, age.to_numpy(dtype="float64") / HALF_LIFE_MONTHS)
    per_signal = frame["source"].map({key: points for key, (_, points) in WEIGHTS.items()})
    review = 3 * (frame["stars"].astype("int64") - 2 * n) + 3 * frame["consented"].astype("int64")
    points = np.where(frame["source"] == "review", review, n * per_signal)
    return points.astype("float64") * decay


def weigh(signals: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """One row per contact (index: contact id) with `score` and the component counts."""
    if signals.empty:
        return pd.DataFrame(columns=list(COLUMNS), index=pd.Index([], name="cid"))
    frame = signals.assign(points=_points(signals, now))
    frame["component"] = frame["source"].map({key: col for key, (col, _) in WEIGHTS.items()})
    scores = frame.groupby("cid")["points"].sum().clip(lower=0).round(1)
    counts = frame[frame["component"] != ""].pivot_table(
        index="cid", columns="component", values="n", aggfunc="sum", fill_value=0
    )
    result = counts.reindex(index=scores.index, columns=list(COMPONENTS)).fillna(0)
    result = result.astype("int64")
    result.insert(0, "score", scores)
    return result


def score_breakdown(*, contact: Contact, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """What each kind of signal adds to this contact's score now (count and decayed points),
    computed live with the same weights as the nightly job: the detail view's explanation."""
    now = now or timezone.now()
    signals = _signals(now, (0, 0), only=contact.pk)
    points = _points(signals, now) if not signals.empty else np.array([])
    rows = []
    for source, (component, _) in WEIGHTS.items():
        mask = (signals["source"] == source).to_numpy()
        rows.append(
            {
                "signal": source,
                "component": component,
                "count": int(signals.loc[mask, "n"].sum()) if mask.any() else 0,
                "points": round(float(points[mask].sum()), 1) if mask.any() else 0.0,
            }
        )
    return rows


# -- writing ------------------------------------------------------------------------------------


def _windows() -> Iterator[tuple[int, int]]:
    top = Contact.objects.aggregate(top=Max("id"))["top"] or 0
    for low in range(0, top + 1, CHUNK):
        yield low, low + CHUNK


def _stored(ids: tuple[int, int]) -> dict[int, tuple]:
    rows = AdvocateScore.objects.filter(contact_id__gte=ids[0], contact_id__lt=ids[1])
    return {row[0]: tuple(row[1:]) for row in rows.values_list("contact_id", *COLUMNS)}


def _as_tuple(values: Iterable[Any]) -> tuple:
    score, *counts = values
    return (round(float(score), 1), *(int(count) for count in counts))


def _row(contact_id: int, values: tuple, now: dt.datetime) -> AdvocateScore:
    fields = dict(zip(COLUMNS, values, strict=True))
    return AdvocateScore(contact_id=contact_id, computed_at=now, **fields)


def _refresh_window(
    ids: tuple[int, int], now: dt.datetime, *, announce: bool
) -> tuple[int, int, int]:
    """Rescore one window of contact ids; returns (scored, changed, removed)."""
    fresh = weigh(_signals(now, ids), now)
    fresh = fresh[fresh["score"] > 0]
    wanted = {
        int(cid): _as_tuple(row)
        for cid, row in zip(fresh.index, fresh.itertuples(False), strict=True)
    }
    with transaction.atomic():
        stored = _stored(ids)
        changed = [cid for cid, values in wanted.items() if stored.get(cid) != values]
        gone = [cid for cid in stored if cid not in wanted]
        upsert_rows(
            AdvocateScore,
            [
                AdvocateScore(
                    contact_id=cid, computed_at=now, **dict(zip(COLUMNS, wanted[cid], strict=True))
                )
                for cid in changed
            ],
            unique_fields=["contact"],
            update_fields=[*COLUMNS, "computed_at"],
        )
        AdvocateScore.objects.filter(contact_id__in=gone).delete()
        if announce:
            _announce(stored, wanted, changed)
    return len(wanted), len(changed), len(gone)


def _announce(stored: dict[int, tuple], wanted: dict[int, tuple], changed: list[int]) -> None:
    """Emit `contact.advocate_reached` for contacts whose score crossed the threshold upwards."""
    for cid in changed:
        before = stored[cid][0] if cid in stored else 0.0
        after = wanted[cid][0]
        if before < ADVOCATE_THRESHOLD <= after:
            emit(
                Event(
                    name=EVENT_ADVOCATE_REACHED,
                    record_type="contact",
                    object_id=cid,
                    actor_id=None,
                    data={"score": after, "previous_score": before},
                )
            )


def advocate_scores_refresh(*, actor: Any = None, now: dt.datetime | None = None) -> RefreshResult:
    """Recompute every contact's advocacy score. `actor` None is the nightly job; a person must
    pass `require_refresh`. Idempotent: a rerun in the same month changes no row.

    The first run (no scores stored yet) sets the baseline and announces nobody, so a new
    installation does not fire a workflow for every existing advocate."""
    if actor is not None:
        require_refresh(actor)
    now = now or timezone.now()
    announce = AdvocateScore.objects.exists()
    totals = [0, 0, 0]
    for ids in _windows():
        for i, value in enumerate(_refresh_window(ids, now, announce=announce)):
            totals[i] += value
    return RefreshResult(*totals)
