"""What every demo step receives: the options, random sources and the rows earlier steps made."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from faker import Faker

from cyclecrm.core.demo.generate import LocalePools


@dataclass(frozen=True)
class DemoOptions:
    contacts: int = 2000
    accounts: int = 200
    seed: int = 42
    admin_password: str = "admin"
    batch_size: int = 5000


@dataclass
class DemoContext:
    options: DemoOptions
    now: datetime
    log: Callable[[str], None]
    faker: Faker
    teams: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    reps: list[Any] = field(default_factory=list)
    # user id -> the team their records belong to
    home_team: dict[int, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    accounts: list[Any] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @cached_property
    def pools(self) -> LocalePools:
        """Names and addresses per country, shared by the steps (drawn on first use)."""
        return LocalePools(self.faker)

    def rng(self, step: str) -> random.Random:
        """A random stream of its own per step: a new step leaves the others' data unchanged."""
        return random.Random(f"{self.options.seed}:{step}")

    def seed_faker(self, step: str) -> None:
        self.faker.seed_instance(f"{self.options.seed}:{step}")


Step = Callable[[DemoContext], None]
