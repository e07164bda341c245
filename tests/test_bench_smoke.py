"""The benchmarks still run (tiny sizes): a broken benchmark is found here, not at year end."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_bench_ingest_runs():
    out = run("bench_ingest.py", "--rows", "50", "--repeat", "1")
    assert "花名册 50 行" in out and "倍数" in out


def test_bench_word_runs():
    out = run("bench_word.py", "--docs", "2", "--legacy", "1")
    assert "Word 会议记录入库" in out


def test_bench_start_runs():
    out = run("bench_start.py", "--rows", "50", "--repeat", "1", "--no-peer")   # (the peer needs its own environment)
    assert "taizhang --help" in out and "calamine 读取（新下限）" in out and "validate 50 行花名册" in out
    assert "ingest 50 行花名册" in out


def test_bench_memory_runs():
    out = run("bench_memory.py", "--rows", "300")
    assert "taizhang validate：openpyxl 读取 峰值" in out and "taizhang ingest" in out


def test_bench_queue_ingest_runs():
    import pytest

    from .pgserver import binaries
    if binaries() is None:
        pytest.skip("PostgreSQL server binaries are not installed (quickstart.sh installs postgresql)")
    out = run("bench_queue_ingest.py", "--files", "4", "--workers", "1")
    assert "监视进程自己处理（不经队列）" in out and "交给 1 个工作进程" in out
