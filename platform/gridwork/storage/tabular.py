"""Rows in and out of CSV and Excel files, so import and export treat both alike."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

FORMATS = (".csv", ".xlsx")


class TableFileError(ValueError):
    """A file that cannot be read as a table."""


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-empty rows (with their 1-based row numbers) of a CSV/XLSX file."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise TableFileError(f"{path.name}: expected a .csv or .xlsx file")
    try:
        raw = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TableFileError(f"{path.name}: cannot read: {err}") from None
    if not raw:
        raise TableFileError(f"{path.name}: the file is empty; its first row names the columns")
    header = [str(cell).strip() if cell is not None else "" for cell in raw[0]]
    rows = [(number, list(cells) + [None] * (len(header) - len(cells)))
            for number, cells in enumerate(raw[1:], start=2)
            if any(c is not None and str(c).strip() for c in cells)]
    return header, rows


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a CSV or XLSX file; return the number of rows written."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise TableFileError(f"{path.name}: expected a .csv or .xlsx file")
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row])
                count += 1
        return count
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(header))
    for row in rows:
        sheet.append([_excel(v) for v in row])
        count += 1
    book.save(path)
    return count


def _read_csv(path: Path) -> list[list[Any]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [[cell if cell.strip() else None for cell in row] for row in csv.reader(f)]


def _read_xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError) as err:
        raise OSError(str(err)) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value: Any) -> Any:
    """Undo Excel's habits: whole numbers come back as floats."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _excel(value: Any) -> Any:
    """Excel keeps no time zone: write instants as text, ISO 8601 with their offset."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()
    return value
