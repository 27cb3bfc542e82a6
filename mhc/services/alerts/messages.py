"""The words of alert messages: one grouped message per rule and event batch (docs/alerts.md#grouping)."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN = 20  # names listed in a grouped message; the rest are counted


@dataclass(frozen=True)
class Named:
    """One person in a message and the number shown beside the name."""

    username: str
    amount: int | None


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 follower`, `3 followers`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def name_lines(people: list[Named], total: int, unit: str) -> list[str]:
    """`alice (1,200 tokens)` for the first SHOWN people, then `and N more`."""
    lines = [f"- {p.username} ({p.amount or 0:,} {unit})" for p in people[:SHOWN]]
    if total > len(lines):
        lines.append(f"and {total - len(lines):,} more")
    return lines


def person_message(kind: str, rule, people: list[Named], total: int) -> tuple[str, str]:
    """(title, body) of a follow or unfollow rule that matched `total` persons (the first ones in `people`)."""
    if kind == "tipper_unfollow":
        span = f"in the last {plural(rule.window_days, 'day')}" if rule.window_days else "in total"
        title = f"{plural(total, 'tipper')} unfollowed you"
        intro = f"{plural(total, 'follower')} who tipped at least {rule.min_tokens:,} tokens {span} unfollowed you:"
        lines = name_lines(people, total, "tokens" if not rule.window_days else f"tokens in {rule.window_days} d")
    elif kind == "any_unfollow":
        title = f"{plural(total, 'follower')} unfollowed you"
        intro = f"{plural(total, 'person', 'people')} stopped following you (tokens tipped in total):"
        lines = name_lines(people, total, "tokens")
    else:
        title = f"{plural(total, 'model')} with {rule.min_followers:,}+ followers followed you"
        intro = f"{plural(total, 'model')} with at least {rule.min_followers:,} followers started following you:"
        lines = name_lines(people, total, "followers")
    return title, "\n".join([intro, *lines, "", f"Rule: {rule.name}"])
