"""A fake Chaturbate on 127.0.0.1 (random port) for tests: logged-in pages, profile pages,
Affiliate API, Events API. Each area is a module with `register(fake)` that adds its routes
and the scenario knobs it reads from `fake.state`; `reset()` between tests restores defaults."""

from __future__ import annotations

import importlib
import threading
import time

from flask import Flask
from werkzeug.serving import make_server

# Modules under tests/fake_chaturbate/ that add routes; each defines register(fake) and defaults() -> dict.
AREAS = ("affiliate", "events", "profiles", "follow_pages")


class FakeChaturbate:
    """Serve the fake in a background thread; `base_url` is what CHATURBATE_BASE_URL etc. point at."""

    def __init__(self):
        self.app = Flask("fake_chaturbate")
        self.state: dict = {}
        self.requests: list[str] = []  # paths requested, in order, for assertions
        # (time.monotonic(), path, User-Agent header) of each request, in order
        self.request_log: list[tuple[float, str, str | None]] = []
        self._areas = [importlib.import_module(f"tests.fake_chaturbate.{name}") for name in AREAS]
        for area in self._areas:
            area.register(self)
        self.app.before_request(self._log_request)
        self.reset()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-chaturbate", daemon=True)

    def _log_request(self):
        from flask import request

        self.requests.append(request.full_path.rstrip("?"))
        self.request_log.append((time.monotonic(), request.path, request.headers.get("User-Agent")))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeChaturbate:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def reset(self) -> None:
        """Back to the default scenario of every area."""
        self.requests.clear()
        self.request_log.clear()
        self.state.clear()
        for area in self._areas:
            self.state.update(area.defaults())
