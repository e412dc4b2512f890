"""Text files: encoding, binary check, delimiter and records."""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path


from ..errors import ImportFileError
from .base import DELIMITERS, HEAD_BYTES, log

# ---------------------------------------------------------------------------------------------
# Text: encoding, binary check, delimiter, records
# ---------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WESTERN_SYMBOLS = set("€£¥©®°±§¶·«»–—‘’‚“”„…•™×÷¿¡ªº¹²³µ½¼¾\xa0¢¤¦¨¯´¸")


@dataclass
class TextHead:
    encoding: str          # codec used to decode the bytes after the BOM
    bom: int               # number of BOM bytes
    head: str              # decoded head (complete records only unless whole file)
    whole: bool            # the head is the whole file
    notes: list[str]


def _detect_encoding(head: bytes, whole: bool) -> tuple[str, int, list[str]]:
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc, len(bom), []
    # UTF-16 without BOM: every other byte of ASCII text is NUL.
    sample = head[:4096]
    if len(sample) >= 4 and sample.count(0) > len(sample) // 3:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.4 * len(sample) / 2 and even < odd / 10:
            return "utf-16-le", 0, ["no BOM; read as UTF-16 LE"]
        if even > 0.4 * len(sample) / 2 and odd < even / 10:
            return "utf-16-be", 0, ["no BOM; read as UTF-16 BE"]
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=whole)
        return "utf-8", 0, []
    except UnicodeDecodeError:
        pass
    if _plausible_western(head):
        return "cp1252", 0, ["not UTF-8; read as Windows-1252 (Western European)"]
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(head[:65536]).best()
        if best is not None and best.encoding:
            enc = codecs.lookup(best.encoding).name
            head.decode(enc)
            return enc, 0, [f"not UTF-8; encoding detected as {enc}"]
    except Exception:  # noqa: BLE001 - detection is best effort
        log.debug("charset-normalizer failed", exc_info=True)
    try:
        head.decode("cp1252")
        return "cp1252", 0, ["not UTF-8; read as Windows-1252"]
    except UnicodeDecodeError:
        return "latin-1", 0, ["not UTF-8; read as Latin-1"]


def _plausible_western(head: bytes) -> bool:
    """True when the bytes decode as Windows-1252 into ordinary Western text.

    charset-normalizer answers ``mac_latin2`` or ``cp1006`` for short French/German exports
    ("Société Générale", "Müller GmbH"), so Windows-1252 is tried first when every non-ASCII
    character it yields is a Latin letter or a common symbol and such letters are a minority
    of all letters (Cyrillic or Greek bytes decode to runs of accented Latin letters).
    """
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    letters = non_ascii = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
        if ord(ch) < 128:
            continue
        if ch in _WESTERN_SYMBOLS:
            continue
        if ch.isalpha() and ord(ch) < 0x250:
            non_ascii += 1
            continue
        return False
    return letters > 0 and non_ascii <= 0.3 * letters


def control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or 0x7F <= ord(ch) < 0xA0
              or ch == "\ufffd")
    return bad / len(text)


def text_head(path: Path, head: bytes, whole: bool | None = None) -> TextHead:
    if whole is None:
        whole = len(head) < HEAD_BYTES
    enc, bom, notes = _detect_encoding(head, whole)
    decoder = codecs.getincrementaldecoder(enc)("replace")
    text = decoder.decode(head[bom:], final=whole)
    sample = text[:65536]
    nuls = sample.count("\x00")
    if nuls and nuls <= max(16, len(sample) // 1000) and not enc.startswith("utf-16"):
        # a few NUL characters padding cells (SurveyMonkey's label row): not binary data
        text = text.replace("\x00", "")
        sample = text[:65536]
        notes = notes + ["removed NUL characters padding some cells"]
    if "\x00" in sample or control_ratio(sample) > 0.01:
        raise ImportFileError.for_file(
            path, "contains binary data and is not a CSV or spreadsheet file",
            "Choose the .csv, .xlsx, .xls or .ods file exported from the source system.")
    return TextHead(enc, bom, text, whole, notes)


_SPLIT_RE = {d: re.compile('["\r\n' + re.escape(d) + "]") for d in DELIMITERS}


def scan_records(text: str, delim: str, limit: int) -> tuple[list[int], list[int]]:
    """Split ``text`` into records: start offset and delimiter count (outside quotes) of each.

    A quote opens a quoted field only at the start of a field, as in Python's csv module and
    pyarrow; a doubled quote inside a quoted field is a literal quote.
    """
    starts = [0]
    counts = [0]
    in_quotes = False
    field_start = True
    pos = 0
    n = len(text)
    pattern = _SPLIT_RE[delim]
    while pos < n and len(starts) <= limit:
        m = pattern.search(text, pos)
        if m is None:
            break
        ch = m.group()
        i = m.start()
        if in_quotes:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    pos = i + 2
                    continue
                in_quotes = False
            pos = i + 1
            continue
        if ch == '"':
            if field_start or text[pos:i].strip() == "":
                in_quotes = True
            field_start = False
            pos = i + 1
        elif ch == delim:
            counts[-1] += 1
            field_start = True
            pos = i + 1
        else:  # newline outside quotes ends the record
            end = i + 2 if ch == "\r" and i + 1 < n and text[i + 1] == "\n" else i + 1
            starts.append(end)
            counts.append(0)
            field_start = True
            pos = end
    return starts, counts


def sniff_delimiter(text: str, suffix: str) -> str:
    """Pick the delimiter that splits the first records most consistently."""
    best, best_score = None, (0, 0.0, 0)
    for delim in DELIMITERS:
        _, counts = scan_records(text[:65536], delim, 60)
        counts = counts[:-1] if len(counts) > 1 else counts   # last record may be cut
        nonzero = [c for c in counts if c > 0]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=lambda c: (nonzero.count(c), c))
        agree = nonzero.count(mode)
        score = (agree, agree / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    if best is None:
        return "\t" if suffix == ".tsv" else ","
    return best


