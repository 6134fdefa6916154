"""``dkfi nvg``: allies' NATO Vector Graphics (NVG 2.x) overlays into this node, and the overlays it holds.

The node imports (no user): the overlay belongs to ``--owner`` (default: this node's nation) and carries
``--label`` or, without it, the file's own STANAG 4774 marking. The import is an audit entry (actor ``cli@<nation>``).
Export the picture as NVG with ``dkfi export nvg``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

app = typer.Typer(help="NVG overlays from allies: import a file as a labelled overlay, list the overlays.",
                  no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., help="an NVG 2.x document (XML, UTF-8)"),
    label: Optional[str] = typer.Option(None, "--label", help="e.g. 'RESTRICTED REL TO DNK,FIN' (default: the "
                                                                "file's STANAG 4774 marking)"),
    owner: Optional[str] = typer.Option(None, "--owner", help="owner nation (ISO alpha-3; default: this node's)"),
    name: Optional[str] = typer.Option(None, "--name", help="the overlay's name (default: the file name)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object"),
) -> None:
    """Store the good elements of FILE as one overlay; skipped elements are counted by reason."""
    from dkfi.core import audit
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope
    from dkfi.core.identity import Principal
    from dkfi.core.nations import check_nation
    from dkfi.sharing import nvg, overlays

    settings = get_settings()
    try:
        nation = check_nation((owner or settings.nation).strip().upper())
    except ValueError as exc:
        _fail(f"--owner: {exc}")
    given = None
    if label is not None:
        try:
            given = nvg.parse_label(label)
        except ValueError as exc:
            _fail(f"--label: {exc}")
    if not file.is_file():
        _fail(f"{file}: no such file")
    size = file.stat().st_size
    if size > nvg.MAX_BYTES:
        _fail(f"{file}: the file is {size:,} bytes; at most {nvg.MAX_BYTES:,} are accepted", 1)
    data = file.read_bytes()
    actor = Principal.node(nation, "cli")
    try:
        with session_scope(get_engine()) as s:
            out = overlays.import_overlay(s, data, source_file=file.name, owner=nation, by=actor.name, label=given,
                                          name=name)
            audit.record(s, "import", "nvg_overlay", out.overlay.id, classification=out.overlay.classification,
                         detail={"file": file.name, "features": len(out.parsed.features),
                                 "skipped": dict(out.parsed.skipped), "label": str(out.overlay.label), "via": "cli"},
                         principal=actor)
            result = out.as_dict()
    except (nvg.NvgError, overlays.OverlayRefused) as exc:
        _fail(f"{file}: {exc}", 1)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        rep = result["report"]
        err.print(f"overlay {result['id']} [bold]{result['name']}[/]: {rep['features']} features stored, "
                  f"{rep['skipped']} elements skipped; label [bold]{result['marking']}[/] ({result['label_from']}), "
                  f"owner {nation}", highlight=False)
        for reason, n in rep["skipped_by_reason"].items():
            err.print(f"  skipped {n}: {reason}", markup=False, highlight=False)
        for m in rep["messages"]:
            err.print(f"  {m}", markup=False, highlight=False)


@app.command("list")
def list_overlays(as_json: bool = typer.Option(False, "--json", help="print the overlays as JSON")) -> None:
    """The overlays this node holds, newest first."""
    from dkfi.cli.console import print_table, table, when
    from dkfi.core.db import get_engine, session_scope
    from dkfi.sharing import overlays

    with session_scope(get_engine()) as s:
        rows = overlays.overlays(s)
        items = [overlays.overlay_summary(r) for r in rows]
        times = [r.imported for r in rows]
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    t = table("id", "name", "features", "label", "owner", "imported UTC", "file",
              keep=("id", "features", "owner", "imported UTC"), right=("id", "features"))
    for d, at in zip(items, times):
        t.add_row(str(d["id"]), d["name"], str(d["features"]), d["marking"], d["owner_nation"], when(at),
                  d["source_file"])
    print_table(t)
