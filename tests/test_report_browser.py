"""The T1 report and a notebook page in headless Chromium: they load without console errors, their
figures are present and loaded, there is no code, and screenshots are written for people to read
(``output/screenshots/``)."""

from __future__ import annotations

import dataclasses

import pytest

import workbench as wb
from tests.browser import browser_page, screenshot_path  # noqa: F401  (a fixture)
from tests.helpers import ROOT
from workbench.jobs import run_t1_job
from workbench.reports import build_report

pytestmark = pytest.mark.notebook


def _figures_loaded(page) -> list[int]:
    """naturalWidth of every image of the page, after it has loaded."""
    page.wait_for_load_state("load")
    return page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")


def test_t1_report_in_a_browser(tmp_path, browser_page):  # noqa: F811
    page, console_errors = browser_page
    design = wb.load_design("t1")
    small = dataclasses.replace(design, arms=tuple(
        dataclasses.replace(a, n=n) for a, n in zip(design.arms, (25, 30), strict=True)))
    paths = run_t1_job(tmp_path / "t1", seed=3, design=small, progress=False)
    page.goto(paths["html"].resolve().as_uri())
    widths = _figures_loaded(page)
    page.screenshot(path=str(screenshot_path("t1_report.png")), full_page=True)
    assert console_errors == []
    assert widths and all(w > 0 for w in widths), widths
    assert page.title().startswith("T1: recurrence after remission")
    text = page.inner_text("body")
    # no code, no record lines, no raw numpy reprs; the parameters once, as a table
    for noise in ("import workbench", "wb.record(", "recorded:", "np.float64", "injected"):
        assert noise not in text, noise
    assert text.count("Parameters of this run") == 1
    assert "n_combination" in text and "patients who remitted on combination therapy" in text
    # the methods and results in words, naming the software and the methods
    for words in ("Statistical methods.", "Kaplan-Meier", "log-rank", "Cox proportional hazards",
                  "outcome-workbench", "Results."):
        assert words in text, words
    # figures as files: a 300-dpi PNG and an SVG of the Kaplan-Meier curves
    from PIL import Image

    png = paths["figure_1_png"]
    with Image.open(png) as im:
        assert round(im.info["dpi"][0]) == 300
    assert paths["figure_1_svg"].read_text().lstrip().startswith("<?xml")


def test_notebook_page_in_a_browser(tmp_path, browser_page):  # noqa: F811
    page, console_errors = browser_page
    executed = tmp_path / "nb02.ipynb"
    wb.run_notebook(ROOT / "notebooks" / "02_remission_trials.ipynb", executed,
                    parameters={"trial": "T4", "n_sims": 40, "seed": 1}, progress=False)
    html = tmp_path / "nb02.html"
    written = build_report(executed, html, figures=True)
    page.goto(html.resolve().as_uri())
    widths = _figures_loaded(page)
    page.screenshot(path=str(screenshot_path("notebook_02.png")), full_page=True)
    assert console_errors == []
    assert len(widths) == len(written["png"]) >= 2 and all(w > 0 for w in widths), widths
    assert page.title().startswith("Remission and response trials")
    text = page.inner_text("body")
    for noise in ("np.float64", "rd_ci_lower", "p_chisq_yates", "recorded:", "import "):
        assert noise not in text, noise
    # no table wider than the 1280 px page
    widest = page.eval_on_selector_all("table", "ts => Math.max(...ts.map(t => t.scrollWidth))")
    assert widest <= 1280
