"""A small IMAP client over `imaplib`: log in, select a folder, list and fetch by UID.

Everything the poll needs and nothing more; errors surface as `ImapError` with a message fit
for the mailbox's `last_error`.
"""

import contextlib
import imaplib
import re
import socket
import ssl
from types import TracebackType

from cyclecrm.integrations.models import MailboxSecurity

TIMEOUT_SECONDS = 30
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class ImapError(Exception):
    """The server could not be reached, refused the login, or answered unexpectedly."""


class ImapSession:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self._client: imaplib.IMAP4 | None = None

    def __enter__(self) -> "ImapSession":
        try:
            if self.security == MailboxSecurity.SSL:
                client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host,
                    self.port,
                    ssl_context=ssl.create_default_context(),
                    timeout=self.timeout,
                )
            else:
                client = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.security == MailboxSecurity.STARTTLS:
                    client.starttls(ssl_context=ssl.create_default_context())
            self._client = client
            client.login(self.username, self.password)
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            self.close()
            raise ImapError(_describe(exc, f"{self.host}:{self.port}")) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()

    @property
    def client(self) -> imaplib.IMAP4:
        if self._client is None:
            raise ImapError("Not connected.")
        return self._client

    def select(self, folder: str) -> int:
        """Open `folder` read-only (fetching must not change flags); returns its UIDVALIDITY."""
        try:
            status, _ = self.client.select(_quote(folder), readonly=True)
            if status != "OK":
                raise ImapError(f"The folder {folder!r} cannot be opened.")
            status, data = self.client.status(_quote(folder), "(UIDVALIDITY)")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(_describe(exc, folder)) from exc
        match = _UIDVALIDITY.search(b" ".join(item for item in data if isinstance(item, bytes)))
        if status != "OK" or match is None:
            raise ImapError(f"The server did not report the UIDVALIDITY of {folder!r}.")
        return int(match.group(1))

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending. (`n:*` always includes the highest UID, even when
        it is below n, hence the filter.)"""
        try:
            status, data = self.client.uid("SEARCH", f"UID {last_uid + 1}:*")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(_describe(exc, "UID SEARCH")) from exc
        if status != "OK":
            raise ImapError("The server refused to list the messages.")
        found = b" ".join(item for item in data if isinstance(item, bytes)).split()
        return sorted(uid for uid in (int(item) for item in found) if uid > last_uid)

    def fetch(self, uid: int) -> bytes:
        try:
            status, data = self.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(_describe(exc, f"UID {uid}")) from exc
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        raise ImapError(f"The server returned no content for UID {uid} ({status}).")


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _describe(exc: BaseException, where: str) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"Timed out talking to {where}."
    if isinstance(exc, ConnectionRefusedError):
        return f"Connection refused by {where}."
    if isinstance(exc, imaplib.IMAP4.error):
        text = str(exc).removeprefix("b'").removeprefix('b"').rstrip("'\"")
        return f"IMAP error ({where}): {text}"
    return f"{type(exc).__name__} ({where}): {exc}"
