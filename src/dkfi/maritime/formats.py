"""Recognising an AIS file's format from its content and opening the matching source."""
from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Iterator

from dkfi.maritime.records import Item

FORMATS = ("auto", "nmea", "dma-csv", "digitraffic")


class FormatError(ValueError):
    """A file whose format cannot be recognised or is not supported."""


def head_bytes(path: Path, n: int = 8192) -> bytes:
    """The first ``n`` bytes of the file's content (decompressed when gzip or zip)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                return f.read(n)
        except (OSError, EOFError):
            return b""
    if magic == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as z:
                names = [i for i in z.infolist() if not i.is_dir()]
                if names:
                    with z.open(names[0]) as f:
                        return f.read(n)
        except (zipfile.BadZipFile, OSError):
            return b""
    with open(path, "rb") as f:
        return f.read(n)


def detect_format(path: Path) -> str:
    """'nmea', 'dma-csv' or 'digitraffic', from the content (not the name)."""
    from dkfi.maritime.sources.digitraffic import looks_like_digitraffic
    from dkfi.maritime.sources.dma_csv import looks_like_dma_csv
    from dkfi.maritime.sources.nmea import looks_like_nmea

    head = head_bytes(path)
    if not head.strip():
        raise FormatError(f"{path}: empty file (or unreadable compressed content)")
    if looks_like_dma_csv(head):
        return "dma-csv"
    if looks_like_digitraffic(head):
        return "digitraffic"
    if looks_like_nmea(head):
        return "nmea"
    raise FormatError(
        f"{path}: format not recognised (expected NMEA 0183 AIS sentences, a DMA aisdk CSV or Digitraffic JSON); "
        "name it with --format"
    )


def open_source(path: Path, fmt: str = "auto", *, columnar: bool = True,
                decoder: str | None = None) -> tuple[str, Iterator[Item]]:
    """The format and an item iterator for one file.

    ``columnar``: NMEA as :class:`~dkfi.maritime.records.Batch` frames where it can
    (:func:`~dkfi.maritime.sources.nmea_batch.read_nmea_batches`, with ``decoder``), as a whole-file import
    takes it; ``columnar=False``: one item per message (replay needs the records one by one)."""
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "nmea" and columnar:
        from dkfi.maritime.sources.nmea_batch import read_nmea_batches

        return fmt, read_nmea_batches(path, decoder=decoder)
    if fmt == "nmea":
        from dkfi.maritime.sources.nmea import read_nmea

        return fmt, read_nmea(path)
    if fmt == "dma-csv":
        from dkfi.maritime.sources.dma_csv import read_dma_csv

        return fmt, read_dma_csv(path)
    from dkfi.maritime.sources.digitraffic import read_digitraffic

    return fmt, read_digitraffic(path)
