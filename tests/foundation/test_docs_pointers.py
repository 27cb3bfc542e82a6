"""The project explains itself: code cites the docs in this repository, and every pointer into them resolves.

Comments and docstrings must not cite documents outside the repository (a "CHATURBATE.md", its "§N"
sections) or issue numbers ("issue 7", "#12"), which a maintainer cannot look up. They point at
docs/domain.md, docs/architecture.md, docs/reliability.md or docs/production.md instead, either as
`docs/<file>.md#<anchor>` (the GitHub slug of a heading) or as `docs/<file>.md, "Heading"`; both must name
a file and a heading that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Where citations of outside documents and issue numbers are refused.
CODE = ("mhc", "migrations", "config.py", "worker.py", "wsgi.py", "bench", "scripts")
# Where pointers into docs/ are looked for (and must resolve).
POINTER_SOURCES = (*CODE, "tests", "deploy", "docs", "README.md")
TEXT_SUFFIXES = {".py", ".sh", ".html", ".js", ".css", ".ini", ".mako", ".md", ".service", ".example", ".toml"}
SKIP_DIRS = {"__pycache__", "fixtures", ".venv", "node_modules"}
THIS = Path(__file__).resolve()  # its own examples of citations and pointers are not the code's

CITATIONS = (
    ("an outside document", re.compile(r"CHATURBATE\.md")),
    ("a § section", re.compile(r"§")),
    ("an issue number", re.compile(r"\b[Ii]ssues?\s+#?\d+")),
    # "#12" as a reference; not a colour (#000;), an HTML entity (&#34;) or part of a word or path.
    ("an issue number", re.compile(r"(?<![\w&#\"'/=-])#\d+\b(?![\w;-])")),
)
ANCHOR_POINTER = re.compile(r"docs/([\w-]+\.md)#([\w-]+)")
HEADING_POINTER = re.compile(r"docs/([\w-]+\.md)(?:[,\s(]|section)*\"([^\"\n]+)\"")
LOCAL_LINK = re.compile(r"\]\(#([\w-]+)\)")
# A path in the repository named by a document: `mhc/services/persons.py`, `deploy/mhc-web.service`.
REPO_PATH = re.compile(r"(?<![\w/.-])((?:mhc|tests|bench|scripts|deploy|migrations|docs)/[\w./@-]*\w)")


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def headings(markdown: str) -> list[str]:
    """The text of every heading of a Markdown document, outside code fences."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)):
            found.append(match.group(1))
    return found


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2 ... as on GitHub."""
    seen: dict[str, int] = {}
    out = set()
    for heading in headings(markdown):
        base = slug(heading)
        out.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return out


def citations(text: str) -> list[str]:
    """What in this text cites an outside document or an issue number."""
    return [f"{what}: {m.group(0)!r}" for what, pattern in CITATIONS for m in pattern.finditer(text)]


def text_files(*names: str):
    for name in names:
        path = ROOT / name
        paths = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in paths:
            if file.is_file() and file.suffix in TEXT_SUFFIXES and not SKIP_DIRS & set(file.parts) and file != THIS:
                yield file


def doc_anchors() -> dict[str, set[str]]:
    return {doc.name: anchors(doc.read_text(encoding="utf-8")) for doc in DOCS.glob("*.md")}


def doc_headings() -> dict[str, set[str]]:
    return {doc.name: set(headings(doc.read_text(encoding="utf-8"))) for doc in DOCS.glob("*.md")}


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Follow lists: removals must be proven", "follow-lists-removals-must-be-proven"),
        ("Long-poll and the nextUrl cursor", "long-poll-and-the-nexturl-cursor"),
        ("SQLite: writers wait", "sqlite-writers-wait"),
        ("Admin → Follow lists", "admin--follow-lists"),
        ("`flask follows import`", "flask-follows-import"),
    ],
)
def test_slug_is_githubs(heading, expected):
    assert slug(heading) == expected


def test_repeated_headings_get_numbered_anchors():
    text = "# Top\n## Pitfalls\n```\n# not a heading\n```\n## Pitfalls\n"
    assert anchors(text) == {"top", "pitfalls", "pitfalls-1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("placeholder (CHATURBATE.md §2)", ["an outside document: 'CHATURBATE.md'", "a § section: '§'"]),
        ("Definitions (issue 5), for", ["an issue number: 'issue 5'"]),
        ("thumbnails (issues 6 and 7)", ["an issue number: 'issues 6'"]),
        ("fixed in #12.", ["an issue number: '#12'"]),
        ('dark="#000", light="#fff"', []),
        ("color: #000; border: #1e7e34;", []),
        ("raise RuntimeError(&#34;x&#34;)", []),
        ('f"room #{rank} has no username"', []),
        ("docs/domain.md#placeholder-images", []),
    ],
)
def test_citations_are_recognised(text, expected):
    assert citations(text) == expected


def test_code_cites_no_outside_document_and_no_issue_number():
    found = [
        f"{file.relative_to(ROOT)}:{number}: {hit}"
        for file in text_files(*CODE)
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1)
        for hit in citations(line)
    ]
    assert found == []


def test_every_anchor_pointer_resolves():
    known = doc_anchors()
    broken, pointers = [], 0
    for file in text_files(*POINTER_SOURCES):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            for doc, anchor in ANCHOR_POINTER.findall(line):
                pointers += 1
                if anchor not in known.get(doc, ()):
                    broken.append(f"{file.relative_to(ROOT)}:{number}: docs/{doc}#{anchor}")
    assert broken == []
    assert pointers >= 10  # the code does point into the docs: a pattern that matches nothing proves nothing


def test_every_quoted_heading_pointer_resolves():
    known = doc_headings()
    broken = [
        f"{file.relative_to(ROOT)}:{number}: docs/{doc}, {heading!r}"
        for file in text_files(*POINTER_SOURCES)
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1)
        for doc, heading in HEADING_POINTER.findall(line)
        if heading not in known.get(doc, ())
    ]
    assert broken == []


def test_links_inside_the_docs_resolve():
    known = doc_anchors()
    broken = [
        f"docs/{doc.name}: #{anchor}"
        for doc in DOCS.glob("*.md")
        for anchor in LOCAL_LINK.findall(doc.read_text(encoding="utf-8"))
        if anchor not in known[doc.name]
    ]
    assert broken == []


def test_the_docs_name_files_that_exist():
    named = {
        (doc.relative_to(ROOT).as_posix(), path)
        for doc in [*DOCS.glob("*.md"), ROOT / "README.md"]
        for path in REPO_PATH.findall(doc.read_text(encoding="utf-8"))
    }
    assert len(named) >= 20
    assert sorted(f"{doc}: {path}" for doc, path in named if not (ROOT / path).exists()) == []
