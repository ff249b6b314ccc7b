from typing import Any

from django.core.management.base import BaseCommand

from cyclecrm.support.escalation import sla_breaches_mark


class Command(BaseCommand):
    help = "Mark SLA breaches on cases and escalate them per their policy (what the job runs)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = sla_breaches_mark()
        self.stdout.write(f"{changed} case(s) marked.")
