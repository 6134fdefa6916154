"""``dkfi backup`` and ``dkfi restore``: the node's database, history, audit anchor and secret in one archive
(the logic: :mod:`dkfi.core.backup`; docs/operations.md, "Backup and restore")."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from dkfi.cli.console import print_table, table
from dkfi.core import backup as core
from dkfi.core.config import get_settings

err = Console(stderr=True, soft_wrap=True, highlight=False)


@contextmanager
def _bars() -> Iterator[core.Progress]:
    """A bar per table (rows) and per group of files (bytes), on standard error; they stay when done."""
    tasks: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as bars:
        def progress(label: str, done: int, total: int | None) -> None:
            task = tasks.get(label)
            if task is None:
                task = tasks[label] = bars.add_task(label, total=total)
            bars.update(task, completed=done, total=total)

        yield progress


def backup(
    to: Optional[Path] = typer.Option(None, "--to", help="archive to write (.tar.gz, .tgz or .tar); default "
                                      "dkfi-backup-<nation>-<UTC time>.tar.gz in the current folder"),
    no_secret: bool = typer.Option(False, "--no-secret", help="leave the node secret (<data_dir>/secret.key) out; "
                                   "a restore then needs the same secret already in place"),
) -> None:
    """Write the database (every table, read in one transaction), the Parquet history, the audit anchor and the
    node secret to one archive with a manifest of SHA-256 hashes. The archive holds the node secret unless
    --no-secret: keep it as safe as the secret. Exit 1 if it cannot be made."""
    settings = get_settings()
    if to is not None:
        try:
            core.archive_mode(to)
        except core.BackupError as exc:
            raise typer.BadParameter(str(exc), param_hint="--to") from None
    try:
        with _bars() as progress:
            result = core.backup(settings, dest=to, include_secret=not no_secret, progress=progress)
    except core.BackupError as exc:
        err.print(f"[red]backup failed[/]: {exc}")
        raise typer.Exit(1) from None
    m = result.manifest
    size = result.path.stat().st_size
    rows = sum(f["rows"] for f in m["history"])
    err.print(f"[green]backup written[/]: {result.path} ({size:,} bytes): {len(m['tables'])} tables, "
              f"{result.rows:,} rows ({m['database']}, revision {m['alembic_revision']}), "
              f"{len(m['history'])} history files ({rows:,} rows), audit log to seq {m['audit_head_seq']}, "
              f"anchor {'included' if m['audit_anchor'] else 'none'}")
    if m["secret"]:
        err.print(f"[yellow]the archive holds the node secret[/]: protect {result.path} like the secret itself "
                  f"(or make it with --no-secret)")
    else:
        err.print(f"node secret: {m['secret_note']}")


def restore(
    archive: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                   help="archive written by dkfi backup"),
    force: bool = typer.Option(False, "--force", help="replace what the database and data folder hold (rows in "
                               "one transaction; the replaced history, anchor and secret are kept in "
                               "<data_dir>/replaced-<time>/)"),
) -> None:
    """Restore an archive into the configured database (DKFI_DATABASE_URL) and data folder (DKFI_DATA_DIR), which
    must be empty unless --force. Checks every member's hash first, loads all tables in one transaction at the
    archive's schema revision, migrates to this dkfi's, verifies the audit chain and compares the counts with the
    manifest. Exit 0 only if all match."""
    settings = get_settings()
    try:
        with _bars() as progress:
            result = core.restore(archive, settings, force=force, progress=progress)
    except core.RestoreRefused as exc:
        err.print(f"[red]restore refused[/]: {exc}")
        raise typer.Exit(1) from None
    except core.BackupError as exc:
        err.print(f"[red]restore failed, nothing changed[/]: {exc}")
        raise typer.Exit(1) from None
    m = result.manifest
    err.print(f"restored {archive} (a {m['nation']} node on {m['database']}, made {m['created']} by dkfi "
              f"{m['dkfi_version']}):")
    t = table("table", "archive", "restored", "", keep=("table", "archive", "restored"), right=("archive", "restored"))
    for c in [*result.tables, result.history_files, result.history_rows]:
        t.add_row(c.name, f"{c.expected:,}", f"{c.actual:,}", "ok" if c.ok else "[red]DIFFERS[/]")
    print_table(t)
    if result.replaced is not None:
        err.print(f"what was replaced is kept in {result.replaced}")
    if result.upgrade_error:
        err.print(f"[red]restored at revision {result.loaded_revision}, but the upgrade to this dkfi's schema "
                  f"failed[/]: {result.upgrade_error}; run `dkfi db upgrade`")
    elif result.loaded_revision != result.revision:
        err.print(f"schema: loaded at revision {result.loaded_revision}, migrated to {result.revision}")
    for problem in result.audit_problems:
        err.print(f"[red]audit[/] {problem}")
    if result.audit_problems:
        err.print(f"[red]audit log: {len(result.audit_problems)} problem(s)[/] in {result.audit_entries} entries")
    else:
        err.print(f"[green]audit log intact[/]: {result.audit_entries} entries, chain, head and anchor agree")
    if not result.ok:
        err.print("[red]restore incomplete[/]: see above")
        raise typer.Exit(1)
    err.print("[green]restored[/]: every count matches the manifest")
