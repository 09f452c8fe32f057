"""report.html in a real browser: headless Chromium driven over the DevTools protocol.

The page must load with no console errors or exceptions, fetch nothing (self-contained), and
render every plot (naturalWidth > 0); a full-page screenshot goes to artifacts/ (gitignored).
Chromium is Debian's `chromium` package (/usr/bin/chromium, installed by .ci/run); without it
the tests skip with that reason. The protocol runs over Chromium's --remote-debugging-pipe
(NUL-separated JSON on file descriptors 3 and 4, the transport Playwright uses), so no
websocket or WebDriver package is needed.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import select
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from langtransfer.study.report import write_report_files

REPO = Path(__file__).resolve().parents[1].parent
CHROMIUM = Path(os.environ.get("LANGTRANSFER_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "artifacts"
# Flags of /work/.library/env/machines/python.md: headless as root, and no background traffic
# (a closed network refuses Chromium's own connections, many at a time).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
TIMEOUT = 30.0  # seconds for any one protocol answer (a cold start takes ~1 s here)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium; .ci/run "
           "installs it)")


def _synth():
    """tests/unit/study/study_synth.py (the synthetic study shared with the unit tests)."""
    path = REPO / "tests" / "unit" / "study" / "study_synth.py"
    spec = importlib.util.spec_from_file_location("study_synth_browser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Browser:
    """One headless Chromium with a fresh profile, spoken to over the pipe transport."""

    def __init__(self, profile: Path):
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()

        def on_fds_3_and_4() -> None:  # in the child: the pipe ends Chromium expects
            a, b = os.dup(to_child), os.dup(from_child)  # high numbers first: no clobbering
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--window-size=1280,900", "about:blank"],
            preexec_fn=on_fds_3_and_4, close_fds=False,  # keep the dup2'd 3 and 4
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and return its result (protocol errors raise)."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        answer = self.wait(lambda m: m.get("id") == self._id)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def wait(self, match) -> dict:
        """The first message matching `match`; other messages are kept in self.events."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                msg = json.loads(raw)
                if match(msg):
                    return msg
                self.events.append(msg)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buf += chunk

    def open(self, url: str) -> str:
        """A new page at `url`, loaded; returns its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait(lambda m: m.get("method") == "Page.loadEventFired")
        return session

    def evaluate(self, session: str, expression: str):
        """The value of a JavaScript expression in the page."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                        session=session)
        return res["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for ev in self.events:
            method, params = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                  for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append("log: " + params["entry"].get("text", ""))
        return out

    def screenshot(self, session: str, path: Path) -> None:
        """A full-page PNG."""
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                         session=session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, RuntimeError, TimeoutError, EOFError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


IMAGES_JS = ("JSON.stringify(Array.from(document.images).map(i => "
             "({alt: i.alt, complete: i.complete, width: i.naturalWidth})))")


def _check_page(browser: Browser, html: Path, shot: str) -> tuple[str, list[dict]]:
    session = browser.open(html.as_uri())
    images = json.loads(browser.evaluate(session, IMAGES_JS))
    browser.screenshot(session, ARTIFACTS / f"{shot}-{uuid.uuid4().hex[:6]}.png")
    return session, images


def test_report_html_loads_clean_and_renders_every_plot(browser, tmp_path):
    synth = _synth()
    write_report_files(synth.grid_study(), tmp_path / "study")
    session, images = _check_page(browser, tmp_path / "study" / "report.html", "report-browser")
    assert browser.errors() == []
    expected = sorted(p.stem for p in (tmp_path / "study" / "plots").glob("*.png"))
    assert len(images) == len(expected) == 4
    assert all(img["complete"] and img["width"] > 0 for img in images), images
    # self-contained: nothing fetched (data: URIs are not network resources)
    assert browser.evaluate(session, "performance.getEntriesByType('resource').length") == 0
    verdicts = browser.evaluate(session, "Array.from(document.querySelectorAll('.badge'))"
                                         ".map(b => b.textContent)")
    assert verdicts == ["holds"] * 9


def test_report_without_codeswitch_says_not_measured(browser, tmp_path):
    synth = _synth()
    write_report_files(synth.grid_study(codeswitch=False), tmp_path / "study")
    session, images = _check_page(browser, tmp_path / "study" / "report.html", "report-no-cs")
    assert browser.errors() == []
    assert len(images) == 3 and all(img["width"] > 0 for img in images)
    text = browser.evaluate(session, "document.body.innerText")
    assert "Not measured: no codeswitch records" in text


def test_the_checks_catch_a_broken_page(browser, tmp_path):
    """The same checks on a page with a broken image and a console error do fail."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                    '<img alt="bad" src="data:image/png;base64,AAAA">'
                    "<script>console.error('boom')</script></body></html>")
    session = browser.open(page.as_uri())
    images = json.loads(browser.evaluate(session, IMAGES_JS))
    assert images[0]["width"] == 0
    assert any("boom" in e for e in browser.errors())
