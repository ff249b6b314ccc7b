"""Writes for surveys: configuration (`surveys.py`), sending invitations (`sending.py`),
answering through the public link (`answers.py`) and the CSAT hook on case resolution
(`csat.py`)."""

from cyclecrm.feedback.services.answers import (
    invitation_for_token,
    response_submit,
)
from cyclecrm.feedback.services.sending import survey_send
from cyclecrm.feedback.services.surveys import (
    survey_create,
    survey_delete,
    survey_update,
)

__all__ = [
    "invitation_for_token",
    "response_submit",
    "survey_create",
    "survey_delete",
    "survey_send",
    "survey_update",
]
