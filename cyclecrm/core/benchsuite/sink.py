"""An SMTP sink for the campaign measurement: a real aiosmtpd server on 127.0.0.1 that accepts
every message and only counts (it keeps no message, so a large campaign costs it no memory)."""

import threading
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from cyclecrm.core.testing.mailservers import HOST, free_port


class _CountingHandler:
    def __init__(self) -> None:
        self.messages = 0
        self.recipients: set[str] = set()
        self.last_at: float | None = None
        self.changed = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.changed:
            self.messages += 1
            self.recipients.update(address.lower() for address in envelope.rcpt_tos)
            self.last_at = time.time()
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class CountingSmtpSink:
    """`messages` accepted, distinct `recipients`, and `last_at` (epoch seconds) of the last."""

    def __init__(self) -> None:
        self.host, self.port = HOST, free_port()
        self._handler = _CountingHandler()
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> int:
        return self._handler.messages

    @property
    def recipients(self) -> int:
        return len(self._handler.recipients)

    @property
    def last_at(self) -> float | None:
        return self._handler.last_at

    def wait_for(self, messages: int, timeout: float) -> int:
        """Block until `messages` were accepted or `timeout` seconds passed without a new one
        (a stalled sender); returns the distinct recipients reached."""
        handler: Any = self._handler
        with handler.changed:
            while handler.messages < messages:
                seen = handler.messages
                handler.changed.wait(timeout)
                if handler.messages == seen:
                    break
        return self.recipients
