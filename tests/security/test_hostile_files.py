"""Hostile and odd files (issue 16, points 4, 5 and 11): refused with a message that names
the file and says what it is and what to do, bounded in time and memory, and never ending
the process. The crashes are checked in separate processes, since on the code before these
fixes they killed the interpreter."""
from __future__ import annotations

import io
import json
import os
import stat
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

from acctdesk.importers.errors import ImportFileError
from acctdesk.importers.readers import MAX_COLUMNS, read_file
from acctdesk.models import Workspace

ROOT = Path(__file__).resolve().parents[2]
LEGACY_XLS = ROOT / "tests" / "data" / "importers" / "_readers" / "legacy.xls"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["RUST_BACKTRACE"] = "0"
    return env


READ_IN_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from acctdesk.importers.errors import ImportFileError
    from acctdesk.importers.readers import read_file
    t = time.perf_counter()
    try:
        sheets = read_file(sys.argv[1])
        out = {"ok": [list(s.frame.shape) for s in sheets]}
    except ImportFileError as exc:
        out = {"error": str(exc)}
    out["seconds"] = time.perf_counter() - t
    try:   # this process's own peak (ru_maxrss would include the parent's at fork time)
        hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
        out["peak_mb"] = int(hwm.split()[1]) / 1024
    except OSError:
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
""")


def read_in_child(path: Path, timeout: float = 120) -> dict:
    """read_file in a fresh interpreter: its answer, or how it died."""
    p = subprocess.run([sys.executable, "-c", READ_IN_CHILD, str(path)], capture_output=True,
                       text=True, env=_env(), timeout=timeout)
    assert p.returncode == 0, f"the process died ({p.returncode}): {p.stderr[-800:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def cli_import(tmp_path: Path, *files: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    ws = tmp_path / "w.acctdesk"
    if not ws.exists():
        Workspace(ws, create=True).close()
    return subprocess.run([sys.executable, "-m", "acctdesk", "import", str(ws), *map(str, files)],
                          capture_output=True, text=True, env=_env(), timeout=timeout)


def _xlsx_with_sheet_xml(path: Path, sheet_xml: str) -> None:
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["Name", "ARR"])
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            z.writestr(info.filename, data)


SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://'
         'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}</sheetData>'
         '</worksheet>')


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# ------------------------------------------------------------------------------ point 4
def test_one_cell_at_xfd1048576_is_refused_not_allocated(tmp_path):
    path = tmp_path / "far.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer", "ARR"])
    ws.append(["Acme", 1000])
    ws["XFD1048576"] = "x"
    wb.save(path)
    assert path.stat().st_size < 10_000
    out = read_in_child(path)
    assert "far.xlsx" in out["error"] and "XFD1048576" in out["error"]
    assert "Ctrl+End" in out["error"] and out["peak_mb"] < 600
    # the command line: the file is rejected with the message, the process ends normally
    p = cli_import(tmp_path, path)
    assert p.returncode == 1 and "far.xlsx: NOT IMPORTED" in p.stderr and "XFD1048576" in p.stderr
    assert "Traceback" not in p.stderr


def test_header_row_wider_than_excel_is_refused(tmp_path):
    # an xlsx header reaching column 1,000,000 (cell refs beyond XFD)
    wide = tmp_path / "wide.xlsx"
    _xlsx_with_sheet_xml(wide, SHEET.format(
        '<row r="1">' + _cell("A1", "Name") + _cell("BDWGN1", "far") + "</row>"
        '<row r="2">' + _cell("A2", "Acme") + "</row>"))
    out = read_in_child(wide)
    assert "wide.xlsx" in out["error"] and "column BDWGN" in out["error"]
    assert f"at most {MAX_COLUMNS:,}" in out["error"]
    # a CSV whose header has a million columns, and one whose row has a million cells
    header = tmp_path / "header.csv"
    header.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1,2,3\n")
    out = read_in_child(header)
    assert "header.csv" in out["error"] and "columns" in out["error"]
    assert out["seconds"] < 10
    row = tmp_path / "row.csv"
    row.write_text("Name,ARR\nAcme,5\n" + ",".join("x" for _ in range(1_000_000)) + "\n")
    out = read_in_child(row)
    assert "row.csv" in out["error"] and "1,000,000 cells on row 3" in out["error"]
    assert out["seconds"] < 20 and out["peak_mb"] < 1500


def _patch_declared_size(path: Path, member: str, size: int) -> None:
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    name = member.encode()
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack("<H", data[i + 28:i + 30])[0]
        if data[i + 46:i + 46 + n] == name:
            struct.pack_into("<I", data, i + 24, size)
        i = data.find(b"PK\x01\x02", i + 4)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    path.write_bytes(bytes(data))


def test_zip_part_that_inflates_beyond_its_declared_size_is_refused(tmp_path):
    # 300 MB of sheet XML, packed to well under a megabyte, declared as 1 KB
    path = tmp_path / "liar.xlsx"
    rows = "".join(f'<row r="{r}">' + _cell(f"A{r}", "x") + "</row>" for r in range(1, 4))
    _xlsx_with_sheet_xml(path, SHEET.format(rows + " " * 300_000_000))
    _patch_declared_size(path, "xl/worksheets/sheet1.xml", 1024)
    assert path.stat().st_size < 2_000_000
    out = read_in_child(path)
    assert "liar.xlsx" in out["error"] and "does not match the ZIP directory" in out["error"]
    assert out["seconds"] < 10 and out["peak_mb"] < 600
    # a part declared smaller than it is, even by a little, is refused the same way
    small = tmp_path / "small-liar.xlsx"
    _xlsx_with_sheet_xml(small, SHEET.format(rows))
    _patch_declared_size(small, "xl/worksheets/sheet1.xml", 10)
    with pytest.raises(ImportFileError, match="small-liar.xlsx' is damaged or altered"):
        read_file(small)


def test_ods_whose_repeats_span_billions_of_cells_is_refused(tmp_path):
    cell = ('<table:table-cell office:value-type="string"><text:p>{}</text:p>'
            '</table:table-cell>')
    body = ('<table:table-row>' + cell.format("Name")
            + '<table:table-cell table:number-columns-repeated="16000"/>' + cell.format("X")
            + '</table:table-row><table:table-row table:number-rows-repeated="6000">'
            '<table:table-cell/></table:table-row><table:table-row>' + cell.format("Acme")
            + '</table:table-row>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
               '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:'
               'tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:'
               'xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S">'
               + body + '</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    path = tmp_path / "repeats.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    out = read_in_child(path)
    assert "repeats.ods" in out["error"] and "96,044,004 cells" in out["error"]
    assert out["peak_mb"] < 600


def _legacy_xls(tmp_path: Path, name: str, offset: int, value: int) -> Path:
    """The real .xls from the reader tests with one byte changed (found by fuzzing)."""
    data = bytearray(LEGACY_XLS.read_bytes())
    data[offset] = value
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def test_xls_that_makes_the_reader_panic_is_a_message(tmp_path):
    """The Rust reader panics on this file: pyo3_runtime.PanicException is a BaseException,
    not an Exception, so it used to escape every ``except Exception``."""
    path = _legacy_xls(tmp_path, "panics.xls", 1487, 24)
    with pytest.raises(ImportFileError) as info:
        read_file(path)
    assert "panics.xls" in str(info.value) and "reader fail" in str(info.value)
    p = cli_import(tmp_path, path)
    assert p.returncode == 1 and "panics.xls: NOT IMPORTED" in p.stderr
    assert "Traceback" not in p.stderr


def test_xls_that_makes_the_reader_abort_leaves_the_process_alive(tmp_path):
    """On this file the .xls reader asks for 515 GB and aborts the process: no exception can
    catch that, so .xls files are read in a helper process."""
    path = _legacy_xls(tmp_path, "aborts.xls", 1663, 193)
    out = read_in_child(path)
    assert "aborts.xls" in out["error"] and "Excel 97-2003 reader fail" in out["error"]
    assert "save it as .xlsx" in out["error"]
    good = read_in_child(LEGACY_XLS)       # a sound .xls still reads, through the helper
    assert good["ok"] == [[2, 3]]


# ------------------------------------------------------------------------------ point 5
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")
def test_links_to_devices_pipes_and_folders_are_refused_before_reading(tmp_path):
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    null = tmp_path / "null.xlsx"
    null.symlink_to("/dev/null")
    p = cli_import(tmp_path, zero, fifo, folder, null, timeout=60)   # no hang
    assert p.returncode == 1
    assert "'zero.csv' is a device (the name is a link to it), not a file with data" in p.stderr
    assert "'pipe.csv' is a pipe (FIFO), not a file with data" in p.stderr
    assert "'folder.csv' is a folder, not a file. Choose the file inside it." in p.stderr
    assert "'null.xlsx' is a device" in p.stderr
    # the import dialog's preview refuses them the same way, at once
    from acctdesk.importers.pipeline import preview_file

    with Workspace(tmp_path / "w.acctdesk") as ws:
        for path in (zero, fifo):
            assert "not a file with data" in preview_file(ws, path).error
        assert ws.count("import_batches") == 0


def test_file_larger_than_the_limit_is_refused_before_hashing(tmp_path, monkeypatch):
    from acctdesk.importers import readers

    big = tmp_path / "big.csv"
    with open(big, "wb") as fh:
        fh.truncate(3 << 20)             # sparse: 3 MB of zeros on disk in no time
    monkeypatch.setattr(readers.base, "MAX_FILE_BYTES", 1 << 20)
    with pytest.raises(ImportFileError, match="'big.csv' is 0.0 GB, larger than the 0 GB"):
        readers.check_input(big)
    from acctdesk.importers.pipeline import import_file

    with Workspace(tmp_path / "w.acctdesk", create=True) as ws:
        r = import_file(ws, big)
        assert "larger than" in r.error and ws.count("import_batches") == 0


# ------------------------------------------------------------------------------ point 11
def test_files_that_are_not_tables_are_named(tmp_path):
    cases = {
        "report.xls": ("<html><head><meta charset='utf-8'></head><body><table><tr><td>Name"
                       "</td><td>ARR</td></tr><tr><td>Acme</td><td>5</td></tr></table></body>"
                       "</html>", "is a web page (HTML) with an Excel name"),
        "feed.csv": ('<?xml version="1.0"?>\n<rss version="2.0"><channel><title>x</title>'
                     '</channel></rss>', "is an XML file, not a spreadsheet or CSV table"),
        "invoice.pdf.xlsx": ("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "is a PDF document"),
    }
    for name, (text, what) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ImportFileError) as info:
            read_file(path)
        assert str(info.value).startswith(f"'{name}' {what}"), str(info.value)
        assert any(w in str(info.value) for w in ("Export", "save it as", "Choose the"))
    p = cli_import(tmp_path, *(tmp_path / n for n in cases))
    assert p.returncode == 1 and p.stderr.count("NOT IMPORTED") == len(cases)


def test_json_lines_is_read_as_records_not_as_a_csv(tmp_path):
    """A JSON Lines file is what it is: one record per line, its keys the columns."""
    path = tmp_path / "events.csv"
    path.write_text('{"account": "Acme", "logins": 5}\n{"account": "Globex", "logins": 7}\n'
                    '{"account": "Initech", "logins": 1}\n')
    sheet = read_file(path)[0]
    assert list(sheet.frame.columns) == ["account", "logins"]
    assert sheet.frame["account"].tolist() == ["Acme", "Globex", "Initech"]


def test_html_table_saved_as_xls_is_not_read_as_a_csv_of_tags(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<table border=1>\n<tr><th>Name</th><th>ARR</th></tr>\n"
                    "<tr><td>Acme</td><td>5</td></tr>\n</table>\n")
    with pytest.raises(ImportFileError, match="web page"):
        read_file(path)


def test_far_cells_are_found_however_the_sheet_writes_them(tmp_path):
    """An empty formatted cell far away is no reason to refuse (the reader does not fill
    it); a filled one is found also when its ``r`` is not the first attribute or the sheet
    uses a namespace prefix."""
    head = ('<row r="1">' + _cell("A1", "Name") + _cell("B1", "ARR") + '</row><row r="2">'
            + _cell("A2", "Acme") + '<c r="B2"><v>5</v></c></row>')
    empty = tmp_path / "formatted.xlsx"
    _xlsx_with_sheet_xml(empty, SHEET.format(head + '<row r="1048576"><c r="XFD1048576" s="1"/>'
                                                    '</row>'))
    assert read_in_child(empty)["ok"] == [[1, 2]]
    late_r = tmp_path / "late-r.xlsx"
    _xlsx_with_sheet_xml(late_r, SHEET.format(head + '<row r="1048576"><c t="inlineStr" '
                                                     'r="XFD1048576"><is><t>x</t></is></c></row>'))
    assert "XFD1048576" in read_in_child(late_r)["error"]
    prefixed = tmp_path / "prefixed.xlsx"
    xml = (SHEET.format(head + '<row r="1048576"><x:c r="XFD1048576" t="inlineStr"><x:is><x:t>x'
                              '</x:t></x:is></x:c></row>')
           .replace("<worksheet xmlns=", '<worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                         'spreadsheetml/2006/main" xmlns='))
    _xlsx_with_sheet_xml(prefixed, xml)
    assert "XFD1048576" in read_in_child(prefixed)["error"]
