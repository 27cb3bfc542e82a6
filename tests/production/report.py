"""What the rehearsal measured: seconds per step and named numbers, printed (visible with -s) and kept as JSON."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path


class Report:
    """Collects `steps` (seconds, outcome) and `numbers`; `write()` saves rehearsal.json and prints a summary."""

    def __init__(self, folder: Path):
        self.path = folder / "rehearsal.json"
        self.steps: dict[str, dict] = {}
        self.numbers: dict[str, object] = {}

    @contextmanager
    def step(self, name: str):
        """Time a step; its outcome is "passed" unless the block raised."""
        started = time.monotonic()
        entry = self.steps[name] = {"seconds": None, "outcome": "failed"}
        try:
            yield
            entry["outcome"] = "passed"
        finally:
            entry["seconds"] = round(time.monotonic() - started, 2)

    @contextmanager
    def timed(self, name: str):
        """Record how long the block took as the number `name` (seconds)."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.numbers[name] = round(time.monotonic() - started, 2)

    def note(self, **numbers) -> None:
        """Record named measurements."""
        self.numbers.update(numbers)

    def write(self) -> str:
        """Save the JSON file and return the printed summary."""
        self.path.write_text(json.dumps({"steps": self.steps, "numbers": self.numbers}, indent=2, default=str))
        lines = ["", "== production rehearsal"]
        lines += [f"  {name:<48} {s['outcome']:<7} {s['seconds']:>7.2f} s" for name, s in self.steps.items()]
        lines += [f"  {key:<48} {value}" for key, value in self.numbers.items()]
        lines.append(f"  (saved to {self.path})")
        summary = "\n".join(lines)
        print(summary)
        return summary
