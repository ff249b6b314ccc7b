"""Web-interface state that belongs to a user: saved list views."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class SavedView(models.Model):
    """A named list URL: the query string (filters, ordering, columns) of a record list.

    A saved view is just a URL, so opening one is a redirect and nothing about a list's
    behaviour depends on it. Views are private to the user who saved them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    record_type = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "record_type", "name"], name="web_savedview_name_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        base = reverse(f"{self.record_type}_list")
        return f"{base}?{self.query}" if self.query else base
