"""No test names a fixed data folder: data is found relative to the checkout (tests/conftest.py ``SHARED``).

A path such as ``/work/shared/...`` holds on one machine only; elsewhere the tests that use it skip, and a
run that checks nothing looks green. This scan names each such literal by file and line."""
from __future__ import annotations

import re
import tokenize
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# roots where a machine keeps its own folders; /tmp (test output) and /usr/bin (Chromium) are not data
ABSOLUTE = re.compile(r"^/(?:work|home|data|mnt|opt|srv|Users|root|media)(?:/|$)")


def absolute_paths(path: Path) -> list[str]:
    """``file:line: literal`` for every string literal in ``path`` that starts with a machine's folder.

    Read with the tokenizer, not ``ast``: CPython 3.11's ``ast.parse`` can fail with "AST constructor recursion
    depth mismatch" in a worker where another test has hit a RecursionError."""
    out = []
    with path.open("rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type != tokenize.STRING:
                continue
            body = tok.string.lstrip("rbfuRBFU")
            quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
            text = body[len(quote):-len(quote)] if len(body) >= 2 * len(quote) else ""
            if ABSOLUTE.match(text):
                out.append(f"{path}:{tok.start[0]}: {text!r}")
    return out


def test_tests_name_no_absolute_data_folders():
    found = [hit for path in sorted(TESTS.rglob("*.py")) for hit in absolute_paths(path)]
    assert not found, "absolute paths in tests (use tests.conftest.SHARED / AIS):\n" + "\n".join(found)


def test_scan_finds_absolute_literals_and_their_lines(tmp_path):
    src = tmp_path / "test_x.py"
    root = "/" + "work"  # assembled, so this file holds no such literal itself
    src.write_text(f'from pathlib import Path\n\nDATA = Path("{root}/shared/data/ais")\n'
                   'OUT = "/tmp/dkfi-map.png"\nURL = "/api/stats"\nF = f"/home/me/{1}"\n', encoding="utf-8")
    hits = absolute_paths(src)
    assert [h.split(": ", 1)[0] for h in hits] == [f"{src}:3", f"{src}:6"], hits
