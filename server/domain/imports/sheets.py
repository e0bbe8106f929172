"""Reading an uploaded .xlsx sheet into rows, and building a kind's template.

    rows = read(content, COLUMNS)            # ValidationError (field "file") when it cannot be used
    data = template(COLUMNS, language="fr")  # the .xlsx bytes: header row, example row, notes sheet

The first worksheet is read; its first row is the header. A header cell names a column by its
`header`, a translation of it (the template comes in every language the product speaks: seed 004)
or an alias, compared trimmed and ignoring case; columns nobody asked for are ignored. A row's
number is its row in the sheet (the header is row 1), so a failure points at the row the person
sees in Excel. Rows with every cell blank are skipped. Text is trimmed and a blank cell is None;
numbers, dates and booleans are kept as openpyxl reads them (`text()` turns any of them into text).

Bounds: MAX_FILE_BYTES of upload, MAX_UNPACKED_BYTES once unzipped (a small file that unpacks to
gigabytes is refused before it is parsed), MAX_ROWS data rows, MAX_COLUMNS columns read.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Mapping, Sequence

from server.domain.errors import ValidationError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 100
LANGUAGES = ("en", "pl", "fr", "ru")
NOTES_TITLES = {"en": "Notes", "pl": "Uwagi", "fr": "Remarques", "ru": "Примечания"}
REQUIRED_MARK = {"en": "required", "pl": "wymagane", "fr": "obligatoire", "ru": "обязательно"}


@dataclass(frozen=True)
class Column:
    field: str  # the row's key for it, and the field a failure names
    header: str  # as the English template writes it
    translations: Mapping[str, str] = field(default_factory=dict)  # language → header
    aliases: tuple[str, ...] = ()  # other headers accepted
    required: bool = False  # the header row must have it (a row may still leave it blank: the importer decides)
    example: Any = None  # the template's example row
    note: str = ""  # the template's notes sheet

    def header_in(self, language: str) -> str:
        return self.translations.get(language, self.header)

    def names(self) -> set[str]:
        return {_key(n) for n in (self.header, self.field, *self.translations.values(), *self.aliases)}


@dataclass(frozen=True)
class Row:
    number: int  # the row in the sheet; the header is row 1
    values: dict[str, Any]  # column field → the cell's value (None when blank)

    def get(self, name: str) -> Any:
        return self.values.get(name)


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def text(value: Any) -> str | None:
    """A cell's value as text: None for blank, a whole number without ".0", a date in ISO form."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    value = str(value).strip()
    return value or None


def _refuse(message: str) -> ValidationError:
    return ValidationError.single("file", message)


def _open(content: bytes):
    from openpyxl import load_workbook  # imported when a sheet is read, not with the server

    if len(content) > MAX_FILE_BYTES:
        raise _refuse(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            unpacked = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise _refuse("the file is not an Excel workbook (.xlsx)") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _refuse("the file is not an Excel workbook (.xlsx)")
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MiB")
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise _refuse(f"the workbook cannot be read: {type(exc).__name__}") from None


def read(content: bytes, columns: Sequence[Column], *, max_rows: int = MAX_ROWS) -> list[Row]:
    """The data rows of the workbook's first sheet, by column field. Runs openpyxl: call it off
    the event loop (`asyncio.to_thread`) for anything but a small file."""
    workbook = _open(content)
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _refuse("the workbook has no sheet")
        cells = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = next(cells, None)
        if header is None:
            raise _refuse("the sheet is empty: its first row must name the columns")
        positions = _positions(header, columns)
        rows: list[Row] = []
        for number, values in enumerate(cells, start=2):
            if all(_value(v) is None for v in values):
                continue
            row = {name: _value(values[i]) if i < len(values) else None for name, i in positions.items()}
            if len(rows) == max_rows:
                raise _refuse(f"the sheet has more than {max_rows} rows; split it into several files")
            rows.append(Row(number, row))
        return rows
    finally:
        workbook.close()


def _value(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _positions(header: Sequence[Any], columns: Sequence[Column]) -> dict[str, int]:
    found: dict[str, int] = {}
    by_name = {name: c for c in columns for name in c.names()}
    for i, cell in enumerate(header):
        if cell is None:
            continue
        column = by_name.get(_key(cell))
        if column is not None and column.field not in found:
            found[column.field] = i
    missing = [c.header for c in columns if c.required and c.field not in found]
    if missing:
        raise ValidationError.single("file", "the header row (row 1) lacks the column " + ", ".join(missing))
    return found


def template(columns: Sequence[Column], *, language: str = "en", title: str = "Import") -> bytes:
    """A workbook to fill in: the header row in `language`, one example row, and a notes sheet
    saying what each column takes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    if language not in LANGUAGES:
        raise ValidationError.single("language", f"templates come in {', '.join(LANGUAGES)}, not {language!r}")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([c.header_in(language) for c in columns])
    sheet.append([c.example for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, c in enumerate(columns):
        sheet.column_dimensions[cell_letter(i)].width = max(14, len(c.header_in(language)) + 4)
    notes = workbook.create_sheet(NOTES_TITLES[language])
    for c in columns:
        mark = f" ({REQUIRED_MARK[language]})" if c.required else ""
        notes.append([c.header_in(language) + mark, c.note])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def cell_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
