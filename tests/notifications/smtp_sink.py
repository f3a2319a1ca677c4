"""A local SMTP server that records what it accepts (for tests and bench/fanout.py).

It behaves like Postfix or Exim at the one moment the outbox relies on: a message is accepted
once its terminating "<CRLF>.<CRLF>" has been received, even if the client disconnects before
reading the "250" reply (the RFC 1047 duplicate-message window). Stock aiosmtpd instead cancels
its handler as soon as it sees the client's FIN, dropping a complete message still in its read
buffer, which would make a client killed while awaiting the reply look like a lost e-mail.
"""

import asyncio
import logging
import socket
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], bytes]] = []
        # A reply such as "451 Try again later" makes the sink refuse every MAIL FROM.
        self.mail_reply: str | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Parsed when read (`SmtpSink.messages`): at hundreds of messages a second, parsing
        # here would make the sink, not the sender, the bottleneck of bench/fanout.py.
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"


class _MtaLikeSMTP(SMTP):
    def eof_received(self):
        # Let the handler finish reading what arrived before the FIN (see the module docstring).
        asyncio.StreamReaderProtocol.eof_received(self)
        return True

    async def handle_exception(self, error):
        if isinstance(error, asyncio.IncompleteReadError) and self.transport is not None:
            self.transport.close()  # the client is gone and everything it sent has been read
            return "421 Closing"
        return await super().handle_exception(error)


class _Controller(Controller):
    def factory(self):
        return _MtaLikeSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    def __init__(self, port: int | None = None):
        # aiosmtpd logs every command at INFO; at thousands of messages that is the bottleneck.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.port = port or free_port()
        self.handler = _Handler()
        self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[tuple[list[str], Message]]:
        with self.handler.lock:
            received = list(self.handler.messages)
        return [(rcpts, message_from_bytes(raw)) for rcpts, raw in received]

    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.messages)

    def refuse_mail(self, reply: str | None) -> None:
        """Answer every MAIL FROM with `reply` (None: accept again)."""
        self.handler.mail_reply = reply

    def recipients(self) -> list[str]:
        with self.handler.lock:
            return [rcpt for rcpts, _ in self.handler.messages for rcpt in rcpts]
