"""Rows in and out of CSV and Excel files, so import and export treat both alike."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = (".csv", ".xlsx")
FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
"""Text a spreadsheet would take for a formula (OWASP's CSV-injection list), behind any
number of the quotes that escape it."""
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def plain(value: Any) -> Any:
    """A value as a cell or JSON holds it: text for decimals, dates and times."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


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
                writer.writerow([csv_cell(v) for v in row])
                count += 1
        return count
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(header))
    for row in rows:
        sheet.append([_excel(sheet, v) for v in row])
        count += 1
    book.save(path)
    return count


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: text a spreadsheet would run as a formula gets a leading
    quote, which makes it text (and which reading the file back takes off again)."""
    if value is None:
        return ""
    if isinstance(value, str) and FORMULA_START.match(value) and not NUMBER.match(value):
        return "'" + value
    return value


def _uncell(text: str) -> str | None:
    """A CSV cell as written before :func:`csv_cell` escaped it."""
    if not text.strip():
        return None
    if FORMULA_START.match(text) and text.startswith("'") and not NUMBER.match(text):
        return text[1:]
    return text


def _read_csv(path: Path) -> list[list[Any]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [[_uncell(cell) for cell in row] for row in csv.reader(f)]


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


def _excel(sheet: Any, value: Any) -> Any:
    """A value as an Excel cell. Text is always text, never a formula (openpyxl takes any
    text beginning with `=` for one); Excel keeps no time zone, so instants are written as
    text, ISO 8601 with their offset."""
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.isoformat()
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell
