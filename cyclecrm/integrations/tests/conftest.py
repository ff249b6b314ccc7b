"""Real SMTP and IMAP servers on 127.0.0.1 (see cyclecrm/core/testing/mailservers.py)."""

from collections.abc import Iterator

import pytest

from cyclecrm.core.testing.mailservers import (
    ImapTestServer,
    SmtpTestServer,
    dovecot_binary,
)


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpTestServer]:
    """An aiosmtpd server that Django's SMTP backend sends to for the test's duration."""
    server = SmtpTestServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapTestServer]:
    """One Dovecot for the session; tests use their own folders to stay independent."""
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; CI installs it)")
    server = ImapTestServer(binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def huey_immediate() -> Iterator[None]:
    """Run Huey tasks in-process as they are enqueued (in-memory storage)."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def attachments_in_tmp(monkeypatch, tmp_path) -> None:
    """Attachment files go to the test's temp directory, not the data directory."""
    from django.core.files.storage import FileSystemStorage

    from cyclecrm.activities.models import InteractionAttachment

    field = InteractionAttachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path / "attachments"))
