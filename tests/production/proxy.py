"""A small TLS-terminating reverse proxy, as the production one in front of gunicorn.

It serves HTTPS on 127.0.0.1, forwards every request to the upstream over plain HTTP and passes status,
headers (each Set-Cookie), redirects and bodies back untouched. Like nginx with
`proxy_set_header X-Forwarded-For $remote_addr`, it sets X-Forwarded-For from the connection's real peer
address and X-Forwarded-Proto to https, replacing whatever the client sent in those headers. Every forwarded
request is recorded (peer, method, path, status) for the test's assertions.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Headers that describe one connection, not the message: never forwarded (RFC 9110, section 7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
# Set by the proxy alone: a client cannot choose the address the app sees.
OWN_HEADERS = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-real-ip", "forwarded"}
UPSTREAM_TIMEOUT = 60.0


@dataclass(frozen=True)
class Forwarded:
    """One request the proxy passed on, and what the upstream answered (502: it did not answer)."""

    peer: str
    method: str
    path: str
    status: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as browsers expect
    timeout = 30  # an idle client connection is closed after this many seconds

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        dropped = HOP_BY_HOP | OWN_HEADERS | {"content-length"}  # the length is set again for the body read
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in dropped]
        headers += [("X-Forwarded-For", self.client_address[0]), ("X-Forwarded-Proto", "https")]
        status, reason, answer, content = self._upstream(headers, body)
        self.server.record(Forwarded(self.client_address[0], self.command, self.path, status))
        self.send_response_only(status, reason)
        for name, value in answer:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _upstream(self, headers, body) -> tuple[int, str, list, bytes]:
        host, port = self.server.upstream
        conn = http.client.HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        except OSError as exc:
            return 502, "Bad Gateway", [("Content-Type", "text/plain")], f"upstream: {exc}".encode()
        finally:
            conn.close()

    do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _forward

    def log_message(self, format, *args) -> None:  # noqa: A002  (the base class's signature)
        """Quiet: the record of forwarded requests is the log."""


class TLSProxy(ThreadingHTTPServer):
    """`TLSProxy(upstream_port, cert, key).start()`; `base_url` is https://127.0.0.1:PORT."""

    daemon_threads = True

    def __init__(self, upstream_port: int, certificate: Path, key: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = ("127.0.0.1", upstream_port)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(certificate, key)
        self.forwarded: list[Forwarded] = []
        self.client_errors = 0  # connections that broke before a request was answered (TLS refused, reset)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="tls-proxy", daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_port}"

    def start(self) -> TLSProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(10)

    def record(self, entry: Forwarded) -> None:
        with self._lock:
            self.forwarded.append(entry)

    def get_request(self):
        """Accept, and leave the TLS handshake to the handler's thread (OpenSSL does it on the first read)."""
        sock, address = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up or refuses the certificate is counted, not printed."""
        with self._lock:
            self.client_errors += 1
