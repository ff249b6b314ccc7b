"""API authentication: bearer tokens (hashed, scoped, expiring) or the browser session."""

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from cyclecrm.core.errors import CrmError
from cyclecrm.identity.models import ApiToken, TokenScope
from cyclecrm.identity.tokens import digests_match, token_digest, token_prefix

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Writing last_used_at on every request would turn reads into writes; a minute is precise enough.
LAST_USED_RESOLUTION_SECONDS = 60


class TokenScopeError(CrmError):
    status = 403
    code = "token_scope"
    default_message = "This token is read-only."


class TokenRejected(CrmError):
    """A real token (its secret matched) that no longer works: saying why is safe, because
    only its holder can get this far."""

    status = 401
    code = "not_authenticated"


def _rejection(row: ApiToken) -> TokenRejected | None:
    if row.revoked_at:
        return TokenRejected("This token was revoked; create a new one.")
    if row.expires_at and row.expires_at <= timezone.now():
        return TokenRejected(
            f"This token expired at {row.expires_at.isoformat()}; create a new one."
        )
    if not row.user.is_active:
        return TokenRejected("The user of this token is deactivated.")
    return None


class BearerToken(HttpBearer):
    openapi_description = (
        "`Authorization: Bearer ccrm_...`; create tokens under Settings → API tokens."
    )

    def authenticate(self, request: HttpRequest, token: str):
        prefix = token_prefix(token)
        if prefix is None:
            return None
        row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if row is None or not digests_match(row.token_hash, token_digest(token)):
            return None
        rejection = _rejection(row)
        if rejection is not None:
            raise rejection
        if request.method not in SAFE_METHODS and row.scope != TokenScope.WRITE:
            raise TokenScopeError()
        now = timezone.now()
        if (
            row.last_used_at is None
            or (now - row.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row
        return row.user


class BrowserSession(SessionAuth):
    """Lets the signed-in browser (and the interactive docs) call the API; CSRF applies."""


api_auth = [BearerToken(), BrowserSession()]
