"""LibreOffice, headless: legacy and WPS formats to OOXML, and EMF/WMF pictures to PNG.

Each conversion runs with its own temporary user profile (`-env:UserInstallation`), in
its own process group, under a timeout; on a hang the whole group is killed. A
`Converter` can also keep one LibreOffice warm (listening on a pipe, driven over UNO by
the system Python that ships `uno`), which saves the start-up per file; without `uno` it
falls back to one cold start per file. Failures are `ConversionError`s the pipeline turns
into a clear receipt, never a crash.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline import DATA

log = logging.getLogger(__name__)

TARGETS = {".doc": "docx", ".wps": "docx", ".xls": "xlsx", ".et": "xlsx", ".emf": "png", ".wmf": "png"}
DEFAULT_TIMEOUT = 120.0


class ConversionError(Exception):
    """LibreOffice is missing, failed, or hung on this file."""


def find_soffice() -> str | None:
    """soffice on PATH, or in the usual install folders (Linux, Windows, macOS)."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates = [Path("/usr/lib/libreoffice/program/soffice"), Path("/opt/libreoffice/program/soffice"),
                  Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    for root in (os.environ.get("PROGRAMFILES"), os.environ.get("PROGRAMFILES(X86)")):
        if root:
            candidates.append(Path(root) / "LibreOffice" / "program" / "soffice.exe")
    return next((str(p) for p in candidates if p.exists()), None)


def _profile_url(folder: Path) -> str:
    return "-env:UserInstallation=" + folder.resolve().as_uri()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:   # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


FONTS_CONF = DATA / "fonts.conf"


def fonts_conf() -> Path:
    """Our font mapping; with a workspace fonts/ folder (the college's licensed faces), a config that
    adds that folder first — the mapping names the requested face first, so those fonts win."""
    folder = os.environ.get("TAIZHANG_FONTS_DIR")
    if not folder or not Path(folder).is_dir():
        return FONTS_CONF
    import hashlib
    target = Path(tempfile.gettempdir()) / f"tz-fonts-{hashlib.sha256(folder.encode()).hexdigest()[:12]}.conf"
    text = (f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            f'  <dir>{escape(folder)}</dir>\n  <include>{escape(str(FONTS_CONF))}</include>\n</fontconfig>\n')
    if not target.exists() or target.read_text("utf-8") != text:
        target.write_text(text, "utf-8")
    return target


def _group_kwargs() -> dict:
    """Own process group (killed whole on a hang) and our font aliases for 仿宋_GB2312 & co."""
    env = dict(os.environ)
    if os.name == "posix" and FONTS_CONF.exists() and "FONTCONFIG_FILE" not in env:
        env["FONTCONFIG_FILE"] = str(fonts_conf())
    if os.name == "posix":
        return {"start_new_session": True, "env": env, "preexec_fn": die_with_parent}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP, "env": env}   # pragma: no cover


def _prctl():
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):   # pragma: no cover - not Linux
        return None


_PRCTL = _prctl() if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies, however the parent died — a killed
    watcher or year-end run leaves no LibreOffice and no pool worker behind."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


OWNER_FILE = "owner"


def sweep_orphans() -> list[int]:
    """Stop warm LibreOffice instances of ours whose owning process is gone (found by the owner
    file in their profile: owner pid, LibreOffice pid), and remove their profiles."""
    stopped = []
    for profile in Path(tempfile.gettempdir()).glob("tz-lo-warm-*"):
        try:
            owner, pid = (int(x) for x in (profile / OWNER_FILE).read_text("ascii").split())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if _alive(pid) and _is_our_office(pid, profile):
            try:
                os.killpg(pid, signal.SIGKILL) if os.name == "posix" else os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
            except OSError:
                pass
        shutil.rmtree(profile, ignore_errors=True)      # a throw-away profile of ours, nothing of anyone's
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _is_our_office(pid: int, profile: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return os.name != "posix"
    return profile.resolve().as_uri() in cmdline or str(profile) in cmdline


def convert_cold(source: Path, target_ext: str, out_dir: Path, timeout: float = DEFAULT_TIMEOUT,
                 soffice: str | None = None) -> Path:
    """One LibreOffice start for one file, with a throw-away profile."""
    soffice = soffice or find_soffice()
    if soffice is None:
        raise ConversionError("服务器上没有安装 LibreOffice，无法转换旧版格式")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tz-lo-") as profile:
        cmd = [soffice, _profile_url(Path(profile)), "--headless", "--norestore", "--nolockcheck",
               "--convert-to", target_ext, "--outdir", str(out_dir), str(source)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **_group_kwargs())
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ConversionError(f"LibreOffice 转换超时（{timeout:g} 秒）") from None
    produced = out_dir / f"{source.stem}.{target_ext}"
    if proc.returncode != 0 or not produced.exists() or produced.stat().st_size == 0:
        log.info("conversion of %s failed: rc=%s %s", source, proc.returncode, err[-500:])
        raise ConversionError("LibreOffice 未能转换该文件（文件可能已损坏）")
    return produced


# The UNO client runs under the system Python (which has `uno`). It stays up beside the warm
# instance: it connects once, then converts one file per request line it reads (JSON: source,
# target, filter) and answers one line each ("OK", "FAIL …", "WAIT …" while LibreOffice is not
# listening yet) — no interpreter start and no UNO handshake per file.
_UNO_CLIENT = r"""
import json, sys, time, uno
from com.sun.star.beans import PropertyValue
def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p
pipe = sys.argv[1]
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
desktop = None
for line in sys.stdin:
    request = json.loads(line)
    try:
        if desktop is None:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    except Exception as exc:
        print("WAIT %s" % type(exc).__name__, flush=True)
        continue
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(request["source"]), "_blank", 0,
                                           (prop("Hidden", True), prop("ReadOnly", True)))
        if doc is None:
            print("FAIL cannot open", flush=True)
            continue
        try:
            doc.storeToURL(uno.systemPathToFileUrl(request["target"]), (prop("FilterName", request["filter"]),))
        finally:
            doc.close(True)
        print("OK", flush=True)
    except Exception as exc:
        print("FAIL %s %s" % (type(exc).__name__, str(exc)[:200]), flush=True)
"""
FILTERS = {"docx": "MS Word 2007 XML", "xlsx": "Calc MS Excel 2007 XML", "png": "writer_png_Export",
           "pdf": "writer_pdf_Export"}


def system_python_with_uno() -> str | None:
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).exists():
            done = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
            if done.returncode == 0:
                return candidate
    return None


class Converter:
    """Converts files; warm (one LibreOffice for many files) when it can, cold otherwise."""

    def __init__(self, warm: bool = True, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.soffice = find_soffice()
        self.python = system_python_with_uno() if warm and self.soffice else None
        self.proc: subprocess.Popen | None = None
        self.client_proc: subprocess.Popen | None = None      # the UNO client, kept up with the instance
        self.answers: queue.Queue | None = None
        self.profile: tempfile.TemporaryDirectory | None = None
        self.pipe = f"tz{uuid.uuid4().hex[:12]}"
        self.client: Path | None = None
        self.owner = os.getpid()

    @property
    def available(self) -> bool:
        return self.soffice is not None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="tz-lo-warm-")
        client = Path(self.profile.name) / "client.py"
        client.write_text(_UNO_CLIENT, encoding="utf-8")
        self.client = client
        cmd = [self.soffice, _profile_url(Path(self.profile.name) / "profile"), "--headless", "--norestore",
               "--nolockcheck", "--nologo", "--nodefault", f"--accept=pipe,name={self.pipe};urp;"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **_group_kwargs())
        (Path(self.profile.name) / OWNER_FILE).write_text(f"{os.getpid()} {self.proc.pid}", encoding="ascii")
        self.client_proc = subprocess.Popen([self.python, str(client), self.pipe], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                            encoding="utf-8", bufsize=1, **_group_kwargs())
        self.answers = queue.Queue()
        threading.Thread(target=_pump, args=(self.client_proc.stdout, self.answers), daemon=True).start()

    def _warm_convert(self, source: Path, target: Path, target_ext: str) -> None:
        if os.getpid() != self.owner:
            # inherited through fork: that LibreOffice belongs to the parent; start our own, on our own pipe
            self.proc, self.profile, self.owner = None, None, os.getpid()
            self.pipe = f"tz{uuid.uuid4().hex[:12]}"
        if self.proc is None or self.proc.poll() is not None or self.client_proc is None \
                or self.client_proc.poll() is not None:
            self.close()
            self._start()
        filter_name = FILTERS[target_ext]
        if target_ext == "pdf" and source.suffix.lower() in (".xlsx", ".xls", ".ods", ".et"):
            filter_name = "calc_pdf_Export"
        request = json.dumps({"source": str(source.resolve()), "target": str(target.resolve()),
                              "filter": filter_name}) + "\n"
        deadline = time.monotonic() + self.timeout
        last = ""
        while time.monotonic() < deadline:       # the first request waits for the instance to listen
            try:
                self.client_proc.stdin.write(request)
                self.client_proc.stdin.flush()
                last = self.answers.get(timeout=max(deadline - time.monotonic(), 0.1))
            except (OSError, ValueError, queue.Empty):
                break
            if last == "OK" and target.exists():
                return
            if not last.startswith("WAIT"):
                raise ConversionError("LibreOffice 未能转换该文件（文件可能已损坏）")
            time.sleep(0.2)
        self.close()                              # hung: kill the whole group, start afresh next time
        log.info("warm conversion timed out: %s", last)
        raise ConversionError(f"LibreOffice 转换超时（{self.timeout:g} 秒）")

    def convert(self, source: Path, out_dir: Path, target_ext: str | None = None) -> Path:
        """`source` (.doc .wps .xls .et .emf .wmf) → a file in `out_dir` of the modern type;
        or any document to `target_ext` ('pdf' for a .docx)."""
        target_ext = target_ext or TARGETS[source.suffix.lower()]
        if not self.available:
            raise ConversionError("服务器上没有安装 LibreOffice，无法转换旧版格式")
        out_dir.mkdir(parents=True, exist_ok=True)
        if self.python is None or target_ext == "png":
            return convert_cold(source, target_ext, out_dir, self.timeout, self.soffice)
        target = out_dir / f"{source.stem}.{target_ext}"
        try:
            self._warm_convert(source, target, target_ext)
        except ConversionError as exc:
            # the warm instance may have died or be in a bad state: start afresh next time and
            # give this file its own cold start before calling it a failure
            log.info("warm conversion of %s failed (%s); trying a cold start", source, exc)
            self.close()
            return convert_cold(source, target_ext, out_dir, self.timeout, self.soffice)
        return target

    def close(self) -> None:
        if os.getpid() != self.owner:
            return            # not ours to stop (a forked copy of the parent's converter)
        if self.client_proc is not None:
            _kill_group(self.client_proc)
            self.client_proc = None
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc = None
        if self.profile is not None:
            self.profile.cleanup()
            self.profile = None


def _pump(stream, answers: "queue.Queue") -> None:
    """The client's answers, a line each, for `get(timeout=…)` (a pipe cannot be read with a timeout
    portably)."""
    for line in stream:
        answers.put(line.strip())
    answers.put("FAIL client ended")


_shared: Converter | None = None


def shared_converter() -> Converter:
    """One converter per process (the watcher and batch runs keep LibreOffice warm). It is closed
    at exit — in multiprocessing workers too, where atexit does not run."""
    global _shared
    if _shared is None or _shared.owner != os.getpid():
        _shared = Converter(warm=os.environ.get("TAIZHANG_WARM_LIBREOFFICE", "1") != "0")
        import atexit
        from multiprocessing import util
        atexit.register(_shared.close)
        util.Finalize(_shared, _shared.close, exitpriority=10)
    return _shared


if __name__ == "__main__":   # pragma: no cover - manual check: python -m pipeline.reading.convert FILE
    with Converter() as conv:
        print(conv.convert(Path(sys.argv[1]), Path(tempfile.mkdtemp())))
