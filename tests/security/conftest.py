"""The route fuzz test's totals, printed at the end of the run (requests sent and 5xx answers per backend)."""

from __future__ import annotations

# (backend, family) -> (requests sent, answered 5xx, seconds); filled by test_fuzz_routes, in this process or,
# under pytest-xdist, from the user property its reports carry back from the worker processes.
FUZZ_TOTALS: dict[tuple[str, str], tuple[int, int, float]] = {}
FUZZ_PROPERTY = "hostile_input_totals"


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == FUZZ_PROPERTY:
            backend, family, sent, failed, seconds = value
            FUZZ_TOTALS[(backend, family)] = (sent, failed, seconds)


def pytest_terminal_summary(terminalreporter):
    if not FUZZ_TOTALS:
        return
    terminalreporter.section("hostile input")
    for backend in sorted({b for b, _ in FUZZ_TOTALS}):
        rows = {f: v for (b, f), v in FUZZ_TOTALS.items() if b == backend}
        for family, (sent, failed, seconds) in sorted(rows.items()):
            terminalreporter.write_line(f"{backend} {family}: {sent} requests, {failed} answered 5xx ({seconds:.1f} s)")
        sent, failed = sum(v[0] for v in rows.values()), sum(v[1] for v in rows.values())
        terminalreporter.write_line(f"{backend} total: {sent} hostile requests, {failed} answered 5xx")
