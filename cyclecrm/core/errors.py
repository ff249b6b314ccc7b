"""Domain errors. Every failure that reaches a user is one of these, rendered in one place
(the API's exception handlers, the web views' form errors) as
`{"error": {"code", "message", "fields"}}`."""

from collections.abc import Mapping, Sequence


class CrmError(Exception):
    status = 400
    code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = {name: list(reasons) for name, reasons in (fields or {}).items()}
        if code:
            self.code = code
        super().__init__(self.message)

    def as_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationFailed(CrmError):
    status = 422
    code = "validation_error"
    default_message = "Some fields are not valid."


class NotFound(CrmError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class Forbidden(CrmError):
    status = 403
    code = "permission_denied"
    default_message = "You do not have permission to do this."


class Conflict(CrmError):
    status = 409
    code = "conflict"
    default_message = "The record changed or already exists."


class VersionConflict(Conflict):
    code = "version_conflict"
    default_message = "The record was changed by someone else; reload it and try again."


class Duplicate(Conflict):
    code = "duplicate"
    default_message = "A record with the same unique value already exists."


class UploadTooLarge(CrmError):
    status = 413
    code = "too_large"
    default_message = "The file is too large."


class RequestTooLarge(CrmError):
    status = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than the limit of {limit:,} bytes.",
            fields={"body": [f"At most {limit:,} bytes."]},
        )


class FieldErrors:
    """Collects per-field reasons, then raises one ValidationFailed naming all of them."""

    def __init__(self) -> None:
        self._fields: dict[str, list[str]] = {}

    def add(self, field: str, reason: str) -> None:
        self._fields.setdefault(field, []).append(reason)

    def __bool__(self) -> bool:
        return bool(self._fields)

    def raise_if_any(self, message: str | None = None) -> None:
        if self._fields:
            raise ValidationFailed(message, fields=self._fields)
