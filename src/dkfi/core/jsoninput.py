"""Reading a JSON document that a planner wrote (a model's input file): every failure names its field path
("exercises[2].end: ...") and is the model's own error class, never a traceback for a bad shape."""
from __future__ import annotations

from typing import Any, Mapping


def kind(value: Any) -> str:
    """What a JSON value is, as an error message says it."""
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


class Reader:
    """Field checks that raise ``error("<path>: <reason>")``: one per model, bound to its error class."""

    def __init__(self, error: type[ValueError]) -> None:
        self.error = error

    def fail(self, path: str, reason: str) -> ValueError:
        return self.error(f"{path}: {reason}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be an object, got {kind(value)}")
        return value

    def list(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list, got {kind(value)}")
        return value

    def key(self, obj: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in obj:
            raise self.fail(f"{path}.{key}" if path else key, "missing")
        return obj[key]

    def ident(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string, got {kind(value)}")
        return value
