"""The one username rule every entry point uses: [a-z0-9_]+ after trimming and lowercasing, at most 64."""

import pytest

from mhc.models import normalise_username
from mhc.models.persons import MAX_USERNAME_LENGTH


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Alice_01", "alice_01"), ("  /bob/ ", "bob"), ("x" * MAX_USERNAME_LENGTH, "x" * MAX_USERNAME_LENGTH)],
)
def test_valid_usernames_are_normalised(raw, expected):
    assert normalise_username(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "a b", "<script>", "bob\x00", "名前", "x" * (MAX_USERNAME_LENGTH + 1), "y" * 10_000]
)
def test_invalid_usernames_are_refused(raw):
    with pytest.raises(ValueError, match="not a Chaturbate username"):
        normalise_username(raw)


def test_the_refusal_of_a_huge_name_does_not_repeat_it():
    with pytest.raises(ValueError) as caught:
        normalise_username("z" * 10_000)
    assert len(str(caught.value)) < 100
