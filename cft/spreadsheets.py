"""The one way every CSV and XLSX file of the app writes a cell. No Django import.

Formula injection (OWASP "CSV Injection"): a text cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is run by spreadsheets as a formula, so such text is written with a leading single quote. The rule is
made reversible by also quoting text that already starts with quotes followed by one of those characters
(`'=x` is written `''=x`): `unsafe_cell(safe_cell(text)) == text` for every text, and a reader that removes one
leading quote before a formula character gets the value back exactly. Only text is touched: numbers, dates and
booleans stay typed (a change of -12.0 stays the number -12.0).

CSV follows RFC 4180: CRLF line endings, and any field holding a comma, quote, CR or LF is quoted, so a line
break inside a value never splits a row. Files meant for spreadsheets start with the UTF-8 byte-order mark, or
Excel opens "Bjørn Ødegård" as Windows-1252 on a double-click.

XLSX is XML 1.0, which cannot hold most control characters, and XML readers turn a bare CR into LF. Like Excel,
the writer stores them as `_xHHHH_` (ECMA-376 ST_Xstring) and escapes a literal `_xHHHH_` as `_x005F_xHHHH_`,
so Excel shows the exact text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
# XML 1.0 forbids C0 controls except tab, LF and CR; CR is escaped too because XML readers normalise it to LF.
_XML_UNSAFE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading single quote; anything else is unchanged."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unsafe_cell(value: Any) -> Any:
    """The inverse of `safe_cell`, for readers that want the original text back."""
    if isinstance(value, str) and _QUOTED.match(value):
        return value[1:]
    return value


def xlsx_cell(value: Any) -> Any:
    """A value for an openpyxl cell: `safe_cell`, then characters XML cannot hold as `_xHHHH_`."""
    value = safe_cell(value)
    if isinstance(value, str):
        return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


def xlsx_text(value: Any) -> Any:
    """What Excel shows for a stored string: `_xHHHH_` decoded (openpyxl's reader leaves them as they are)."""
    if isinstance(value, str):
        return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def xlsx_row(values: Iterable[Any]) -> list[Any]:
    return [xlsx_cell(v) for v in values]


class CsvWriter:
    """csv.writer with RFC 4180 line endings that passes every cell through `safe_cell`."""

    def __init__(self, fh: SupportsWrite[str], *, bom: bool = False) -> None:
        self._writer = csv.writer(fh, lineterminator="\r\n")
        if bom:
            fh.write(BOM)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])


def write_csv(fh: SupportsWrite[str], header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> int:
    """Write a header and rows; returns the number of rows. `fh` must be opened with newline=""."""
    writer = CsvWriter(fh, bom=bom)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def stream_csv(
    header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True, batch: int = 1000
) -> Iterator[str]:
    """CSV text in chunks of `batch` rows, for StreamingHttpResponse."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer, bom=bom)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= batch:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()
