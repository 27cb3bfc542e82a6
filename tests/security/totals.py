"""The route fuzz test's totals, printed at the end of the run (requests sent and 5xx answers per backend).

The hooks are wired in tests/conftest.py: under pytest-xdist the main process never loads this folder's
conftest, so a hook defined here would not run where the summary is printed."""

from __future__ import annotations

# (backend, family) -> (requests sent, answered 5xx, seconds); filled by test_fuzz_routes, in this process or,
# under pytest-xdist, from the user property its reports carry back from the worker processes.
FUZZ_TOTALS: dict[tuple[str, str], tuple[int, int, float]] = {}
FUZZ_PROPERTY = "hostile_input_totals"


def collect(report) -> None:
    """Take the totals a fuzz test's report carries (its user property)."""
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == FUZZ_PROPERTY:
            backend, family, sent, failed, seconds = value
            FUZZ_TOTALS[(backend, family)] = (sent, failed, seconds)


def summarise(terminalreporter) -> None:
    """Write the totals per backend and family."""
    if not FUZZ_TOTALS:
        return
    terminalreporter.section("hostile input")
    for backend in sorted({b for b, _ in FUZZ_TOTALS}):
        rows = {f: v for (b, f), v in FUZZ_TOTALS.items() if b == backend}
        for family, (sent, failed, seconds) in sorted(rows.items()):
            terminalreporter.write_line(f"{backend} {family}: {sent} requests, {failed} answered 5xx ({seconds:.1f} s)")
        sent, failed = sum(v[0] for v in rows.values()), sum(v[1] for v in rows.values())
        terminalreporter.write_line(f"{backend} total: {sent} hostile requests, {failed} answered 5xx")
