"""`cyclecrm engagement_recompute`: move every contact's 30/90-day interaction counts along now
(the nightly job `activities.tasks.recompute_engagement` runs the same function)."""

from typing import Any

from django.core.management.base import BaseCommand

from cyclecrm.activities.engagement import engagement_recompute_all


class Command(BaseCommand):
    help = "Recompute the engagement fields (last interaction, 30/90-day counts) of contacts."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = engagement_recompute_all()
        self.stdout.write(f"{changed} contact{'s' * (changed != 1)} changed.")
