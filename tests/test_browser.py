"""The page in a real Chromium: rendering, HTML escaping of hostile ads, upload and download.

Runs ``streamlit run app.py`` on a free local port and drives it with Playwright. Needs the
Debian ``chromium`` package at /usr/bin/chromium: skipped without it, except on CI (``CI=true``)
where a missing browser is a failure. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from detector import Detector, ModelError

try:
    from playwright import sync_api
except ImportError:  # the dev extra is not installed
    sync_api = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
WAIT_MS = 90_000
PAYLOADS = (
    "<img src=x onerror=alert(1)> <script>alert('xss')</script> "
    '<a href="javascript:alert(2)">apply</a> [click here](javascript:alert(3))'
)
SCAM = (
    "URGENT hiring! Customer service for an online company in Cambodia. Salary $1,200/month, "
    "no experience needed. Free flight and free visa, leave within 7 days. Pay a registration "
    "fee of $150 first. WhatsApp only: +62 812-0000-2001"
)


def _require(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why} (required on CI)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.25)  # polling a starting server; not a fixed sleep
    raise TimeoutError(f"streamlit did not answer {url} within {seconds} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require(sync_api is not None, "playwright is not installed (pip install -e '.[dev]')")
    _require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        Detector.load()
    except ModelError as exc:
        _require(False, f"no usable model: {exc}")
    port = _free_port()
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",  # as `jobscam app` runs it: no Deploy button for readers
            "viewer",
        ],  # fmt: skip
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, 60)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_page_escapes_hostile_ad_and_scans_a_file(server: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        try:
            context = browser.new_context(
                accept_downloads=True, viewport={"width": 1300, "height": 3200}
            )
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)

            def on_dialog(d: sync_api.Dialog) -> None:
                dialogs.append(d.message)
                d.dismiss()

            page.on("dialog", on_dialog)
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto(server)
            box = page.get_by_role("textbox", name="The job ad")
            box.wait_for()
            box.fill(PAYLOADS + " \u202etxet desrever\u202c" + "\n\n" + SCAM)
            box.press("Control+Enter")  # commit the text area before the click
            page.get_by_role("button", name="Check this ad").click()

            marks = page.locator("mark.jobscam-flag")
            marks.first.wait_for()
            assert marks.count() >= 4
            badge = page.locator(".jobscam-badge")
            assert badge.get_attribute("data-risk") == "high"
            assert "HIGH risk" in badge.inner_text()
            shown = page.locator(".jobscam-ad").inner_text()
            assert "<img src=x onerror=alert(1)>" in shown  # the payload is visible as text
            assert "[click here](javascript:alert(3))" in shown
            # Issue 13, item 18: a right-to-left override is shown, not obeyed.
            assert "\u202e" not in shown and "⟨U+202E⟩txet desrever⟨U+202C⟩" in shown
            assert page.locator("img[src='x']").count() == 0
            assert page.locator("a[href^='javascript']").count() == 0
            assert page.locator(".jobscam-ad script, .jobscam-legend script").count() == 0
            assert page.get_by_text("1500 630").count() >= 1  # +62 contact: Indonesian channels
            page.screenshot(path=str(ARTIFACTS / "check.png"), full_page=True)

            # Scan a small CSV and download the results.
            src = tmp_path / "ads.csv"
            with src.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["text"])
                w.writerow([SCAM])
                w.writerow(["Dental receptionist at Oak Street clinic, $20/hr, apply online."])
                w.writerow([""])
            page.get_by_role("tab", name="Scan a file").click()
            page.locator("input[type='file']").set_input_files(str(src))
            download_btn = page.get_by_role("button", name="Download results as CSV")
            download_btn.wait_for()
            with page.expect_download() as info:
                download_btn.click()
            out = tmp_path / "scored.csv"
            info.value.save_as(out)
            with out.open(encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            assert [r["line"] for r in rows] == ["2", "3", "4"]  # CSV line numbers
            assert rows[0]["risk"] == "high"
            assert rows[2]["error"]  # the empty row is reported, not dropped
            page.screenshot(path=str(ARTIFACTS / "scan.png"), full_page=True)

            # Issue 13, item 17: a file's column names in an error render as text: no live
            # link, no image fetched.
            hostile = tmp_path / "hostile.csv"
            hostile.write_bytes(
                b"[Log in again](https://evil.example/login),![x](http://evil.example/p.png)\nx,y\n"
            )
            page.locator("input[type='file']").set_input_files(str(hostile))
            error = page.get_by_text("no column to score").first
            error.wait_for()
            shown = error.inner_text().replace("\u2060", "")  # the joiner that stops autolinks
            assert "[Log in again](https://evil.example/login)" in shown
            assert page.locator("a[href*='evil.example']").count() == 0
            assert page.locator("img[src*='evil.example']").count() == 0
            assert not [u for u in requested if "evil.example" in u]
            assert dialogs == []
        finally:
            browser.close()


def test_readers_see_no_deploy_button_and_a_tap_explains_a_highlight(server: str) -> None:
    """Phone width, Indonesian page: Streamlit's Deploy button is hidden (viewer toolbar), and
    tapping a highlight shows its explanation (a title tooltip needs a mouse)."""
    ad = "Dicari admin online ke Kamboja, gaji 15jt, visa turis. Hub WA 0812 3456 7801"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True)
            page.goto(server)
            page.wait_for_selector("textarea", timeout=60_000)
            page.get_by_text("Bahasa Indonesia").click()
            page.get_by_role("button", name="Periksa lowongan ini").wait_for(timeout=30_000)
            page.locator("textarea").fill(ad)
            page.locator("textarea").press("Control+Enter")
            page.get_by_role("button", name="Periksa lowongan ini").click()
            page.wait_for_selector(".jobscam-badge", timeout=60_000)
            assert page.get_by_text("Deploy", exact=True).count() == 0
            assert page.get_by_text("Ketuk atau arahkan kursor").count() == 1
            mark = page.locator("mark.jobscam-flag").first
            mark.tap()
            tip = mark.evaluate("e => getComputedStyle(e, '::after').content")
            assert "kategori:" in tip and "alasan:" in tip
        finally:
            browser.close()
