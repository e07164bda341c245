"""The 台账总览 pages in a real browser: Debian's Chromium, headless, driven by selenium over
file:// — the way an office opens them from the shared folder. Skipped, with the reason, only where
no browser can be installed."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline.checking.schedule import PASSED, REJECTED
from pipeline.documents.overview import BRANCH_PAGE, OVERVIEW_FOLDER, OVERVIEW_NAME, write_overviews

from .conftest import BRANCH
from .test_schedule import OTHER, at, meetings, registry_filled, roster_before, sent

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="没有可用的浏览器：请安装 Debian 的 chromium 和 chromium-driver（bash quickstart.sh test 以 root 运行时自动安装）")
GREEN_RGB, RED_RGB, YELLOW_RGB = "rgba(212, 237, 218, 1)", "rgba(248, 208, 204, 1)", "rgba(255, 243, 191, 1)"


def browser(tmp_path: Path, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture(scope="module")
def pages(tmp_path_factory, college):
    """A workspace where BRANCH sent October's records on time and OTHER's roster was sent back."""
    from pipeline.documents.blank import save_workbook
    from pipeline.operations.ingest import ingest
    from pipeline.workspace import Workspace
    tmp_path = tmp_path_factory.mktemp("overview")
    ws = Workspace.open(tmp_path / "ws")
    ws.init()
    z1 = ingest(save_workbook(registry_filled(college, dt.date(2026, 1, 6)), tmp_path / "z1.xlsx"), ws,
                received=at(dt.date(2026, 1, 6)))
    assert z1.status == "accepted", [i.text() for i in z1.errors]
    meetings(ws, tmp_path, [dt.date(2026, 10, 9)], at(dt.date(2026, 11, 3)))
    rows = roster_before(college.branch(OTHER), dt.date(2026, 11, 1))
    rows[0][5] = "110101199003071235"
    bad = sent(ws, tmp_path / "花名册.xlsx", "A1", rows, at(dt.date(2026, 11, 4)), branch=OTHER)
    assert bad.status == "rejected"
    write_overviews(ws, 2026, dt.date(2026, 11, 10))
    return ws, bad


def _cell(driver, table_id: str, row_name: str, column: str):
    from selenium.webdriver.common.by import By
    table = driver.find_element(By.CSS_SELECTOR, f"#{table_id} table")
    heads = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    row = table.find_element(By.CSS_SELECTOR, f'tbody tr[data-name="{row_name}"]')
    return row.find_elements(By.CSS_SELECTOR, "th, td")[heads.index(column)]


def test_the_college_page_in_a_browser(pages, tmp_path):
    from selenium.webdriver.common.by import By
    ws, bad = pages
    page = ws.outbox / OVERVIEW_FOLDER / OVERVIEW_NAME
    driver = browser(tmp_path)
    try:
        driver.get(page.as_uri())
        assert driver.title.startswith("台账总览（2026年）")
        ok = _cell(driver, "month", BRANCH, "组织生活记录").find_element(By.CSS_SELECTOR, ".cell")
        assert ok.get_attribute("data-state") == PASSED and ok.text == "✓ 11月3日"
        assert ok.get_attribute("title").startswith("10月：通过（11月3日）")
        assert ok.value_of_css_property("background-color") == GREEN_RGB
        late = _cell(driver, "month", OTHER, "组织生活记录").find_element(By.CSS_SELECTOR, ".cell")
        assert "逾期5天" in late.text and late.value_of_css_property("background-color") == RED_RGB
        rejected = _cell(driver, "month", OTHER, "党员花名册").find_element(By.CSS_SELECTOR, ".cell")
        assert rejected.get_attribute("data-state") == REJECTED and "退回未改" in rejected.text
        october = _cell(driver, "year", BRANCH, "10月")            # records sent, dues not: one unfinished
        assert october.text == "1" and october.value_of_css_property("background-color") == RED_RGB
        assert "组织生活记录10月：通过" in october.get_attribute("title")
        assert _cell(driver, "year", OTHER, "10月").text == "2"
        # the 催交 list names OTHER with its secretary
        remind = driver.find_element(By.ID, "remind").text
        assert OTHER in remind and "逾期事项" in remind
        assert "110101199003071235" not in driver.page_source
        # filtering and sorting (JavaScript): the box appears, typing hides other branches
        box = driver.find_element(By.ID, "filter")
        assert box.is_displayed()
        box.send_keys("教务处")
        visible = [r.get_attribute("data-name") for r in driver.find_elements(By.CSS_SELECTOR, "#year tbody tr")
                   if r.is_displayed()]
        assert visible == [OTHER]
        box.clear()
        box.send_keys(" ")                       # an empty query shows everything again
        driver.find_element(By.CSS_SELECTOR, "#year thead th:nth-child(11)").click()   # sort by October
        first = driver.find_element(By.CSS_SELECTOR, "#year tbody tr").get_attribute("data-name")
        assert first is not None
        driver.save_screenshot(str(tmp_path / "overview.png"))
        assert (tmp_path / "overview.png").read_bytes()[:4] == b"\x89PNG"
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        # a cell's link opens its receipt
        rejected.find_element(By.TAG_NAME, "a").click()
        assert driver.current_url.endswith(quote(bad.receipt.name))
        assert "台账提交回执" in driver.find_element(By.TAG_NAME, "body").text
    finally:
        driver.quit()


def test_the_pages_read_the_same_without_javascript(pages, tmp_path):
    from selenium.webdriver.common.by import By
    ws, _ = pages
    driver = browser(tmp_path, javascript=False)
    try:
        driver.get((ws.outbox / OVERVIEW_FOLDER / OVERVIEW_NAME).as_uri())
        assert not driver.find_element(By.ID, "filter").is_displayed()      # the filter needs JavaScript
        ok = _cell(driver, "month", BRANCH, "组织生活记录")
        assert "✓ 11月3日" in ok.text
        assert _cell(driver, "year", OTHER, "10月").value_of_css_property("background-color") == RED_RGB
        assert driver.find_element(By.CSS_SELECTOR, "#branches svg").is_displayed()
        # the branch's own page, next to its receipts
        driver.get((ws.receipts / OTHER / BRANCH_PAGE).as_uri())
        body = driver.find_element(By.TAG_NAME, "body").text
        assert OTHER in body and BRANCH not in body and "退回后尚未改正的文件" in body
        driver.save_screenshot(str(tmp_path / "branch.png"))
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()
