"""`cyclecrm token create USERNAME` prints a new API token (and nothing else) on stdout;
`cyclecrm token revoke PREFIX` revokes one."""

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cyclecrm.core.errors import CrmError
from cyclecrm.identity.management.commands.user import crm_error_text
from cyclecrm.identity.models import ApiToken, TokenScope, User
from cyclecrm.identity.services import token_create, token_revoke
from cyclecrm.identity.tokens import token_prefix


class Command(BaseCommand):
    help = "Manage API tokens: `token create USERNAME`, `token revoke PREFIX`."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        create = subcommands.add_parser("create", help="Create a token; prints only the token.")
        create.add_argument("username")
        create.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        create.add_argument("--name", default="Command line")
        create.add_argument("--expires-days", type=int, help="Days until the token expires.")
        revoke = subcommands.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix", help="The token's prefix, or the whole token.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "create":
            self._create(options)
        else:
            self._revoke(options["prefix"])

    def _create(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        days = options["expires_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-days must be a positive number of days.")
        expires_at = timezone.now() + dt.timedelta(days=days) if days else None
        try:
            _, secret = token_create(
                actor=None,
                user=user,
                name=options["name"],
                scope=options["scope"],
                expires_at=expires_at,
            )
        except CrmError as exc:
            raise CommandError(crm_error_text(exc)) from exc
        self.stdout.write(secret)

    def _revoke(self, text: str) -> None:
        prefix = token_prefix(text) or text.strip()
        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"No token with prefix {prefix!r}.")
        token_revoke(actor=None, token=token)
        self.stderr.write(
            f"Revoked token {token.prefix} ({token.name}) of {token.user.username}.",
            style_func=self.style.SUCCESS,
        )
