"""Custom Flask-Admin filters for the Users lists: parse the URL value; the SQL conditions themselves live in
mhc/services/users/conditions.py. Each filter's `condition(value)` is what the list service applies."""

from __future__ import annotations

import re

from flask_admin.contrib.sqla.filters import BaseSQLAFilter

from mhc.models import Person, Profile
from mhc.services.users import conditions

AGE_RANGE_RE = re.compile(r"^\s*(\d{1,3})?\s*-\s*(\d{1,3})?\s*$|^\s*(\d{1,3})\s*$")
WINDOWS = {"7": 7, "30": 30, "90": 90}


class ConditionFilter(BaseSQLAFilter):
    """A filter whose SQL is one condition on the list's query (`condition(cleaned value)`)."""

    def condition(self, value):
        raise NotImplementedError

    def apply(self, query, value, alias=None):
        return query.filter(self.condition(value))


class FilterRole(ConditionFilter):
    """All | Models | Viewers toggle (BOTH counts as both); no filter means All."""

    def __init__(self, name: str = "Show"):
        super().__init__(Person.role, name, options=(("models", "Models"), ("viewers", "Viewers")))

    def validate(self, value) -> bool:
        return value in ("models", "viewers")

    def condition(self, value):
        return conditions.role_condition(value)

    def operation(self):
        return "is"


class FilterExcluded(ConditionFilter):
    """Noise accounts flagged "excluded from aggregates" (yes), or everyone else (no)."""

    def __init__(self, name: str = "Excluded"):
        super().__init__(Person.is_excluded, name, options=(("yes", "Yes"), ("no", "No")))

    def validate(self, value) -> bool:
        return value in ("yes", "no")

    def condition(self, value):
        return conditions.excluded_condition(value == "yes")

    def operation(self):
        return "is"


class FilterAgeRange(ConditionFilter):
    """Age between two bounds: "20-30", "25-" (at least), "-30" (at most) or "25" (exactly)."""

    def __init__(self, name: str = "Age"):
        super().__init__(Person.age, name)

    def clean(self, value):
        match = AGE_RANGE_RE.match(value or "")
        if not match or not any(match.groups()):
            raise ValueError(f"not an age range: {value!r}")
        if match.group(3):
            return int(match.group(3)), int(match.group(3))
        low, high = (int(g) if g else None for g in match.groups()[:2])
        return low, high

    def condition(self, value):
        low, high = value
        return conditions.age_range_condition(low, high)

    def operation(self):
        return "between"


class FilterTag(ConditionFilter):
    """The profile carries this tag."""

    def __init__(self, name: str = "Tag"):
        super().__init__(Profile.tags, name)

    def clean(self, value):
        tag = (value or "").strip().lstrip("#").lower()
        if not tag or len(tag) > 64:
            raise ValueError("empty tag")
        return tag

    def condition(self, value):
        return conditions.tag_condition(value)

    def operation(self):
        return "is"


class FilterUnfollowedWithin(ConditionFilter):
    """Unfollowed within the last 7, 30 or 90 days; no filter means any time."""

    def __init__(self, name: str = "Window"):
        super().__init__(Profile.unfollower_at, name, options=(("7", "7d"), ("30", "30d"), ("90", "90d")))

    def validate(self, value) -> bool:
        return value in WINDOWS

    def clean(self, value):
        return WINDOWS[value]

    def condition(self, value):
        return conditions.unfollowed_within_condition(value)

    def operation(self):
        return "last"


class FilterPayingFans(ConditionFilter):
    """Paying fans only: persons who tipped in the owner's room at least once; no filter means everyone."""

    def __init__(self, name: str = "Paying fans"):
        super().__init__(Person.tips_count, name, options=(("yes", "Paying fans only"),))

    def validate(self, value) -> bool:
        return value == "yes"

    def condition(self, value):
        return conditions.paying_fan_condition()

    def operation(self):
        return "only"
