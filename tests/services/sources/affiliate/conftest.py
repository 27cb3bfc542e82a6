"""Fixtures for the poller tests: the app points at the fake feed."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(fake_cb_config):
    return {**fake_cb_config, "AFFILIATE_WM": "wm1"}
