#!/usr/bin/env bash
# taizhang quick start: installs what is needed, then runs the demo or the tests.
#   bash quickstart.sh demo    # install, then build and process the sample college
#   bash quickstart.sh test    # install, then run the test suite
# System packages (Debian/Ubuntu) are installed with apt-get when run as root;
# otherwise the script says what to install and goes on with what it can.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-demo}"
shift || true
VENV="${TAIZHANG_VENV:-.venv}"
# Fonts for printed documents (LEDGER-FORMATS.md §4): texlive-lang-chinese brings the Fandol family
# (a real 仿宋/楷体/黑体/宋体 for simplified Chinese), fonts-liberation2 a Times-compatible serif for digits.
# chromium + chromium-driver: the tests open the 台账总览 pages in a real (headless) browser;
# postgresql: the store tests also run against a throwaway PostgreSQL server (initdb in a temp folder).
SYSTEM_PACKAGES=(python3 python3-venv python3-pip libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-draw-nogui python3-uno
                 fonts-noto-cjk fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming fonts-liberation2 texlive-lang-chinese
                 poppler-utils chromium chromium-driver postgresql)

missing_system_packages() {
    local missing=()
    for p in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    echo "${missing[@]:-}"
}

install_system() {
    command -v dpkg-query >/dev/null 2>&1 || { echo "[quickstart] 非 Debian/Ubuntu 系统：请自行安装 Python 3.10+、LibreOffice、中文字体 (Noto CJK)。"; return; }
    local missing
    missing="$(missing_system_packages)"
    [ -z "$missing" ] && return
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "[quickstart] apt-get install $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "[quickstart] 缺少系统软件包 / missing system packages: $missing"
        echo "[quickstart] 请以 root 运行，或执行 / run: sudo apt-get install $missing"
    fi
}

install_python() {
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    local stamp="$VENV/.taizhang-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[test]"
        touch "$stamp"
    fi
}

install_system
install_python

case "$mode" in
    demo) exec "$VENV/bin/taizhang" demo "$@" ;;
    # loadfile: a module's tests share one worker, so the demo college is built once; one worker more
    # than cores: many tests wait on watcher and worker processes, LibreOffice and PostgreSQL
    test) exec "$VENV/bin/python" -m pytest -n "${TAIZHANG_TEST_JOBS:-$(( $(nproc 2>/dev/null || echo 1) + 1 ))}" \
               --dist loadfile -q "$@" ;;
    install) echo "[quickstart] 已安装 / installed: $VENV/bin/taizhang" ;;
    *) echo "usage: bash quickstart.sh demo|test|install" >&2; exit 2 ;;
esac
