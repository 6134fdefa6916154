"""The node's log (dkfi.core.logs): JSON lines on stdout for a collector, text on a terminal, credentials
redacted in both; a real `dkfi serve` writes only JSON lines when its stdout is not a terminal."""
from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from dkfi.core import logs

ROOT = Path(__file__).resolve().parents[2]
DKFI = Path(sys.executable).with_name("dkfi")
FIELDS = {"time", "level", "logger", "message"}


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging():
    """What the tests' dictConfig replaces (the root's and uvicorn's handlers, levels, propagation) comes back."""
    names = ("", *logs.UVICORN_LOGGERS, "dkfi.test")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate)
             for n in names}
    yield
    for n, (handlers, level, propagate) in saved.items():
        lg = logging.getLogger(n)
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


def _configure(fmt: str, stream, level: str = "info") -> None:
    import logging.config

    logging.config.dictConfig(logs.logging_config(fmt, level, stream))


def _lines(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message_and_extra_fields(restore_logging):
    buf = io.StringIO()
    _configure("json", buf)
    log = logging.getLogger("dkfi.test")
    log.info("watch list: %d stored entries", 3, extra={"feed": "tcp", "records": 12})
    log.debug("below the level: not written")
    logging.getLogger("uvicorn.error").warning("uvicorn's own logger reaches the same handler")
    first, second = _lines(buf)
    assert FIELDS <= set(first)
    assert (first["level"], first["logger"], first["message"]) == ("info", "dkfi.test", "watch list: 3 stored entries")
    assert (first["feed"], first["records"]) == ("tcp", 12)
    assert first["time"].endswith("Z") and len(first["time"]) == len("2025-03-04T12:00:00.123Z")
    assert datetime.fromisoformat(first["time"].replace("Z", "+00:00")).utcoffset().total_seconds() == 0
    assert (second["logger"], second["level"]) == ("uvicorn.error", "warning")


def test_an_exception_record_carries_its_traceback_on_one_line(restore_logging):
    buf = io.StringIO()
    _configure("json", buf)
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("dkfi.test").exception("flush failed")
    (line,) = buf.getvalue().splitlines()  # the traceback's newlines stay inside the JSON string
    rec = json.loads(line)
    assert rec["level"] == "error" and rec["message"] == "flush failed"
    assert rec["exception"].startswith("Traceback (most recent call last)")
    assert "KeyError: 'missing'" in rec["exception"] and "test_logs.py" in rec["exception"]


def test_access_lines_name_method_path_status_client_and_hide_tokens(restore_logging):
    buf = io.StringIO()
    _configure("json", buf)
    access = logging.getLogger("uvicorn.access")
    # uvicorn's access record: the message format and its five arguments
    access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "GET", "/api/alerts?token=s3cr3t&limit=5", "1.1", 200)
    (rec,) = _lines(buf)
    assert (rec["method"], rec["status"], rec["client"], rec["http"]) == ("GET", 200, "10.0.0.7:5123", "1.1")
    assert rec["path"] == "/api/alerts?token=***&limit=5"
    assert "s3cr3t" not in buf.getvalue()


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_credentials_are_redacted_in_messages_and_extra_fields(restore_logging, fmt):
    buf = io.StringIO()
    _configure(fmt, buf)
    log = logging.getLogger("dkfi.test")
    log.warning("partner refused: GET https://fin:8443/x?access_token=abc.def.ghi (Authorization: Bearer eyJ.abc)",
                extra={"password": "hunter2", "token": "t0k3n", "user": "anna"})
    out = buf.getvalue()
    for secret in ("abc.def.ghi", "eyJ.abc", "hunter2", "t0k3n"):
        assert secret not in out, (fmt, secret)
    assert "access_token=***" in out and "Bearer ***" in out and "anna" in out


def test_text_mode_writes_readable_lines_with_the_traceback(restore_logging):
    buf = io.StringIO()
    _configure("text", buf)
    try:
        raise RuntimeError("database away")
    except RuntimeError:
        logging.getLogger("dkfi.test").error("writer failed", exc_info=True, extra={"feed": "udp"})
    text = buf.getvalue()
    head, *rest = text.splitlines()
    stamp, level, logger, *message = head.split()
    assert stamp.endswith("Z") and level == "ERROR" and logger == "dkfi.test:"
    assert " ".join(message) == "writer failed feed=udp"
    assert rest[0].startswith("Traceback") and rest[-1] == "RuntimeError: database away"
    with pytest.raises(json.JSONDecodeError):
        json.loads(head)


def test_auto_is_text_on_a_terminal_and_json_otherwise():
    assert logs.resolve_format("auto", Tty()) == "text"
    assert logs.resolve_format("auto", io.StringIO()) == "json"
    assert logs.resolve_format("JSON", Tty()) == "json"  # an explicit choice wins over the terminal
    assert logs.resolve_format("text", io.StringIO()) == "text"


@pytest.mark.parametrize("var,value", [("DKFI_LOG_FORMAT", "xml"), ("DKFI_LOG_LEVEL", "loud")])
def test_a_bad_log_setting_is_refused_naming_the_variable_and_value(monkeypatch, var, value):
    from pydantic import ValidationError
    from typer.testing import CliRunner

    from dkfi.cli.main import app as cli
    from dkfi.core.config import Settings, get_settings

    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError, match=f"{var}: '{value}' is not one of"):
        Settings()
    get_settings.cache_clear()
    res = CliRunner().invoke(cli, ["serve", "--no-watch", "--port", "1"])
    assert res.exit_code == 2, res.output
    assert var in res.output and repr(value) in res.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status


def test_dkfi_serve_writes_only_json_lines_to_a_pipe(tmp_path):
    """The real command, stdout a pipe (as in a container): every line is a JSON object; the access line of a
    request with a token in its query has the token replaced."""
    port = _free_port()
    env = {**os.environ, "DKFI_DATA_DIR": str(tmp_path / "var"), "DKFI_LOG_LEVEL": "info"}
    env.pop("DKFI_LOG_FORMAT", None)  # auto: stdout is a pipe, so JSON
    env.pop("DKFI_DATABASE_URL", None)
    proc = subprocess.Popen([str(DKFI), "serve", "--no-watch", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        up = False
        for _ in range(600):  # until it answers (or exits)
            if proc.poll() is not None:
                break
            try:
                up = _get(port, "/healthz") == 200
                break
            except OSError:
                time.sleep(0.1)
        assert up, proc.stderr.read() if proc.poll() is not None else "no answer"
        assert _get(port, "/healthz?token=s3cr3t") == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    lines = out.splitlines()
    assert lines, err
    records = [json.loads(line) for line in lines]  # each line parses
    assert all(FIELDS <= set(r) and "color_message" not in r for r in records)
    assert any(r["logger"] == "uvicorn.error" and "startup complete" in r["message"] for r in records)
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert [(r["method"], r["path"], r["status"]) for r in access][-1] == ("GET", "/healthz?token=***", 200)
    assert "s3cr3t" not in out + err


def test_configure_writes_to_stdout_as_it_is_when_each_line_is_written(restore_logging, capsys, monkeypatch):
    """The node's handler follows sys.stdout (replaced by a test runner, a CLI runner) instead of holding the
    stream it found when it was configured; `auto` on a stdout that is no terminal is JSON."""
    from dkfi.core.config import get_settings

    monkeypatch.delenv("DKFI_LOG_FORMAT", raising=False)
    get_settings.cache_clear()
    logs.configure(get_settings())
    logging.getLogger("dkfi.test").warning("first")
    first = capsys.readouterr().out
    swapped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", swapped)
    logging.getLogger("dkfi.test").warning("second")
    assert json.loads(first)["message"] == "first"
    assert json.loads(swapped.getvalue())["message"] == "second"
