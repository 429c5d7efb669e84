"""Shared scaffolding for the ``streamlit.testing.v1.AppTest`` page tests."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent

#: Element kinds whose text a reader sees.
TEXT_KINDS = ("info", "warning", "error", "success", "caption", "markdown", "title", "header",
              "subheader")


def run_page(path: str, timeout: float = 60, **params) -> AppTest:
    """Run a page (path relative to the repository) once with ``params`` in its URL."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def ok(at: AppTest) -> AppTest:
    """The page ran without an exception."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def seen(markdown: str) -> str:
    """What a reader sees of a Markdown element: its backslash escapes (which keep visitor
    text from acting as markup) are not part of the words.

    >>> seen(r"Rutland\\: \\[x\\]")
    'Rutland: [x]'
    """
    return re.sub(r"\\([^\w\s])", r"\1", str(markdown))


def texts(at: AppTest) -> str:
    """All the words a reader sees in notes, captions, markdown and headings."""
    return seen("\n".join(str(e.value) for kind in TEXT_KINDS for e in getattr(at, kind)))
