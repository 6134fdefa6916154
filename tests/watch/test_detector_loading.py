"""A detector module that cannot be loaded stops the watch with an error naming it."""
from __future__ import annotations

import logging
import sys
import uuid

import pytest
from typer.testing import CliRunner

from dkfi.watch import service


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """A fresh package on sys.path; returns (package name, a function writing one of its modules)."""
    pkg = f"dkfi_test_detectors_{uuid.uuid4().hex[:8]}"
    (tmp_path / pkg).mkdir()
    (tmp_path / pkg / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(name: str, text: str) -> str:
        (tmp_path / pkg / f"{name}.py").write_text(text)
        return f"{pkg}.{name}"

    yield pkg, write
    for m in [m for m in sys.modules if m == pkg or m.startswith(pkg + ".")]:
        del sys.modules[m]


GOOD = '''
from dkfi.watch.detectors.base import Detector


class QuietDetector(Detector):
    kind = "quiet"

    def rule(self):
        return "never fires"
'''


@pytest.mark.parametrize("source, cause", [
    ("raise ImportError('libfoo.so: cannot open shared object file')", "ImportError: libfoo.so"),
    ("def broken(:\n    pass\n", "SyntaxError"),
    ("import dkfi_no_such_dependency_xyz\n", "No module named 'dkfi_no_such_dependency_xyz'"),
    ("x = 1 / 0\n", "ZeroDivisionError"),
    ("X = 1\n", "defines no Detector class"),
])
def test_a_module_that_fails_to_import_is_an_error_naming_it(plugins, monkeypatch, source, cause):
    _, write = plugins
    mod = write("broken", source)
    monkeypatch.setattr(service, "DETECTOR_MODULES", ("anchor_drag", mod))
    with pytest.raises(service.DetectorLoadError) as got:
        service.detector_classes()
    assert got.value.module == mod
    assert f"detector module {mod} could not be loaded" in str(got.value) and cause in str(got.value)
    with pytest.raises(service.DetectorLoadError):  # and so the watch does not start
        service.make_detectors()


def test_a_missing_module_is_an_error_unless_optional(plugins, monkeypatch, caplog):
    pkg, write = plugins
    monkeypatch.setattr(service, "DETECTOR_MODULES", ("anchor_drag", "telepathy", f"{pkg}.absent"))
    with pytest.raises(service.DetectorLoadError, match="dkfi.watch.detectors.telepathy .*no such module"):
        service.detector_classes()
    monkeypatch.setattr(service, "OPTIONAL_DETECTOR_MODULES", ("telepathy", f"{pkg}.absent"))
    with caplog.at_level(logging.WARNING, logger="dkfi.watch.service"):
        assert set(service.detector_classes()) == {"anchor_drag"}
    assert "dkfi.watch.detectors.telepathy is not installed" in caplog.text
    assert f"{pkg}.absent is not installed" in caplog.text
    # optional, present, but broken inside: still an error
    mod = write("absent", "import dkfi_no_such_dependency_xyz\n")
    with pytest.raises(service.DetectorLoadError, match=mod):
        service.detector_classes()


def test_a_module_from_another_package_loads(plugins, monkeypatch):
    _, write = plugins
    mod = write("quiet", GOOD)
    monkeypatch.setattr(service, "DETECTOR_MODULES", ("anchor_drag", mod))
    assert set(service.detector_classes()) == {"anchor_drag", "quiet"}


def test_replay_prints_the_error_and_exits_non_zero(plugins, monkeypatch, tmp_path):
    from dkfi.cli.main import app

    _, write = plugins
    mod = write("broken", "raise ImportError('boom')\n")
    monkeypatch.setattr(service, "DETECTOR_MODULES", ("anchor_drag", mod))
    nmea = tmp_path / "empty.nmea"
    nmea.write_text("")
    r = CliRunner().invoke(app, ["watch", "replay", str(nmea)])
    assert r.exit_code == 1, r.output
    assert f"error: detector module {mod} could not be loaded: ImportError: boom" in r.stderr


def test_the_bundled_detectors_all_load():
    kinds = set(service.detector_classes())
    assert kinds == {"anchor_drag", "loitering", "drift", "sudden_speed_change", "ais_gap", "spoofing",
                     "identity_change", "encounter", "watchlist"}
