"""The audit chain anchored outside its table (issue 10, point 12).

Deleting the newest entries and the head row, deleting everything, copying the new last seq and hash into the
head row, or rewriting the chain from some entry on all verified "intact" while the table was the only witness.
Each committed head is now also a line of an append-only anchor file, and ``dkfi audit verify`` compares the
table with it. The label columns ``label_created`` and ``label_categories`` are part of each entry's hash.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import insert, select, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from dkfi.core import audit
from dkfi.core.db import get_engine, session_scope
from dkfi.core.models import AuditEntry, AuditHead


def _append(engine, i: int) -> None:
    with session_scope(engine) as s:
        audit.append(s.connection(), actor=f"user{i}", actor_nation="DNK", action="read", object_type="alert",
                     object_id=str(i), object_classification="RESTRICTED")


def _entries(engine, n: int = 6) -> None:
    for i in range(n):
        _append(engine, i)


def _sql(engine, sql: str, **params) -> None:
    with engine.begin() as c:
        c.execute(text(sql), params)


def _row(engine, seq: int) -> dict:
    with engine.connect() as c:
        return dict(c.execute(select(AuditEntry).where(AuditEntry.seq == seq)).mappings().one())


def _verify_cli(db_url, monkeypatch, *args: str):
    from dkfi.cli.main import app as cli
    from dkfi.core.config import get_settings

    monkeypatch.setenv("DKFI_DATABASE_URL", db_url)
    get_settings.cache_clear()
    return CliRunner().invoke(cli, ["audit", *args])


def _anchor(engine) -> Path:
    path = audit.anchor_path(engine.url)
    assert path is not None
    return path


def _messages(problems) -> str:
    return "\n".join(str(p) for p in problems)


# ---- the three reproductions of the issue --------------------------------------------------------------------

def test_deleting_the_newest_entries_and_the_head_row_is_reported(db_url, monkeypatch):
    engine = get_engine(db_url)
    _entries(engine)
    last = _row(engine, 6)["hash"]
    _sql(engine, "DELETE FROM audit_log WHERE seq > 4")
    _sql(engine, "DELETE FROM audit_head")
    n, problems = audit.verify(engine)
    assert n == 4 and problems
    tail = [p for p in problems if p.kind == "missing"]
    assert tail, _messages(problems)
    msg = str(tail[0])
    assert "ends at seq 4" in msg and "seq 6" in msg and last[:12] in msg and "5..6" in msg, msg
    res = _verify_cli(db_url, monkeypatch, "verify")
    assert res.exit_code == 1 and "TAMPERED" in res.output and "ends at seq 4" in res.output, res.output


def test_deleting_the_whole_log_is_reported(db_url, monkeypatch):
    engine = get_engine(db_url)
    _entries(engine)
    _sql(engine, "DELETE FROM audit_log")
    _sql(engine, "DELETE FROM audit_head")
    n, problems = audit.verify(engine)
    assert n == 0
    msg = _messages(problems)
    assert "the log is empty" in msg and "recorded seq 6" in msg, msg
    res = _verify_cli(db_url, monkeypatch, "verify")
    assert res.exit_code == 1 and "intact" not in res.output, res.output


def test_a_head_row_forged_to_match_a_cut_tail_is_reported(db_url):
    engine = get_engine(db_url)
    _entries(engine)
    four = _row(engine, 4)
    _sql(engine, "DELETE FROM audit_log WHERE seq > 4")
    _sql(engine, "UPDATE audit_head SET seq = :seq, hash = :hash", seq=4, hash=four["hash"])
    _, problems = audit.verify(engine)
    assert [p.kind for p in problems] == ["missing"], _messages(problems)   # the table alone agrees with itself
    assert "entries 5..6 were deleted from the end" in str(problems[0])


def test_a_chain_rewritten_from_an_entry_on_is_caught_by_the_anchor(db_url):
    """Someone who edits entry 3 and recomputes every hash after it (and the head) fools the chain, not the
    anchor: the anchored hashes no longer match."""
    engine = get_engine(db_url)
    _entries(engine)
    prev = _row(engine, 2)["hash"]
    for seq in range(3, 7):
        row = _row(engine, seq)
        row.update(prev_hash=prev, actor="someone else" if seq == 3 else row["actor"])
        h = audit.entry_hash(row)
        _sql(engine, "UPDATE audit_log SET actor = :actor, prev_hash = :prev, hash = :h WHERE seq = :seq",
             actor=row["actor"], prev=prev, h=h, seq=seq)
        prev = h
    _sql(engine, "UPDATE audit_head SET hash = :h", h=prev)
    _, problems = audit.verify(engine)
    assert problems and all(p.kind == "anchor" for p in problems), _messages(problems)
    assert {3, 4, 5, 6} == {p.seq for p in problems}
    assert "does not match the anchor" in str(problems[0])


# ---- what is hashed ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("column, value", [("label_categories", "Context:INFORMATIVE:forged"),
                                           ("label_created", datetime(2020, 1, 1, tzinfo=timezone.utc))])
def test_label_columns_are_part_of_the_hash(db_url, column, value):
    engine = get_engine(db_url)
    _entries(engine, 3)
    with engine.begin() as c:
        c.execute(AuditEntry.__table__.update().where(AuditEntry.seq == 2).values({column: value}))
    _, problems = audit.verify(engine)
    assert [(p.seq, p.kind) for p in problems] == [(2, "edited")], _messages(problems)


def test_entries_of_the_first_hash_scheme_still_verify_but_only_before_the_second(tmp_path):
    """A log written before the label columns were hashed keeps verifying; an entry hashed the old way after
    one hashed the new way is an edit (no downgrade)."""
    engine = get_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    prev = audit.GENESIS
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as c:
        for seq in (1, 2):
            fields = {"seq": seq, "at": at, "actor": "old", "actor_nation": "DNK", "action": "read",
                      "object_type": "alert", "object_id": str(seq), "object_classification": "RESTRICTED",
                      "decision": "allow", "remote": None, "detail": {}, "owner_nation": "DNK",
                      "classification": "RESTRICTED", "releasable_to": "DNK", "label_policy": "NATO",
                      "prev_hash": prev, "label_categories": "", "label_created": at}
            prev = audit.entry_hash(fields, version=1)
            c.execute(insert(AuditEntry).values(**fields, hash=prev))
        c.execute(AuditHead.__table__.update().values(seq=2, hash=prev))
    assert [p.kind for p in audit.verify(engine)[1]] == ["unanchored"]      # written before anchoring
    _entries(engine, 2)                                                      # the new scheme from seq 3 on
    assert audit.verify(engine) == (4, [])
    row = _row(engine, 4)                                                    # seq 4 rehashed the old way
    old = audit.entry_hash(row, version=1)
    _sql(engine, "UPDATE audit_log SET hash = :h WHERE seq = 4", h=old)
    _sql(engine, "UPDATE audit_head SET hash = :h", h=old)
    _, problems = audit.verify(engine)
    assert (4, "edited") in [(p.seq, p.kind) for p in problems], _messages(problems)


# ---- the anchor file -----------------------------------------------------------------------------------------

def test_anchor_lines_carry_seq_hash_time_and_a_mac_and_a_forged_line_is_named(db_url):
    engine = get_engine(db_url)
    _entries(engine, 3)
    path = _anchor(engine)
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    seq, h, at, mac = lines[-1].split(" ")
    assert (int(seq), h) == (3, _row(engine, 3)["hash"]) and datetime.fromisoformat(at) and len(mac) == 64
    # the line of seq 3 rewritten to a cut tail's head (seq 2): the MAC no longer matches
    two = _row(engine, 2)["hash"]
    path.write_text("\n".join(lines[:-1] + [f"2 {two} {at} {mac}"]) + "\n")
    _, problems = audit.verify(engine)
    assert any(p.kind == "anchor" and "line 3" in str(p) and "MAC" in str(p) for p in problems), \
        _messages(problems)


def test_a_deleted_anchor_is_reported_and_checkpoint_starts_a_new_one(db_url, monkeypatch):
    engine = get_engine(db_url)
    _entries(engine, 3)
    _anchor(engine).unlink()
    _, problems = audit.verify(engine)
    assert [p.kind for p in problems] == ["unanchored"] and "no anchor" in str(problems[0])
    res = _verify_cli(db_url, monkeypatch, "checkpoint")
    assert res.exit_code == 0 and "seq 3" in res.output, res.output
    assert audit.verify(engine) == (3, [])
    # a checkpoint is refused while the chain is broken (it would anchor the damage)
    _sql(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    res = _verify_cli(db_url, monkeypatch, "checkpoint")
    assert res.exit_code == 1 and "seq 2" in res.output, res.output


def test_rolled_back_and_failed_commits_are_not_anchored(db_url):
    engine = get_engine(db_url)
    _entries(engine, 2)
    with pytest.raises(RuntimeError):
        with session_scope(engine) as s:
            audit.append(s.connection(), actor="gone", actor_nation="DNK", action="read", object_type="alert",
                         object_id="x")
            raise RuntimeError("the route failed after the entry")
    with session_scope(engine) as s:                         # a savepoint rolled back inside a committed one
        with pytest.raises(RuntimeError), s.begin_nested():
            audit.append(s.connection(), actor="gone", actor_nation="DNK", action="read", object_type="alert",
                         object_id="y")
            raise RuntimeError("rolled back to the savepoint")
    failing = engine.dialect.do_commit

    def commit_fails(dbapi_conn):
        raise engine.dialect.loaded_dbapi.OperationalError("disk I/O error")

    engine.dialect.do_commit = commit_fails           # the database refuses the commit itself
    try:
        with pytest.raises(OperationalError):
            _append(engine, 99)
    finally:
        engine.dialect.do_commit = failing
    assert [ln.split(" ")[0] for ln in _anchor(engine).read_text().splitlines()] == ["1", "2"]
    _entries(engine, 2)
    assert audit.verify(engine) == (4, [])


def test_concurrent_writers_keep_log_and_anchor_in_agreement(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'busy.sqlite'}")

    def writer(k: int) -> None:
        for i in range(15):
            _append(engine, 100 * k + i)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert audit.verify(engine) == (45, [])
    assert {int(ln.split(" ")[0]) for ln in _anchor(engine).read_text().splitlines()} == set(range(1, 46))


def test_anchor_path_follows_the_database_and_the_setting(tmp_path, monkeypatch):
    from dkfi.core.config import get_settings

    assert audit.anchor_path(f"sqlite:///{tmp_path / 'a.sqlite'}") == tmp_path / "a.sqlite.audit-anchor"
    assert audit.anchor_path("sqlite://") is None and audit.anchor_path("sqlite:///:memory:") is None
    pg = audit.anchor_path("postgresql+psycopg://u:secret@db.example:5433/dkfi")
    assert pg == get_settings().data_dir / "postgresql-db.example-5433-dkfi.audit-anchor"
    assert "secret" not in str(pg)
    monkeypatch.setenv("DKFI_AUDIT_ANCHOR", str(tmp_path / "elsewhere" / "anchor.log"))
    get_settings.cache_clear()
    assert audit.anchor_path(f"sqlite:///{tmp_path / 'a.sqlite'}") == tmp_path / "elsewhere" / "anchor.log"


def test_a_test_database_anchors_inside_the_test_folder(engine, tmp_path):
    """Tests put their databases in tmp_path (SQLite) or name them per test (PostgreSQL, anchored in the test's
    data folder): no anchor lands in the checkout's var/."""
    _entries(engine, 1)
    path = _anchor(engine)
    assert path.exists() and path.resolve().is_relative_to(tmp_path.resolve())


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=st.integers(1, 2**63 - 1), h=st.text("0123456789abcdef", min_size=64, max_size=64),
       pos=st.integers(0, 10_000), ch=st.characters(codec="ascii", exclude_characters="\n"))
def test_every_change_to_an_anchor_line_is_refused(seq, h, pos, ch):
    key = b"k" * 32
    line = audit.format_checkpoint(seq, h, "2026-01-01T00:00:00.000000Z", key)
    cp = audit.parse_checkpoint(line, key, 1)
    assert (cp.seq, cp.hash) == (seq, h)
    pos %= len(line)
    changed = line[:pos] + ch + line[pos + 1:]
    if changed == line:
        return
    with pytest.raises(ValueError, match="line 7"):
        audit.parse_checkpoint(changed, key, 7)


def test_fsync_policy_is_a_setting(tmp_path, monkeypatch):
    from dkfi.core.config import get_settings

    calls = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    engine = get_engine(f"sqlite:///{tmp_path / 'f.sqlite'}")
    _append(engine, 1)
    assert calls == []
    monkeypatch.setenv("DKFI_AUDIT_ANCHOR_FSYNC", "true")
    get_settings.cache_clear()
    _append(engine, 2)
    assert calls
