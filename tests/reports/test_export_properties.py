"""Property tests: any text, through every export writer, reads back as the same value and never as a formula."""

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from cft.spreadsheets import FORMULA_START, stream_csv, unsafe_cell, write_csv, xlsx_row, xlsx_text
from patients.models import Assignment, Patient
from tests.reports.test_export_files import column, export, read_csv

ANY_CHAR = st.characters(codec="utf-8", exclude_categories=["Cs"])  # control characters and non-ASCII included
TRICKY = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "'", "'=", "''+", "_x000D_", "_x005F_", '"', ","])
TEXT = st.lists(st.one_of(TRICKY, st.text(ANY_CHAR, max_size=8)), max_size=6).map("".join)
# PostgreSQL text cannot hold NUL; the rest of the alphabet goes through the database as it is.
DB_TEXT = st.lists(st.one_of(TRICKY, st.text(ANY_CHAR.filter(lambda c: c != "\x00"), max_size=8)), max_size=5).map(
    "".join
)
ROWS = st.lists(st.lists(TEXT, min_size=1, max_size=4), min_size=1, max_size=4)


def assert_read_back(cells: list, originals: list[str]) -> None:
    for cell, original in zip(cells, originals, strict=True):
        assert not cell.startswith(FORMULA_START)
        assert unsafe_cell(cell) == original


@given(rows=ROWS, bom=st.booleans())
def test_csv_writers_read_back_any_text_unchanged_and_never_as_a_formula(rows, bom):
    written = io.StringIO(newline="")
    write_csv(written, ["header"], rows, bom=bom)
    streamed = "".join(stream_csv(["header"], rows, bom=bom, batch=2))
    assert streamed == written.getvalue()
    back = read_csv(written.getvalue().encode())
    assert back[0] == ["header"] and len(back) == 1 + len(rows)
    for cells, originals in zip(back[1:], rows, strict=True):
        assert_read_back(cells, originals)


@given(rows=ROWS)
def test_xlsx_cells_read_back_any_text_unchanged_and_never_as_a_formula(rows):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("S")
    for row in rows:
        sheet.append(xlsx_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    back = list(load_workbook(buffer).worksheets[0].iter_rows())
    assert len(back) == len(rows)
    for cells, originals in zip(back, rows, strict=True):
        present = [c for c in cells if c.value is not None]
        assert all(c.data_type == "s" for c in present)
        shown = [xlsx_text(c.value) or "" for c in cells][: len(originals)]
        assert_read_back(shown, originals)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record_number=DB_TEXT, title=DB_TEXT.filter(bool))
def test_every_export_reads_back_stored_text_unchanged_and_never_as_a_formula(north, tmp_path, record_number, title):
    # Text stored before the input rules (or a program title): the writers must carry it whatever it holds.
    Patient.objects.filter(clinic=north.clinic).update(record_number=record_number)
    Assignment.objects.filter(episode__patient__clinic=north.clinic).update(title=title)
    program = title
    for kind in ("csv_checkins", "csv_episodes"):
        rows = read_csv(export(north, kind, tmp_path))
        assert_read_back(column(rows, "Record number"), [record_number] * (len(rows) - 1))
        assert_read_back(column(rows, "Program"), [program] * (len(rows) - 1))
    book = load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))
    assert all(cell.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows() for cell in row)
    for name in ("Check-ins", "Episodes"):
        rows = [[xlsx_text(v) for v in r] for r in book[name].iter_rows(values_only=True)]
        assert_read_back([v or "" for v in column(rows, "Record number")], [record_number] * (len(rows) - 1))
        assert_read_back(column(rows, "Program"), [program] * (len(rows) - 1))
    archive = zipfile.ZipFile(io.BytesIO(export(north, "research", tmp_path)))
    for name in ("checkins.csv", "episodes.csv"):
        rows = read_csv(archive.read(name))
        assert_read_back(column(rows, "program"), [program] * (len(rows) - 1))
