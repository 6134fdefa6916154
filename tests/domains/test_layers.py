"""The layering the registry makes possible: ``core`` imports only itself, ``sharing`` only ``core`` and itself
(neither names a domain, statically or inside a function), and every registered table has its migration."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import dkfi

SRC = Path(dkfi.__file__).resolve().parent
ALLOWED = {"core": {"core"}, "sharing": {"core", "sharing"}}


def imported_packages(path: Path | str) -> list[tuple[int, str]]:
    """(line, dkfi sub-package) of every import of dkfi in a module, wherever it stands."""
    out = []
    for node in ast.walk(ast.parse(Path(path).read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "dkfi" else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "dkfi" and len(parts) > 1:
                out.append((node.lineno, parts[1]))
    return out


def scan(paths: list[Path]) -> dict[str, list[list]]:
    """``imported_packages`` of each file, parsed in a fresh interpreter: CPython 3.11's ``ast.parse`` can fail with
    "AST constructor recursion depth mismatch" in a test worker where another test has hit a RecursionError."""
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "from test_layers import imported_packages; "
            f"print(json.dumps({{p: imported_packages(p) for p in {[str(p) for p in paths]!r}}}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_no_domain(layer):
    found = scan(sorted((SRC / layer).rglob("*.py")))
    assert found, f"no module found under {layer}"
    bad = [f"{Path(p).relative_to(SRC)}:{line} imports dkfi.{pkg}" for p, hits in sorted(found.items())
           for line, pkg in hits if pkg not in ALLOWED[layer]]
    assert not bad, "\n".join(bad)


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from dkfi.maritime.models import Vessel\n    import dkfi.watch.api\n")
    assert scan([f]) == {str(f): [[2, "maritime"], [3, "watch"]]}


def test_every_registered_table_has_its_migration(tmp_path):
    """A migrated database matches the registry's metadata: no table or column lacks its Alembic migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from dkfi.core.db import Base, get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    tables = [d for d in diff if not isinstance(d, list) and d[0] in ("add_table", "remove_table")]
    columns = [d for d in diff if isinstance(d, tuple) and d[0] in ("add_column", "remove_column")]
    assert not tables and not columns, diff
