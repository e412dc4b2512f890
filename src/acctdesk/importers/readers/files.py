"""What a file is, decided from its bytes, and the checks before anything reads it: an
ordinary file of a size and kind acctdesk reads (named when it is not)."""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path


from ..errors import ImportCancelled, ImportFileError

from .base import FIX_EXPORT, HEAD_BYTES, log
from . import base
from .structured import sniff_structured
from .text import text_head

# ---------------------------------------------------------------------------------------------
# Kind sniffing
# ---------------------------------------------------------------------------------------------

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "is a PNG image"),
    (b"\xff\xd8\xff", "is a JPEG image"),
    (b"GIF87a", "is a GIF image"),
    (b"GIF89a", "is a GIF image"),
    (b"%PDF-", "is a PDF document"),
    (b"\x1f\x8b", "is a gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "is a 7-Zip archive"),
    (b"Rar!\x1a\x07", "is a RAR archive"),
    (b"\x7fELF", "is a program, not data"),
    (b"\xca\xfe\xba\xbe", "is a program, not data"),
    (b"\xcf\xfa\xed\xfe", "is a program, not data"),
    (b"SQLite format 3\x00", "is a SQLite database"),
    (b"%!PS", "is a PostScript document"),
    (b"{\\rtf", "is a Rich Text (RTF) document"),
    (b"\xfd7zXZ\x00", "is an xz-compressed file"),
)
#: short signatures that plain text could also start with: only when binary bytes follow
_BINARY_MAGIC = (
    (b"MZ", "is a Windows program, not data"),
    (b"BZh", "is a bzip2-compressed file"),
    (b"ID3", "is an MP3 audio file"),
    (b"RIFF", "is an audio or video file"),
    (b"OggS", "is an audio or video file"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_regular(path: Path, st: os.stat_result) -> None:
    if stat.S_ISREG(st.st_mode):
        if st.st_size > base.MAX_FILE_BYTES:
            raise ImportFileError.for_file(
                path, f"is {st.st_size / 2**30:,.1f} GB, larger than the {base.MAX_FILE_BYTES >> 30} GB "
                      "acctdesk reads at once",
                "Export fewer rows (a shorter period, or one report per team) and import the "
                "parts one after the other.")
        return
    what = _file_type(st.st_mode)
    if what == "a folder":
        raise ImportFileError.for_file(path, "is a folder, not a file", "Choose the file inside it.")
    link = " (the name is a link to it)" if path.is_symlink() else ""
    raise ImportFileError.for_file(
        path, f"is {what}{link}, not a file with data in it",
        "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")


def check_input(path) -> os.stat_result:
    """Refuse what is not an ordinary file of a size acctdesk reads, before opening it.

    A symbolic link is followed; a folder, a device (``/dev/zero``), a pipe or a socket is
    refused, and so is a file larger than :data:`MAX_FILE_BYTES`. Nothing is read.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise ImportFileError.for_file(path, "does not exist (it may have been moved or deleted)",
                                       "Choose the file again.") from exc
    except OSError as exc:
        raise ImportFileError.for_file(path, f"cannot be opened ({exc.strerror})",
                                       "Check the file and try again.") from exc
    _check_regular(path, st)
    return st


def open_input(path):
    """Open ``path`` for reading (binary) after checking it is an ordinary file.

    Opened without waiting (a pipe swapped in after :func:`check_input` is not waited on),
    then checked again on the open file itself.
    """
    path = Path(path)
    check_input(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ImportFileError.for_file(path, f"cannot be opened ({exc.strerror})",
                                       "Check the file and try again.") from exc
    try:
        _check_regular(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def head_bytes(path: Path, n: int = HEAD_BYTES) -> bytes:
    with open_input(path) as fh:
        return fh.read(n)


def read_all(path: Path) -> bytes:
    with open_input(path) as fh:
        return fh.read()


def kind_and_note(path: Path, head: bytes) -> tuple[str, str | None]:
    """Decide the kind of ``path`` from its content; raise ImportFileError if unusable."""
    if not head:
        raise ImportFileError.for_file(path, "is empty (0 bytes)", FIX_EXPORT.split(",")[0] + ".")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError.for_file(
                path, f"{what}, not a spreadsheet or CSV file",
                "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic) and b"\x00" in head[:512]:
            raise ImportFileError.for_file(
                path, f"{what}, not a spreadsheet or CSV file",
                "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")
    if head[4:8] == b"ftyp":
        raise ImportFileError.for_file(
            path, "is a video or image file, not a spreadsheet or CSV file",
            "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")
    if head.startswith(_ZIP):
        return _zip_kind(path), None
    if head.startswith(_OLE2):
        _check_ole2(path)
        return "xls", None
    if head.startswith(b"PK"):
        raise ImportFileError.for_file(path, "is a damaged ZIP file (it is not a readable workbook)",
                                       FIX_EXPORT)
    text = text_head(path, head)  # raises when the bytes are not text
    _refuse_other_text(path, text.head)
    return "csv", None


_SAVE_AS = ("Open it in Excel or LibreOffice and save it as .xlsx, or export the data as .csv "
            "from the source system.")


def _refuse_other_text(path: Path, text: str) -> None:
    """Name text formats that are not tables: web pages (often saved with an .xls name) and
    XML other than Excel 2003 spreadsheets. (JSON, JSON lines and Excel 2003 XML are read by
    :mod:`acctdesk.importers.readers.structured`.)"""
    start = text.lstrip("\ufeff \t\r\n")[:4096]
    low = start.lower()
    if "<!entity" in low:
        raise ImportFileError.for_file(
            path, "is an XML file that declares its own entities, which no export does (it "
                  "could expand without end)", "Export the data again as .csv or .xlsx.")
    if sniff_structured(start.encode("utf-8", "replace")) == "spreadsheetml":
        return      # an Excel 2003 XML workbook: its <Table> is not an HTML table
    if low.startswith(("<!doctype html", "<html", "<table", "<head", "<body")) or (
            low.startswith("<") and ("<html" in low[:2048] or "<table" in low[:2048])):
        named = (" with an Excel name" if path.suffix.lower() in (".xls", ".xlsx")
                 else "")
        raise ImportFileError.for_file(
            path, f"is a web page (HTML){named}, not a real spreadsheet (some systems export "
                  "HTML tables as .xls)", _SAVE_AS)
    if low.startswith("<?xml") and sniff_structured(start.encode("utf-8", "replace")) is None:
        raise ImportFileError.for_file(
            path, "is an XML file, not a spreadsheet or CSV table",
            "Export the data as .csv or .xlsx from the source system.")


#: a workbook expanding beyond these is refused before any of it is inflated (zip bombs)
MAX_UNCOMPRESSED = 1_500_000_000
MAX_RATIO = 250
MAX_RATIO_FLOOR = 50_000_000


def check_zip_size(path: Path, zf: zipfile.ZipFile) -> None:
    """Refuse archives that would inflate to an absurd size, from the central directory alone.

    Real workbooks compress sheet XML 5-50x; a member above ``MAX_RATIO`` x that inflates to
    more than ``MAX_RATIO_FLOOR`` bytes, or a total above ``MAX_UNCOMPRESSED``, is a bomb.
    """
    total = 0
    for info in zf.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_RATIO_FLOOR and ratio > MAX_RATIO:
            raise ImportFileError.for_file(
                path, f"would inflate part '{info.filename}' to {info.file_size / 1e6:,.0f} MB "
                      f"({ratio:,.0f} times its packed size), which no real export does",
                "Open the file in a spreadsheet program and save a copy, or export as .csv.")
    if total > MAX_UNCOMPRESSED:
        raise ImportFileError.for_file(
            path, f"would inflate to {total / 1e9:,.1f} GB, more than acctdesk reads at once",
            "Export fewer rows or columns, or as .csv.")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_size(path, zf)
            names = zf.namelist()
            if "mimetype" in names:
                mimetype = zf.read("mimetype").decode("ascii", "replace").strip()
                if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
                    return "ods"
                raise ImportFileError.for_file(
                    path, f"is an OpenDocument file of type '{mimetype}', not a spreadsheet",
                    "Choose the .ods spreadsheet, or export the data as .csv.")
            if any(n.startswith("xl/") for n in names):
                if "xl/workbook.xml" not in names and "xl/workbook.bin" in names:
                    raise ImportFileError.for_file(
                        path, "is an Excel binary workbook (.xlsb), which is not supported",
                        "Open it in Excel and save it as .xlsx.")
                return "xlsx"
            if any(n.startswith("word/") for n in names):
                what = "is a Word document, not a spreadsheet"
            elif any(n.startswith("ppt/") for n in names):
                what = "is a PowerPoint file, not a spreadsheet"
            else:
                what = "is a ZIP archive, not a spreadsheet"
            raise ImportFileError.for_file(
                path, what, "Unzip it first and choose the .csv or .xlsx file inside.")
    except zipfile.BadZipFile as exc:
        raise ImportFileError.for_file(
            path, "is damaged: its ZIP container is incomplete or corrupt (was the download "
                  "cut short?)", FIX_EXPORT) from exc


def _check_ole2(path: Path) -> None:
    """An OLE2 container is an .xls unless it holds an encrypted OOXML package, or is a Word,
    PowerPoint, Outlook or Installer file."""
    with open_input(path) as fh:
        data = fh.read(8 << 20)
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise ImportFileError.for_file(
            path, "is password-protected",
            "Open it in Excel, remove the password (File > Info > Protect Workbook) and save "
            "it again, or export the data as .csv.")
    has = lambda name: name.encode("utf-16-le") in data  # noqa: E731
    if not (has("Workbook") or has("Book")):
        for stream, what in (("WordDocument", "is a Word document"),
                             ("PowerPoint Document", "is a PowerPoint file"),
                             ("__substg1.0_", "is an Outlook message")):
            if has(stream):
                raise ImportFileError.for_file(
                    path, f"{what}, not a spreadsheet",
                    "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")


def sniff_kind(path) -> str:
    """Return the kind of ``path`` from its content: ``'csv'``, ``'xlsx'``, ``'xls'`` or ``'ods'``.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        ``'xlsx'`` for a ZIP holding ``xl/`` parts (xlsx and xlsm), ``'ods'`` for a ZIP whose
        ``mimetype`` is an OpenDocument spreadsheet, ``'xls'`` for an OLE2 container
        (``D0CF11E0``), ``'csv'`` for anything that decodes as text. The suffix is ignored.

    Raises
    ------
    ImportFileError
        Empty file, binary data that is not a spreadsheet (image, PDF, random bytes), a
        corrupt ZIP, a password-protected workbook, a missing or unreadable file.
    """
    path = Path(path)
    head = guard(path, lambda: head_bytes(path))
    return guard(path, lambda: kind_and_note(path, head)[0])


def guard(path: Path, fn):
    """Run ``fn``; turn anything but our own exceptions into an ImportFileError."""
    try:
        return fn()
    except (ImportFileError, ImportCancelled):
        raise
    except FileNotFoundError as exc:
        raise ImportFileError.for_file(path, "does not exist (it may have been moved or deleted)",
                                       "Choose the file again.") from exc
    except PermissionError as exc:
        raise ImportFileError.for_file(path, "cannot be opened: permission denied",
                                       "Close it in any other program, or copy it to a folder "
                                       "you can read, and try again.") from exc
    except IsADirectoryError as exc:
        raise ImportFileError.for_file(path, "is a folder, not a file",
                                       "Choose the file inside it.") from exc
    except MemoryError as exc:
        raise ImportFileError.for_file(path, "is too large to read into memory",
                                       "Split it into smaller files.") from exc
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the promise is: only ImportFileError escapes
        # BaseException too: a Rust panic inside the spreadsheet reader arrives as
        # pyo3_runtime.PanicException, which is not an Exception
        log.warning("reading %s failed", path, exc_info=True)
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, Exception):
            raise ImportFileError.for_file(
                path, f"made the spreadsheet reader fail ({detail}); the file is damaged or "
                      "not what its name says", FIX_EXPORT) from exc
        raise ImportFileError.for_file(path, f"could not be read ({detail})", FIX_EXPORT) from exc


