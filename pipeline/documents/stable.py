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
import logging
from contextvars import ContextVar

log = logging.getLogger(__name__)
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
            entry.create_system = 3                 # the same bytes from a Windows or a Linux host
            target.writestr(entry, content)
    return out.getvalue()


def stable_pdf(writer) -> bytes:
    """A pypdf writer's PDF with its dates set to `made_at()`, no /ID (LibreOffice puts a
    time-derived one there; it is optional without encryption, PDF 1.7 §14.4) and no UniqueID in its
    Type 1 fonts (LibreOffice numbers the fonts it has embedded since it started, so the same
    document converted by another instance would differ)."""
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
                try:
                    obj.set_data(data)
                except Exception as exc:      # a filter pypdf cannot write again: the font as it was
                    log.warning("PDF 字体未能规范化（%s），保留原样", exc)
                    continue
                obj[NameObject("/Length1")] = NumberObject(clear)
                obj[NameObject("/Length2")] = NumberObject(secret)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_UNIQUE_ID = re.compile(rb"/UniqueID \d+ def\s?")


def type1_steady(data: bytes, clear_length: int, secret_length: int) -> tuple[bytes, int, int] | None:
    """A Type 1 font program (cleartext, eexec-encrypted part, trailer) without its UniqueID, in
    both parts (the entry is optional, Type 1 Font Format §5.6; a number derived from the font could
    collide between two subsets in one volume, and printers cache fonts by it): (program, cleartext
    length, encrypted length), or None when it has none (LibreOffice's, or removed already)."""
    clear, secret, rest = data[:clear_length], data[clear_length:clear_length + secret_length], \
        data[clear_length + secret_length:]
    if not _UNIQUE_ID.search(clear):
        return None
    clear = _UNIQUE_ID.sub(b"", clear)
    secret = eexec(_UNIQUE_ID.sub(b"", eexec(secret, decrypt=True)), decrypt=False)
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
