"""The profile_scrape job's bookkeeping that needs no browser (the browser runs are in tests/e2e)."""

from __future__ import annotations

import uuid

import pytest

from mhc.extensions import db
from mhc.jobs.profile_jobs import _targets, enqueue_profile_scrape
from mhc.models import JobRun
from tests.factories import make_person


def test_targets_keep_order_dedupe_skip_unknown_and_cap(app):
    a, b, c = (make_person(name, "UNKNOWN").id for name in ("a_user", "b_user", "c_user"))
    unknown = uuid.uuid4()
    ids = [str(b), str(a), str(b), str(unknown), str(c)]
    assert _targets(ids, cap=3) == ([(b, "b_user"), (a, "a_user")], 1)
    assert _targets(ids, cap=10) == ([(b, "b_user"), (a, "a_user"), (c, "c_user")], 0)


def test_enqueue_needs_persons(app):
    with pytest.raises(ValueError, match="no persons to scrape"):
        enqueue_profile_scrape([])
    assert db.session.query(JobRun).count() == 0
