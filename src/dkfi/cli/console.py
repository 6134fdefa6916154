"""The consoles and tables of every dkfi command: readable in an 80-column terminal, and never a value cut short.

Rich's defaults suit a wide terminal: a table wider than the console shrinks every column and ends a word that
does not fit with "…", so at 80 columns (a small terminal, or any pipe: Rich takes 80 when there is no terminal
and ``COLUMNS`` is not set) start times, MMSIs and summaries lost their ends. Every CLI table is made here
instead (:func:`table`), and is printed in one of two ways, whichever the console's width allows:

* a table, when its ``keep`` columns (times, ids, MMSIs, counts: what is read or copied whole) fit at full width
  and every other column still has :data:`MIN_TEXT` cells: the kept columns are not wrapped, the others wrap at
  spaces and fold a word longer than the column onto the next line, so no text is lost;
* otherwise one record per row, a line per column (``start UTC  2014-09-28 16:50:04``), values folded when
  longer than the line: an alert with seven columns and a sentence of summary does not fit 80 columns as a
  table, and squeezing it into one leaves the summary a few letters wide.

Tables are printed on a console made when printing (:func:`print_table`), not when a module is imported, so the
width follows the terminal or ``COLUMNS`` of the moment (a test runner's too).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text


def out() -> Console:
    """A console on standard output, as wide as the terminal (``COLUMNS``; 80 when neither is known)."""
    return Console()


MIN_TEXT = 20  # cells a wrapping column needs to stay readable as a table


class ReadableTable(Table):
    """A :class:`rich.table.Table` printed as a table or as records, whichever fits (see the module doc)."""

    def __init__(self, *args, keep: Iterable[int] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keep = frozenset(keep)

    def fits(self, width: int) -> bool:
        """Do the kept columns at full width and the others at :data:`MIN_TEXT` fit in ``width`` cells?"""
        need = 0
        for i, col in enumerate(self.columns):
            longest = max([_width(col.header), *(_width(c) for c in col.cells)])
            need += longest if i in self.keep else min(longest, MIN_TEXT)
        # the frame: padding between neighbours (one cell each side) and a rule of one cell between them
        return need + 3 * max(0, len(self.columns) - 1) <= width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.row_count == 0 or self.fits(options.max_width):
            for i, col in enumerate(self.columns):
                col.no_wrap = i in self.keep
            yield from super().__rich_console__(console, options)
            return
        yield from self._records(console, options)

    def _records(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """One record per row: ``header  value`` lines, a blank line between records."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        rows = [list(col.cells) for col in self.columns]
        for r in range(self.row_count):
            if r:
                grid.add_row("", "")
            for col, cells in zip(self.columns, rows):
                grid.add_row(col.header, cells[r])
        if self.title:
            yield Text(str(self.title), style="italic")
        yield from grid.__rich_console__(console, options)


def _width(cell: RenderableType) -> int:
    """Cells a table cell takes on one line (strings are read as console markup, as the table prints them)."""
    if isinstance(cell, str):
        try:
            return Text.from_markup(cell).cell_len
        except MarkupError:
            return cell_len(cell)
    return cell.cell_len if isinstance(cell, Text) else 0


def table(*headers: str, keep: Iterable[str] = (), right: Iterable[str] = (), title: str | None = None
          ) -> ReadableTable:
    """A table with these column ``headers``; ``keep`` names the columns that must not wrap (times, ids),
    ``right`` those aligned right (numbers)."""
    keep, right = set(keep), set(right)
    unknown = (keep | right) - set(headers)
    if unknown:
        raise ValueError(f"columns {sorted(unknown)} are not among {list(headers)}")
    t = ReadableTable(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                      keep=[i for i, h in enumerate(headers) if h in keep])
    for h in headers:
        t.add_column(h, overflow="fold", justify="right" if h in right else "left")
    return t


def print_table(t: Table) -> None:
    """Print a table on standard output (a console made now: see the module doc)."""
    out().print(t)


def when(value: datetime | float | str | None) -> str:
    """A time for a table: ``2014-09-28 16:50:04`` in UTC, to the second (say "UTC" in the column header), from a
    datetime, epoch seconds or ISO 8601 text; naive times are taken as UTC; '' for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime):
        value = datetime.fromtimestamp(float(value), tz=timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
