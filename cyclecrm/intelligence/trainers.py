"""The registry of trainers: one function per model kind that fits (or computes) the model
and writes its scores. Each kind's module registers itself with `@trainer(kind)`; the job
`run_model` (tasks.py) looks the trainer up, so adding a model never touches the job code.

A trainer receives the `ModelRun` (its `options` already filled) and a `Progress` to report
to, fills `trained_on`, `evaluated_on`, `scored`, `metrics` and `parameters` on the run and
returns. It raises `NotEnoughData` with a sentence naming what is missing to refuse to train;
the run is then marked refused and the previous model stays in use.
"""

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.utils import timezone

from cyclecrm.intelligence.models import ModelRun

# Modules that register trainers on import; each kind lives in its own module.
TRAINER_MODULES = (
    "cyclecrm.intelligence.lead_scoring",
    "cyclecrm.intelligence.churn",
    "cyclecrm.intelligence.lifetime_value",
    "cyclecrm.intelligence.rfm_job",
    "cyclecrm.intelligence.clusters",
    "cyclecrm.intelligence.offers",
)


Row = TypeVar("Row")


def in_chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Lists of up to `size` consecutive rows: score a streamed query a chunk at a time."""
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class NotEnoughData(Exception):
    """Raised by a trainer that refuses to train; the message is shown on the model page."""


class Progress:
    """Writes a run's progress (0..100 and a note) at most every `every` seconds."""

    def __init__(self, run: ModelRun, *, every: float = 1.0) -> None:
        self.run = run
        self.every = every
        self._last = 0.0

    def __call__(self, percent: float, note: str = "", *, force: bool = False) -> None:
        now = timezone.now().timestamp()
        if not force and now - self._last < self.every:
            return
        self._last = now
        self.run.progress = max(0, min(100, int(percent)))
        self.run.progress_note = note[:200]
        ModelRun.objects.filter(pk=self.run.pk).update(
            progress=self.run.progress, progress_note=self.run.progress_note
        )


Trainer = Callable[[ModelRun, Progress], None]
_trainers: dict[str, Trainer] = {}


def trainer(kind: str) -> Callable[[Trainer], Trainer]:
    def register(function: Trainer) -> Trainer:
        _trainers[kind] = function
        return function

    return register


def trainer_for(kind: str) -> Trainer | None:
    return _trainers.get(kind)


def load_all() -> None:
    for name in TRAINER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
