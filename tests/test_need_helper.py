"""tests/conftest.py ``need``: a missing resource skips on a developer's machine and fails under ``CI=true``;
``SHARED`` is found beside the checkout or through ``DKFI_SHARED``."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, need, need_shared, shared_folder


def test_present_resource_neither_skips_nor_fails(monkeypatch):
    for ci in ("true", ""):
        monkeypatch.setenv("CI", ci)
        assert need("NATS", True) is None


def test_missing_resource_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="NATS not reachable"):
        need("NATS not reachable", False)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        need("NATS not reachable", False)


def test_missing_resource_fails_under_ci(monkeypatch):
    for ci in ("true", "TRUE", "1"):
        monkeypatch.setenv("CI", ci)
        with pytest.raises(pytest.fail.Exception, match="NATS not reachable.*CI=true"):
            need("NATS not reachable", False)


def test_missing_shared_file_is_named(monkeypatch, tmp_path):
    missing = tmp_path / "no-such.csv"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-such.csv"):
        need_shared(tmp_path, missing)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no-such.csv"):
        need_shared(missing)


def test_shared_folder_beside_the_checkout_or_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DKFI_SHARED", raising=False)
    assert shared_folder() == (ROOT.parent / "shared").resolve()
    assert ROOT == Path(__file__).resolve().parents[1] and (ROOT / "pyproject.toml").is_file()
    monkeypatch.setenv("DKFI_SHARED", str(tmp_path))
    assert shared_folder() == tmp_path.resolve()
