"""Real mail servers on 127.0.0.1 for tests: an aiosmtpd SMTP server collecting what it receives
and a throw-away Dovecot IMAP instance (its own config, users and Maildir in a temp directory).

Use them through the pytest fixtures `smtp_server` and `imap_server`
(cyclecrm/integrations/tests/conftest.py).
"""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        # Line ends as received on the wire are CRLF; the parsed message uses "\n".
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw.replace(b"\r\n", b"\n"))
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    received: list[ReceivedMail] = field(default_factory=list)
    refuse_with: str = ""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.received.append(
            ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(raw))
        )
        return "250 Message accepted for delivery"


class SmtpTestServer:
    """An SMTP server in a thread. `refuse("550 ...")` makes it reject every recipient."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.host = HOST
        self._controller = Controller(self.handler, hostname=HOST, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def refuse(self, reply: str) -> None:
        self.handler.refuse_with = reply


_DOVECOT_CONF = """\
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
instance_name = cyclecrm-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if os.access(path, os.X_OK)), None
    )


class ImapTestServer:
    """A Dovecot instance with one user (`crm` / `secret`). Run as root (CI containers), the
    login and mail processes switch to Debian's `dovenull`/`dovecot` users, as Dovecot refuses
    to handle mail as root; as any other user everything runs as that user."""

    username = "crm"
    password = "secret"

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.host = HOST
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="cyclecrm-imap-"))
        self._process: subprocess.Popen[bytes] | None = None

    def _identities(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid())
            return {
                "login_user": me.pw_name,
                "internal_user": me.pw_name,
                "uid": me.pw_uid,
                "gid": me.pw_gid,
            }
        mail = pwd.getpwnam("dovecot")
        return {
            "login_user": "dovenull",
            "internal_user": "dovecot",
            "uid": mail.pw_uid,
            "gid": mail.pw_gid,
        }

    def start(self) -> None:
        ids = self._identities()
        self.root.chmod(0o755)
        for name in ("mail", "home"):
            (self.root / name).mkdir()
            os.chown(self.root / name, ids["uid"], ids["gid"])
        (self.root / "passwd").write_text(f"{self.username}:{{PLAIN}}{self.password}\n")
        conf = self.root / "dovecot.conf"
        conf.write_text(_DOVECOT_CONF.format(host=HOST, port=self.port, root=self.root, **ids))
        self._process = subprocess.Popen(
            [self.binary, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with self.connect():
                    return
            except (OSError, imaplib.IMAP4.error):
                if self._process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Dovecot did not start; see {self.root / 'dovecot.log'}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.username, self.password)
        return client

    def deliver(self, raw: bytes | EmailMessage, folder: str = "INBOX") -> None:
        """Put a message into `folder` (IMAP APPEND, creating the folder when missing)."""
        data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
        with self.connect() as client:
            client.create(folder)
            status, _ = client.append(folder, None, None, data)
            assert status == "OK", status

    def recreate_folder(self, folder: str) -> None:
        """Delete and re-create `folder`: it comes back empty with a new UIDVALIDITY."""
        with self.connect() as client:
            client.delete(folder)
            client.create(folder)
