"""Record types known to the permission system, registered by each app's AppConfig.ready().

A record type is the key used in role matrices, history rows, shares and custom fields.
"""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str
    model: type[models.Model]
    # The field naming the user a row belongs to, which the `own` and `team` levels test
    # (`owner` on business records, `user` on tokens, `id` on users); None: only all/none apply.
    owner_field: str | None
    has_team: bool


_record_types: dict[str, RecordType] = {}


def register(
    key: str, label: str, model: type[models.Model], *, owner_field: str | None = "owner"
) -> None:
    names = {field.name for field in model._meta.get_fields()}
    if owner_field not in names:
        owner_field = None
    _record_types[key] = RecordType(
        key=key, label=label, model=model, owner_field=owner_field, has_team="team" in names
    )


def record_types() -> dict[str, RecordType]:
    return dict(_record_types)


def record_type(key: str) -> RecordType:
    return _record_types[key]


def record_type_of(model: type[models.Model]) -> RecordType:
    for item in _record_types.values():
        if item.model is model:
            return item
    raise LookupError(f"{model.__name__} is not a registered record type")
