"""`cyclecrm user create USERNAME --role ROLE [--team TEAM] ...`: users from the command line.

Messages go to stderr so stdout stays clean for scripts.
"""

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cyclecrm.core.errors import CrmError
from cyclecrm.identity.models import Role
from cyclecrm.identity.services import team_get_or_create, user_create


def crm_error_text(exc: CrmError) -> str:
    """A domain error as one line: the message, then each field's reasons."""
    details = "; ".join(f"{name}: {' '.join(reasons)}" for name, reasons in exc.fields.items())
    return f"{exc.message} {details}".strip()


class Command(BaseCommand):
    help = "Manage users. `user create USERNAME --role ROLE` creates one."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        create = subcommands.add_parser("create", help="Create a user.")
        create.add_argument("username")
        create.add_argument(
            "--role", action="append", required=True, help="Role name; repeat for several."
        )
        create.add_argument(
            "--team", action="append", default=[], help="Team name (created when missing)."
        )
        create.add_argument("--password", help="Prompted for when omitted on a terminal.")
        create.add_argument("--email", default="")
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        create.add_argument("--superuser", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "create":
            self._create(options)

    def _create(self, options: dict[str, Any]) -> None:
        roles = options["role"]
        known = set(Role.objects.filter(name__in=roles).values_list("name", flat=True))
        unknown = [name for name in roles if name not in known]
        if unknown:
            choices = ", ".join(Role.objects.values_list("name", flat=True))
            raise CommandError(f"Unknown role {', '.join(unknown)}; choose from: {choices}.")
        password = options["password"] or self._prompt_password()
        try:
            with transaction.atomic():
                teams = [team_get_or_create(name=name) for name in options["team"]]
                user = user_create(
                    actor=None,
                    username=options["username"],
                    password=password,
                    email=options["email"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    role_names=roles,
                    team_ids=[team.pk for team in teams],
                    is_superuser=options["superuser"],
                )
        except CrmError as exc:
            raise CommandError(crm_error_text(exc)) from exc
        team_text = f" in {', '.join(team.name for team in teams)}" if teams else ""
        self.stderr.write(
            f"Created user {user.username} ({', '.join(roles)}){team_text}.",
            style_func=self.style.SUCCESS,
        )

    def _prompt_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No --password given and stdin is not a terminal to ask on.")
        password = getpass.getpass("Password: ")
        if not password:
            raise CommandError("The password must not be empty.")
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("The passwords do not match.")
        return password
