"""Fixtures for the events tests: a second fake server on another port, standing for a foreign host."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _other_server():
    from tests.fake_chaturbate import FakeChaturbate

    server = FakeChaturbate().start()
    yield server
    server.stop()


@pytest.fixture
def other_host(_other_server):
    """Another host on 127.0.0.1 (a different port); its `requests` list shows whether anyone called it."""
    _other_server.reset()
    return _other_server
