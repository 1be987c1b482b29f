"""A real SMTP server on loopback whose answers a test controls: refuse an address for good
(550), refuse the next messages for now (451), or hold one message until the test lets go."""

import asyncio
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


class ControlledSMTP:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.refused: set[str] = set()
        self.refuse_next = 0  # messages to answer with 451 before accepting again
        self.hold_message: int | None = None  # the n-th message (1-based) waits for `release`
        self.holding = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        if self._controller is not None:
            self._controller.stop()

    def go_down(self) -> None:
        """Stop listening: connections are refused, as from a relay that is down."""
        self._controller.stop()
        self._controller = None

    def come_back(self) -> None:
        """Listen again on the same port (a stopped controller cannot be started again)."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self._lock:
            refuse = self.refuse_next > 0
            self.refuse_next -= refuse
            hold = self.hold_message == len(self.messages) + 1
        if refuse:
            return "451 4.3.0 Try again later"
        if hold:
            self.hold_message = None
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            # The sender died while we held it: the message was never accepted.
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def count_to(self, address: str) -> int:
        with self._lock:
            return self.recipients.count(address)
