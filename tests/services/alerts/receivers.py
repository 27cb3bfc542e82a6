"""Local receivers for alert tests: a webhook (threaded http.server) and an SMTP server (aiosmtpd), both on
127.0.0.1 at a free port, recording exactly what they were sent."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebhookReceiver:
    """JSON posts (Apprise's json:// form: title, message) kept in order; `url` is the Apprise URL."""

    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port, self.delay = port or free_port(), delay  # delay: seconds between reading and answering
        self.messages: list[dict] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook/s3cr3t-token-value"

    def start(self) -> WebhookReceiver:
        received, delay = self.messages, self.delay

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                time.sleep(delay)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def titles(self) -> list[str]:
        return [m.get("title") for m in self.messages]


class _Keep:
    def __init__(self, messages: list):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


class SmtpReceiver:
    """Mail received by a local SMTP server without TLS; `url` is the Apprise mailto:// URL for it."""

    def __init__(self):
        self.port = free_port()
        self.messages: list = []
        self.controller = Controller(_Keep(self.messages), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return (
            f"mailto://127.0.0.1:{self.port}?mode=insecure&from=alerts@example.test&to=owner@example.test"
            "&smtp=127.0.0.1"
        )

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]

    def body(self, index: int) -> str:
        part = self.messages[index].get_body(("plain",))
        return part.get_content().replace("\r\n", "\n")
