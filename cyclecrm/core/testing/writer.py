"""A process that keeps writing while a test backs up or restores:
`python -m cyclecrm.core.testing.writer USERNAME DIRECTORY`.

Each round creates an account and then, in a second transaction, a contact of that account,
through the services (so each write also records its history row). After every round it writes
the number of rounds done to DIRECTORY/written; it stops when DIRECTORY/stop exists. A backup
that is one point in time holds every account's contact except at most the last one's, and a
history CREATE row for every account and contact it holds.
"""

import itertools
import os
import sys
from pathlib import Path

WRITTEN = "written"
STOP = "stop"
LAST_NAME = "Writer"


def main(username: str, directory: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cyclecrm.config.settings")
    import django

    django.setup()
    from cyclecrm.contacts.services import account_create, contact_create
    from cyclecrm.identity.models import User

    actor = User.objects.get(username=username)
    for round_ in itertools.count(1):
        if (directory / STOP).exists():
            return
        account = account_create(actor=actor, data={"name": f"Writer {round_}"})
        contact_create(
            actor=actor,
            data={
                "first_name": f"W{round_}",
                "last_name": LAST_NAME,
                "email": f"w{round_}@writer.example.com",
                "account_id": account.pk,
            },
        )
        (directory / f"{WRITTEN}.tmp").write_text(str(round_))
        os.replace(directory / f"{WRITTEN}.tmp", directory / WRITTEN)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
