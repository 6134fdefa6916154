"""The node's log: one line per record on stdout, JSON objects for a log collector or text for a person.

``DKFI_LOG_FORMAT`` chooses: ``json`` (one object a line), ``text``, or ``auto`` (the default: text when stdout
is a terminal, JSON otherwise, so a container's log is JSON lines and a developer's terminal stays readable).
``DKFI_LOG_LEVEL`` is the lowest level written (default ``info``, which includes uvicorn's access lines).

:func:`logging_config` is a :func:`logging.config.dictConfig` dictionary for the root logger and uvicorn's own
loggers (``uvicorn``, ``uvicorn.error``, ``uvicorn.access``): all of them end in one handler on stdout. It is
applied at start by ``dkfi serve``/``dkfi demo`` and handed to uvicorn as its ``log_config``
(:func:`uvicorn_options`), so uvicorn does not put its own handlers back.

A JSON line holds ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, the
``exception`` text when the record carries one, and every ``extra`` field the caller passed; an access line adds
``client``, ``method``, ``path``, ``http`` and ``status`` (uvicorn's access record has no duration).

Secrets never reach the log: a token, password or key given as a query parameter (``?token=...``,
``access_token=``, ...) or as ``Bearer ...`` is replaced by ``***`` in every message, access path and extra
field, in both formats (:class:`RedactSecrets`, a filter on the handler).
"""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

FORMATS = ("auto", "json", "text")
LEVELS = ("debug", "info", "warning", "error", "critical")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

# a query parameter or form field whose value is a credential, and a bearer token in a header echoed to the log
_SECRET_PARAM = re.compile(r"(?i)\b((?:access_|refresh_|id_)?token|password|passwd|secret|api_?key|client_secret)"
                           r"=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_KEY = re.compile(r"(?i)^(?:.*_)?(?:token|password|passwd|secret|api_?key|authorization)$")

# attributes every LogRecord has: anything else on a record came from ``extra=``
# (and uvicorn's ``color_message``, its message again with terminal colour codes)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName",
                                                                          "color_message"}
# loggers whose INFO lines are noise for an operator (alembic announces each of its plugins at every start)
QUIET = ("alembic.runtime.plugins",)


def redact(text: str) -> str:
    """``text`` with the values of credential parameters and bearer tokens replaced by ``***``."""
    if "=" in text:
        text = _SECRET_PARAM.sub(r"\1=***", text)
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(r"\1 ***", text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key):
        return "***"
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites each record before any formatter sees it: credentials in its message, in an access record's path
    and in its extra fields become ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            record.args = (args[0], args[1], redact(str(args[2])), args[3], args[4])
        else:
            try:
                message = record.getMessage()
            except Exception:  # a malformed call: left for the handler to report as a logging error
                return True
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _redact_value(key, value))
        return True


def utc_time(record: logging.LogRecord) -> str:
    """The record's time as UTC ISO 8601 with milliseconds (``2025-03-04T12:00:00.123Z``)."""
    t = datetime.fromtimestamp(record.created, timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside strings are escaped by JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": utc_time(record), "level": record.levelname.lower(), "logger": record.name,
                               "message": record.getMessage()}
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, http, status = args
            out.update(client=client, method=method, path=path, http=http, status=status)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger: message`` in UTC, then any extra fields as ``key=value`` and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{utc_time(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        extra = [f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD]
        if extra:
            line += "  " + " ".join(extra)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a record is emitted (as logging's last-resort handler does with
    stderr), so a handler configured once never holds on to a stream something later replaced and closed."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stdout


def resolve_format(fmt: str, stream: TextIO | None = None) -> str:
    """``json`` or ``text``: ``auto`` is text on a terminal, JSON otherwise. ValueError for anything else."""
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"DKFI_LOG_FORMAT: {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt != "auto":
        return fmt
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def check_level(level: str) -> str:
    """The level's name in upper case (``INFO``); ValueError naming DKFI_LOG_LEVEL for anything else."""
    name = level.strip().lower()
    if name not in LEVELS:
        raise ValueError(f"DKFI_LOG_LEVEL: {level!r} is not one of {', '.join(LEVELS)}")
    return name.upper()


def logging_config(fmt: str = "auto", level: str = "info", stream: TextIO | None = None) -> dict[str, Any]:
    """The dictConfig for the root logger and uvicorn's loggers: one handler writing ``fmt`` lines to stdout."""
    chosen = resolve_format(fmt, stream)
    lvl = check_level(level)
    formatter = JsonFormatter if chosen == "json" else TextFormatter
    handler: dict[str, Any] = {"formatter": chosen, "filters": ["redact"]}
    if stream is None:
        handler["()"] = StdoutHandler
    else:
        handler.update({"class": "logging.StreamHandler", "stream": stream})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactSecrets}},
        "formatters": {chosen: {"()": formatter}},
        "handlers": {"stdout": handler},
        "root": {"handlers": ["stdout"], "level": lvl},
        # uvicorn's loggers lose the handlers of its default config and reach the root's one handler
        "loggers": {**{name: {"handlers": [], "level": lvl, "propagate": True} for name in UVICORN_LOGGERS},
                    **{name: {"level": max(lvl, "WARNING", key=logging.getLevelName)} for name in QUIET}},
    }


def configure(settings: Any, stream: TextIO | None = None) -> dict[str, Any]:
    """Apply the node's log settings (``log_format``, ``log_level``) to this process; the config applied."""
    import logging.config

    config = logging_config(settings.log_format, settings.log_level, stream)
    logging.config.dictConfig(config)
    return config


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """What uvicorn is told about logging: this module's config (so its own default is not applied over it) and
    no level of its own (the config sets the levels)."""
    return {"log_config": logging_config(settings.log_format, settings.log_level), "log_level": None}
