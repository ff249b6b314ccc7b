"""Shapes of /api/v1/quotas."""

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema, Version
from cyclecrm.pipeline.schemas import DECIMAL_DOC, AmountIn, DecimalText

TARGET_DOC = "Set exactly one of user_id and team_id."


class QuotaFieldsIn(InputSchema):
    user_id: int | None = Field(None, ge=1, le=MAX_ID, description=TARGET_DOC)
    team_id: int | None = Field(None, ge=1, le=MAX_ID, description=TARGET_DOC)
    period_start: dt.date | None = None
    period_end: dt.date | None = Field(None, description="Inclusive.")
    amount: AmountIn | None = Field(None, description=f"Base currency. {DECIMAL_DOC}")


class QuotaPatchIn(QuotaFieldsIn):
    version: Version


class QuotaCreateIn(QuotaFieldsIn):
    period_start: dt.date
    period_end: dt.date = Field(description="Inclusive.")
    amount: AmountIn = Field(description=f"Base currency. {DECIMAL_DOC}")


def _amount(quota: Any) -> str:
    return format(Decimal(quota.amount).quantize(Decimal("0.01")), "f")


class QuotaOut(OutputSchema):
    computed = {"amount": _amount}

    id: int
    version: int
    user_id: int | None = None
    team_id: int | None = None
    period_start: dt.date
    period_end: dt.date
    amount: DecimalText = Field(description="Base currency.")
    created_at: dt.datetime
    updated_at: dt.datetime
