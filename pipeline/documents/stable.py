"""Reproducible outputs: the same inputs on the same day give the same bytes.

A year-end run on one machine and the same run through worker processes on several must give
identical files (the manifest's hashes are the proof), and a rerun with nothing changed must not
change a file. What Word, Excel and PDF writers add by themselves — the time of saving in the
document properties, in every zip entry, in the PDF's dates and its /ID — is replaced by the day
the documents are made for: the run's `today` (`made_on`), else SOURCE_DATE_EPOCH (the
reproducible-builds convention), else now.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import zipfile
import zlib
from contextvars import ContextVar

_MADE: ContextVar[dt.datetime | None] = ContextVar("taizhang_made", default=None)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


@contextlib.contextmanager
def made_on(day: dt.date):
    """Documents made inside carry `day` (at 00:00) as their time of making."""
    token = _MADE.set(dt.datetime.combine(day, dt.time()))
    try:
        yield
    finally:
        _MADE.reset(token)


def made_at() -> dt.datetime:
    """The time stamped into documents made now (naive, whole seconds)."""
    fixed = _MADE.get()
    if fixed is not None:
        return fixed
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime.now().replace(microsecond=0)


def stable_package(data: bytes, rewrite=None) -> bytes:
    """An Office package (docx, xlsx) rewritten with every zip entry dated `made_at()` and the
    core properties' created/modified set to it; `rewrite(name, content) -> content` may change
    entries on the way (one pass over the package)."""
    when = made_at()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = max(when, dt.datetime(1980, 1, 1)).timetuple()[:6]     # zip cannot say earlier
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if rewrite is not None:
                content = rewrite(info.filename, content)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(lambda m: m[1] + stamp + m[3], content)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()


def stable_pdf(writer) -> bytes:
    """A pypdf writer's PDF with its dates set to `made_at()`, no /ID (LibreOffice puts a
    time-derived one there; it is optional without encryption, PDF 1.7 §14.4) and its Type 1 fonts'
    UniqueIDs taken from the fonts themselves (LibreOffice numbers the fonts it has embedded since
    it started, so the same document converted by another instance would differ)."""
    from pypdf.generic import NameObject, NumberObject, StreamObject
    stamp = made_at().strftime("D:%Y%m%d%H%M%S+00'00'")
    writer.add_metadata({"/CreationDate": stamp, "/ModDate": stamp})
    writer._ID = None
    for obj in writer._objects:
        if isinstance(obj, StreamObject) and "/Length1" in obj and "/Length2" in obj:
            data = obj.get_data()
            steady = type1_steady(data, int(obj["/Length1"]), int(obj["/Length2"]))
            if steady is not None:
                data, clear, secret = steady
                obj.set_data(data)
                obj[NameObject("/Length1")] = NumberObject(clear)
                obj[NameObject("/Length2")] = NumberObject(secret)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_UNIQUE_ID = re.compile(rb"/UniqueID \d+")


def type1_steady(data: bytes, clear_length: int, secret_length: int) -> tuple[bytes, int, int] | None:
    """A Type 1 font program (cleartext, eexec-encrypted part, trailer) with its UniqueID, in both
    parts, replaced by one derived from the cleartext (font name, bounding box and the subset's
    encoding: the same subset, the same number; 4000000–4999999 is the range for private use);
    (program, cleartext length, encrypted length), or None when it has no UniqueID or has its own
    already (a document merged into an archive volume is not decrypted again)."""
    clear, secret, rest = data[:clear_length], data[clear_length:clear_length + secret_length], \
        data[clear_length + secret_length:]
    found = _UNIQUE_ID.search(clear)
    if not found:
        return None
    ident = b"/UniqueID %d" % (4000000 + zlib.crc32(_UNIQUE_ID.sub(b"", clear)) % 1000000)
    if found[0] == ident:
        return None
    clear = _UNIQUE_ID.sub(ident, clear)
    secret = eexec(_UNIQUE_ID.sub(ident, eexec(secret, decrypt=True)), decrypt=False)
    return clear + secret + rest, len(clear), len(secret)


def eexec(data: bytes, *, decrypt: bool) -> bytes:
    """Type 1 eexec encryption (Adobe Type 1 Font Format, §7.1: r = 55665, c1 = 52845, c2 = 22719)."""
    r, out = 55665, bytearray(len(data))
    for i, byte in enumerate(data):
        if decrypt:
            out[i] = byte ^ (r >> 8)
            r = ((byte + r) * 52845 + 22719) & 0xFFFF
        else:
            cipher = out[i] = byte ^ (r >> 8)
            r = ((cipher + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)
