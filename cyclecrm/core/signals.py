"""Signals of the building blocks.

`rows_changed` is sent (sender: the model class) after writes that bypass the model's own
`post_save`/`post_delete` signals: bulk upserts and `QuerySet.update()` calls on tables that
computed figures read. The analytics cache listens to it (docs/adr/0020)."""

from django.dispatch import Signal

rows_changed = Signal()


def rows_changed_send(model: type) -> None:
    rows_changed.send(sender=model)
