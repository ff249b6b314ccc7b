# Sort keys for keyset pagination: due_key (due_at, or a far-future value when there is no due
# date, so undated tasks sort last) and priority_rank (urgent first). Kept by the services.

import datetime

from django.db import migrations, models
from django.db.models import Case, F, Value, When

NO_DUE_KEY = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)
PRIORITY_RANK = {"urgent": 1, "high": 2, "normal": 3, "low": 4}


def fill_sort_keys(apps, schema_editor):
    Task = apps.get_model("activities", "Task")
    Task.objects.filter(due_at__isnull=False).update(due_key=F("due_at"))
    Task.objects.update(
        priority_rank=Case(
            *[When(priority=name, then=Value(rank)) for name, rank in PRIORITY_RANK.items()],
            default=Value(PRIORITY_RANK["normal"]),
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0003_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='task',
            options={'ordering': ['due_key', 'id']},
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='activities_task_mine_idx',
        ),
        migrations.AddField(
            model_name='task',
            name='due_key',
            field=models.DateTimeField(default=NO_DUE_KEY, editable=False),
        ),
        migrations.AddField(
            model_name='task',
            name='priority_rank',
            field=models.PositiveSmallIntegerField(default=3, editable=False),
        ),
        migrations.RunPython(fill_sort_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['owner', 'due_key', 'id'], name='activities_task_owner_due_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['due_key', 'id'], name='activities_task_due_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['priority_rank', 'due_key', 'id'], name='activities_task_priority_idx'),
        ),
    ]
