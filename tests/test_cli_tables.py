"""CLI tables are readable at 80 columns (issue 10 point 18): times, ids and MMSIs are printed whole and no text is
cut short with "…"; every command makes its tables with the one factory, :mod:`dkfi.cli.console`."""
from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from rich.console import Console
from typer.testing import CliRunner

from dkfi.cli.console import table, when
from tests.conftest import AIS, make_user, need_shared

SRC = Path(__file__).resolve().parents[1] / "src" / "dkfi"
DRIFT = AIS / "labelled" / "dma_aisabnormal" / "538004030_drift_1.ais"
TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _render(t, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(t)
    return console.export_text()


def test_replay_and_stored_alerts_show_whole_times_at_80_columns(tmp_path, monkeypatch):
    """The report: `dkfi watch replay` cut start times and summaries at 80 columns; `dkfi watch alerts` too."""
    need_shared(DRIFT)
    from dkfi.cli.main import app
    from dkfi.core.config import get_settings

    url = f"sqlite:///{tmp_path / 'node.sqlite'}"
    monkeypatch.setenv("DKFI_DATABASE_URL", url)
    get_settings.cache_clear()
    make_user(url, "anna")
    runner = CliRunner()
    res = runner.invoke(app, ["watch", "replay", str(DRIFT), "--save"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines and max(len(line.rstrip()) for line in lines) <= 80, res.stdout
    assert "…" not in res.stdout
    starts = TIME.findall(res.stdout)
    assert starts and all(s.startswith("2014-09-28 ") for s in starts), res.stdout
    assert "538004030" in res.stdout and "for 9 min" in res.stdout.replace("\n", " ")   # the summary's end

    res = runner.invoke(app, ["watch", "alerts"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "…" not in res.stdout and max(len(line.rstrip()) for line in res.stdout.splitlines()) <= 80
    assert TIME.search(res.stdout) and "538004030" in res.stdout, res.stdout


def test_a_table_that_fits_stays_a_table_and_keeps_its_columns_whole():
    t = table("id", "start UTC", "summary", keep=("id", "start UTC"), right=("id",))
    t.add_row("12", when(1411923004.5), "a sentence " * 12)
    text = _render(t, 80)
    assert "2014-09-28 16:50:04" in text and "…" not in text
    assert text.splitlines()[0].split() == ["id", "start", "UTC", "summary"]       # one header line: a table
    assert sum(1 for line in text.splitlines() if "2014-09-28 16:50:04" in line) == 1


def test_a_table_too_wide_for_80_columns_prints_one_record_per_row():
    t = table("start UTC", "kind", "mmsi", "asset", "severity", "score", "summary",
              keep=("start UTC", "kind", "mmsi", "severity", "score"))
    t.add_row(when(1411923004), "sudden_speed_change", "538004030", "Estlink 2 (EE-FI)", "critical", "100",
              "FRIO (538004030): drift, sudden speed change at Estlink 2 (EE-FI), 2014-09-28T16:50:04Z for 9 min")
    text = _render(t, 80)
    assert "start UTC  2014-09-28 16:50:04" in text and "kind       sudden_speed_change" in text
    assert "…" not in text and "2014-09-28T16:50:04Z" in text
    wide = _render(t, 200)      # the same table on a wide terminal is a table
    assert wide.splitlines()[0].split()[:3] == ["start", "UTC", "kind"]


def test_unknown_keep_column_is_refused():
    with pytest.raises(ValueError, match="nope"):
        table("a", "b", keep=("nope",))


_cell = st.text(alphabet=st.sampled_from("abcdefghij0123456789-:_ ().,"), min_size=0, max_size=70)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(_cell, min_size=4, max_size=4), min_size=1, max_size=4),
       keep=st.sets(st.sampled_from(["a", "b", "c", "d"])), width=st.integers(min_value=30, max_value=160))
def test_no_text_is_lost_at_any_width(rows, keep, width):
    """Whatever the contents and the width: no ellipsis, no line wider than the console, every character of every
    cell printed, and kept cells whole on one line whenever they fit it."""
    t = table("a", "b", "c", "d", keep=keep)
    for r in rows:
        t.add_row(*r)
    text = _render(t, width)
    assert "…" not in text
    assert all(len(line) <= width for line in text.splitlines())
    printed = Counter(text.replace(" ", "").replace("\n", ""))
    wanted = Counter("".join(c for r in rows for c in r).replace(" ", "") + "abcd")
    assert not wanted - printed, (wanted - printed, text)
    for r in rows:
        for h, cell in zip("abcd", r):
            if h in keep and cell.strip() and len(cell) <= width - 5 and " " not in cell.strip():
                assert cell.strip() in text, (cell, text)


def test_every_cli_table_is_made_by_the_factory():
    """A CLI that builds a rich Table itself is back to Rich's cutting defaults: use dkfi.cli.console.table."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "cli" / "console.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"(?<![\w.])Table\(|Table\.grid\(", text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == [], offenders


def test_times_in_tables_are_utc_to_the_second_whatever_they_come_as():
    from datetime import datetime, timedelta, timezone

    aware = datetime(2014, 9, 28, 18, 29, 54, 317000, tzinfo=timezone(timedelta(hours=2)))
    assert when(aware) == "2014-09-28 16:29:54"
    assert when(datetime(2014, 9, 28, 16, 29, 54)) == "2014-09-28 16:29:54"        # naive: UTC (SQLite)
    assert when(1411921794.9) == "2014-09-28 16:29:54"
    assert when("2014-09-28T16:29:54.317000") == when("2014-09-28T16:29:54Z") == "2014-09-28 16:29:54"
    assert when(None) == when("") == ""
