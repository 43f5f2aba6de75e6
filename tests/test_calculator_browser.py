"""The power calculator page end to end, as a grant writer uses it, in headless Chromium.

The Voila server runs as a subprocess on a free local port; the page is driven through playwright
(``tests/browser.py``): T1's figures, the sample size shown against ``wb.power_survival``, a change,
a bad entry, the simulation check, the downloads (the YAML re-run through the command line, the
.docx read with python-docx) and a screenshot for people under ``output/screenshots/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import workbench as wb
from tests.browser import browser_page, screenshot_path  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent
T1 = dict(p1=0.27, p2=0.47, at=48, accrual_time=24, follow_up=48, dropout_probability=0.1,
          dropout_time=12)

# Voila starts a kernel and imports the package: a notebook-sized test, left out of the quick tier
pytestmark = pytest.mark.notebook


@pytest.fixture
def calculator_url(tmp_path):
    """The page's address: ``workbench calculator --json`` runs as a subprocess on a free port
    for the test and is stopped afterwards (SIGTERM stops its Voila server too)."""
    from workbench.calculator.server import server_env

    env = server_env(dict(os.environ, PYTHONPATH=str(ROOT)))
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "calculator", "--json", "--timeout", "300"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=tmp_path)
    try:
        lines = []
        for line in process.stdout:  # printed once the page answers
            lines.append(line)
            if line.startswith("}"):
                break
        assert lines, (tmp_path / "server.log").read_text()
        started = json.loads("".join(lines))
        assert started["url"] == f"http://127.0.0.1:{started['port']}/"
        yield started["url"]
    finally:
        process.terminate()
        try:
            code = process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)
            raise
        finally:
            log.close()
    assert code == 0
    with pytest.raises(ProcessLookupError):  # the Voila server is gone with the command
        os.kill(started["pid"], 0)


def _field(page, name):
    return page.locator(f".wb-field-{name} input:visible, .wb-field-{name} select:visible")


def _enter(page, name, value):
    box = _field(page, name)
    box.fill(str(value))
    box.press("Enter")


def _text_becomes(page, selector, old):
    page.wait_for_function(
        "([s, old]) => { const e = document.querySelector(s); return e && e.textContent !== old; }",
        arg=[selector, old], timeout=60_000)
    return page.inner_text(selector)


def test_calculator_page(browser_page, calculator_url, tmp_path):  # noqa: F811
    page, console_errors = browser_page
    page.goto(calculator_url)
    page.wait_for_selector(".wb-n-total", timeout=180_000)

    # T1's published figures from the seed-trial menu (after another trial, so that it changes)
    page.select_option(".wb-preset select", label="T4")
    _text_becomes(page, ".wb-n-total", "184")
    page.select_option(".wb-preset select", label="T1")
    shown = int(_text_becomes(page, ".wb-n-total", page.inner_text(".wb-n-total")))
    expected = wb.power_survival(**T1, power=0.8)
    assert shown == expected.n_total == 184
    assert int(page.inner_text(".wb-events")) == expected.events == 64
    assert page.inner_text(".wb-n1") == str(expected.n_per_arm[0])

    # a change updates the answer
    _enter(page, "power", 0.9)
    shown = int(_text_becomes(page, ".wb-n-total", "184"))
    expected = wb.power_survival(**T1, power=0.9)
    assert shown == expected.n_total
    assert int(page.inner_text(".wb-events")) == expected.events

    # a bad entry: a message beside the field, and the page keeps working
    _enter(page, "p1", 1.2)
    page.wait_for_selector(".wb-msg-p1:has-text('must be in (0, 1); got 1.2')", timeout=60_000)
    assert "p1" in page.inner_text(".wb-msg-p1")
    page.wait_for_selector(".wb-status-bad", timeout=60_000)
    _enter(page, "p1", 0.27)
    page.wait_for_selector(".wb-status-ok", timeout=60_000)
    assert page.inner_text(".wb-msg-p1").strip() == ""
    assert int(page.inner_text(".wb-n-total")) == expected.n_total

    # check by simulation: simulated power beside the closed form
    page.click(".wb-simulate button, button.wb-simulate")
    page.wait_for_selector(".wb-sim-power", timeout=120_000)
    assert "Simulated power" in page.inner_text(".wb-sim-result")

    # the design file re-runs through the command line
    with page.expect_download() as info:
        page.click("a.wb-download-yaml")
    design = tmp_path / "design.yaml"
    info.value.save_as(design)
    rerun = subprocess.Popen(  # runs while the other downloads are checked
        [sys.executable, "-m", "workbench", "power", "simulate", str(design), "--reps", "500",
         "--seed", "1", "--no-type1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)))

    try:
        # the paragraph as a Word document
        import docx

        with page.expect_download() as info:
            page.click("a.wb-download-docx")
        word = tmp_path / "sample_size.docx"
        info.value.save_as(word)
        text = "\n".join(p.text for p in docx.Document(str(word)).paragraphs)
        assert f"{expected.events} recurrences" in text
        assert f"{expected.n_total} patients" in text
        assert "A simulation of 10,000 replicate trials" in text

        # the figure downloads
        for kind, magic in (("png", b"\x89PNG"), ("svg", b"<?xml")):
            with page.expect_download() as info:
                page.click(f"a.wb-download-{kind}")
            path = tmp_path / f"figure.{kind}"
            info.value.save_as(path)
            assert path.read_bytes().startswith(magic)

        page.set_viewport_size({"width": 1280, "height": 2300})
        page.screenshot(path=str(screenshot_path("calculator.png")), full_page=True)
        assert console_errors == []

        stdout, stderr = rerun.communicate(timeout=300)
    finally:
        if rerun.poll() is None:
            rerun.kill()
            rerun.wait(30)
    assert rerun.returncode == 0, stderr
    out = json.loads(stdout)
    assert out["n_total"] == expected.n_total
    assert out["closed_form_power"] == pytest.approx(
        wb.power_survival(**T1, n_total=expected.n_total).power, rel=1e-6)
    assert abs(out["power"] - out["closed_form_power"]) <= 4 * out["mcse"]  # 500 replicates
