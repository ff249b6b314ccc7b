"""`cyclecrm leads_rescore`: recompute every open lead's score and grade from the current rules
(the same service the settings page and `POST /api/v1/scoring-rules/rescore` call)."""

from typing import Any

from django.core.management.base import BaseCommand

from cyclecrm.identity.system import system_actor
from cyclecrm.leads.services import leads_rescore


class Command(BaseCommand):
    help = "Recompute the score and grade of every lead not yet converted."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = leads_rescore(actor=system_actor())
        self.stdout.write(f"{changed} lead{'s' * (changed != 1)} changed.")
