"""`cyclecrm privacy export|erase CONTACT_ID` and `cyclecrm privacy retention [--dry-run]`,
acting as `--as USERNAME` (default: the first admin), through the same services as the API."""

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cyclecrm.contacts.selectors import contact_get
from cyclecrm.core.errors import CrmError
from cyclecrm.dataquality.privacy import selectors, services
from cyclecrm.identity.models import User


def acting_user(username: str | None) -> User:
    """`--as`, or the first active administrator (a superuser or a user with the admin role)."""
    users = User.objects.filter(is_active=True).order_by("id")
    user = (
        users.filter(username=username).first()
        if username
        else (users.filter(roles__name="admin").first() or users.filter(is_superuser=True).first())
    )
    if user is None:
        raise CommandError(f"No active user {username!r}." if username else "No admin user.")
    return user


class Command(BaseCommand):
    help = "Privacy rights: subject access export, erasure, retention policies."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["export", "erase", "retention"])
        parser.add_argument("contact_id", nargs="?", help="For export and erase.")
        parser.add_argument("--as", dest="username", help="Act as this user (default: admin).")
        parser.add_argument("--yes", action="store_true", help="Erase without asking.")
        parser.add_argument("--dry-run", action="store_true", help="Retention: only count.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["username"])
        try:
            if options["action"] == "retention":
                self._retention(actor, dry_run=options["dry_run"])
                return
            if not options["contact_id"]:
                raise CommandError("Give the contact id.")
            if options["action"] == "export":
                body = selectors.contact_export(actor=actor, pk=options["contact_id"])
                self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
            else:
                self._erase(actor, options["contact_id"], confirmed=options["yes"])
        except CrmError as exc:
            raise CommandError(exc.message) from exc

    def _erase(self, actor: User, pk: str, *, confirmed: bool) -> None:
        contact = contact_get(actor=actor, pk=pk)
        if not confirmed:
            answer = input(f"Erase {contact} (#{contact.pk})? This cannot be undone [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Not erased.")
        rows = services.contact_erase(actor=actor, contact=contact)
        self.stdout.write(json.dumps({"contact_id": contact.pk, "rows": rows}))

    def _retention(self, actor: User, *, dry_run: bool) -> None:
        for policy in selectors.retention_policy_list(actor=actor):
            if not policy.is_active:
                continue
            run = services.retention_policy_run(actor=actor, policy=policy, dry_run=dry_run)
            self.stdout.write(
                f"{policy.record_type}: {run.matched} matched, {run.handled} {policy.action}d"
            )
