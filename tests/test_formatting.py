"""Tables for people: p-values, counts, sample sizes, percentages, labels, "-" for what does not
exist; the raw numbers stay unrounded in ``.summary`` and JSON; record() shows one compact line;
the report builder leaves out code, injected parameters and record lines."""

from __future__ import annotations

import json
import math

import nbformat
import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.notebooks import RECORD_ENV, RECORD_MIMETYPE, render_html
from workbench.reports import build_report, parameter_table
from workbench.results import (
    MISSING,
    column_kind,
    column_label,
    format_count,
    format_number,
    format_p_value,
    format_percent,
    format_table,
    styled_table,
    table_html,
    table_text,
)


@pytest.mark.parametrize("p, shown", [
    (0.0342, "0.034"), (0.05, "0.050"), (0.00099, "<0.001"), (0.001, "0.001"), (1e-12, "<0.001"),
    (0.9996, "1.000"), (1.0, "1.000"), (np.float64(0.2), "0.200"), (float("nan"), "-"),
    (None, "-"), (pd.NA, "-"),
])
def test_p_values(p, shown):
    assert format_p_value(p) == shown


def test_counts_are_whole_and_sample_sizes_are_rounded_up():
    assert format_count(39.0) == "39"
    assert format_count(np.int64(12)) == "12"
    assert format_count(161.758667) == "162"  # a fraction of a patient is one more patient
    assert format_count(161.2) == "162"
    assert format_count(184.0000000001) == "184"  # floating-point noise is not a patient
    assert format_count(-7.6) == "-8"  # a number needed to harm is rounded up in size as well
    assert format_count(12000) == "12,000"
    assert format_count(float("nan")) == MISSING == "-"
    assert format_count(math.inf) == "∞"


def test_percentages_and_numbers():
    assert format_percent(0.8123) == "81.2%"
    assert format_percent(-0.1316, 0) == "-13%"
    assert format_percent(None) == "-"
    assert format_number(0.45612) == "0.456"
    assert format_number(4.5123) == "4.51"
    assert format_number(161.7) == "162"
    assert format_number(48.0) == "48"
    assert format_number(0.45612, 2) == "0.46"


@pytest.mark.parametrize("name, kind, label", [
    ("p_value", "p", "p"), ("p_chisq_yates", "p", "p (chi-square, Yates)"),
    ("p_fisher", "p", "p (Fisher)"), ("n_risk", "count", "At risk"),
    ("n_total_for_80pct", "count", "Total N for 80% power"), ("events", "count", "Events"),
    ("rate", "percent", "Rate"), ("power", "percent", "Power"),
    ("risk_difference", "percent", "Risk difference"), ("rd_ci_lower", "percent", "RD CI lower"),
    ("hazard_ratio", "ratio", "Hazard ratio"), ("rr_ci_upper", "ratio", "RR CI upper"),
    ("statistic", "statistic", "Statistic"), ("time", "number", "Time"),
    ("p1", "percent", "p (experimental)"), ("dropout_rate", "number", "Drop-out hazard"),
    ("alpha", "level", "Alpha"),
    ("events_not_achieved", "percent", "Events not achieved"),
    ("events_exact", "number", "Events, unrounded"),
    ("n_total_exact", "number", "Total N, unrounded"), ("n1_exact", "number",
                                                       "N (experimental), unrounded"),
    ("mean_events", "number", "Events (mean)"), ("k_mean", "number", "Studies (mean)"),
    ("egger_rejection", "percent", "Egger test rejections"),
    ("coverage_mc_se", "percent", "Coverage MCSE"), ("mc_se", "number", "MCSE"),
    ("ahr", "ratio", "Average hazard ratio"),
    ("stage_level", "level", "Stage level"), ("p_value_bound", "level", "Nominal p bound"),
    ("subjects1", "number", "Subjects (experimental)"),
])
def test_kinds_and_labels(name, kind, label):
    assert column_kind(name) == kind
    assert column_label(name) == label


def _rates_table():
    return pd.DataFrame({
        "group": ["pdt", "cbt"], "reference": ["fluoxetine", "fluoxetine"],
        "risk_difference": [-0.132308, np.nan], "rd_ci_lower": [-0.369377, np.nan],
        "rd_ci_upper": [0.126507, np.nan], "n_risk": [39.0, 41.0],
        "p_chisq": [0.328591, 2e-6], "p_chisq_yates": [0.491908, np.nan],
    })


def test_a_table_for_people():
    raw = _rates_table()
    before = raw.copy()
    shown = format_table(raw, conf_level=0.95)
    pd.testing.assert_frame_equal(raw, before)  # the input is not changed
    assert list(shown.columns) == ["Group", "Reference", "Risk difference", "RD 95% CI", "At risk",
                                   "p (chi-square)", "p (chi-square, Yates)"]
    assert shown.iloc[0].tolist() == ["pdt", "fluoxetine", "-13.2%", "-36.9% to 12.7%", "39",
                                      "0.329", "0.492"]
    # values that do not exist are "-", a tiny p-value is "<0.001"
    assert shown.iloc[1].tolist() == ["cbt", "fluoxetine", "-", "-", "41", "<0.001", "-"]


def test_intervals_take_their_estimates_places_and_kind():
    df = pd.DataFrame({"comparison": ["hazard ratio", "RMST difference"],
                       "estimate": [0.4561, 8.8123], "ci_lower": [0.2171, 2.9111],
                       "ci_upper": [0.9592, 14.7133]})
    shown = format_table(df)
    # values a factor of ten apart: places per row, the interval as its estimate
    assert shown["Estimate"].tolist() == ["0.456", "8.81"]
    assert shown["CI"].tolist() == ["0.217 to 0.959", "2.91 to 14.71"]
    km = pd.DataFrame({"time": [12.0], "survival": [0.975], "ci_lower": [0.835],
                       "ci_upper": [0.996]})
    assert format_table(km, conf_level=0.9)["90% CI"].tolist() == ["83.5% to 99.6%"]


def test_ratios_get_a_third_decimal_when_two_would_merge_rows():
    df = pd.DataFrame({"hazard_ratio": [0.496, 0.5, 0.6]})
    assert format_table(df)["Hazard ratio"].tolist() == ["0.496", "0.500", "0.600"]
    assert format_table(df.iloc[1:])["Hazard ratio"].tolist() == ["0.50", "0.60"]


def test_html_and_text_renderings():
    raw = _rates_table()
    html = table_html(raw, caption="Comparisons", conf_level=0.95)
    assert "<table" in html and "Comparisons" in html and "p (chi-square, Yates)" in html
    assert "rd_ci_lower" not in html and "0.328591" not in html and "&lt;0.001" in html
    assert "overflow-x: auto" in html  # a table wider than the page scrolls, not the page
    assert table_html(raw) == table_html(raw)  # the same table gives the same page
    assert type(styled_table(raw)).__name__ == "Styler"
    text = table_text(raw)
    assert "-13.2%" in text and "rd_ci_lower" not in text
    # a long text is not truncated
    long = pd.DataFrame({"method": ["x" * 120, "y"]})
    assert "x" * 120 in table_text(long)
    # a one-row table of many columns is read downwards
    wide = pd.DataFrame([{f"c{i}": float(i) for i in range(12)}])
    assert format_table(wide, transpose=True).shape == (12, 2)
    assert table_text(wide).count("\n") >= 12


def test_results_render_rounded_and_keep_raw_numbers():
    res = wb.compare_rates(events=[14, 18], totals=[25, 26], labels=["pdt", "fluoxetine"],
                           reference="fluoxetine")
    html, text = res._repr_html_(), str(res)
    for shown in (html, text):
        assert "-13.2%" in shown and "RD 95% CI" in shown and "0.329" in shown
        assert "rd_ci_lower" not in shown and "p_chisq_yates" not in shown
        assert "-0.132308" not in shown and "np.float64" not in shown
    # the raw numbers are unrounded in .summary and the JSON
    assert res.summary.loc[0, "risk_difference"] == pytest.approx(14 / 25 - 18 / 26, rel=1e-12)
    doc = json.loads(json.dumps(res.to_json_dict()))
    assert doc["comparisons"][0]["risk_difference"] == pytest.approx(14 / 25 - 18 / 26, rel=1e-12)

    df = wb.simulate_trial(wb.load_design("t1"), rng=11)
    surv = wb.analyze_survival(df, time="time", event="event", group="arm", times=[12, 24],
                               tau=48, reference="pharmacotherapy")
    km = str(surv.km)
    assert "At risk" in km and "n_risk" not in km
    assert not any(f"{v:.1f}" in km.split() for v in surv.km.table["n_risk"])  # no "39.0"
    assert surv.km.table["n_risk"].dtype.kind in "if"  # the table itself is unchanged


@pytest.fixture
def shell():
    """An IPython shell in this process: record() displays through it (text/plain to stdout)."""
    from IPython.core.interactiveshell import InteractiveShell

    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


@pytest.mark.parametrize("name, value, line", [
    ("hazard_ratio", np.float64(0.4561), "recorded: hazard_ratio = 0.46"),
    ("logrank_p", np.float64(0.0000123), "recorded: logrank_p = <0.001"),
    ("power", 0.8123, "recorded: power = 81.2%"),
    ("n_total", 183.2, "recorded: n_total = 184"),
    ("hazard_ratio_ci", [np.float64(0.2171), 0.9592], "recorded: hazard_ratio_ci = [0.22, 0.96]"),
    ("design", {"type": "BinaryDesign", "arms": []}, "recorded: design"),
    ("km", pd.DataFrame({"a": [1, 2]}), "recorded: km (table, 2 rows)"),
    ("conclusion", "In this trial " * 20, "recorded: conclusion"),
])
def test_record_shows_one_compact_line(shell, capsys, tmp_path, monkeypatch, name, value, line):
    monkeypatch.setenv(RECORD_ENV, str(tmp_path / "r.results.json"))
    wb.record(name, value)
    assert capsys.readouterr().out.strip() == line
    kept = wb.read_results(tmp_path / "r.results.json")[name]  # the value itself, unrounded
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(kept, value)
    else:
        assert kept == (pytest.approx(value) if not isinstance(value, dict | str) else value)


def _executed_notebook(path):
    """A notebook as papermill leaves it: parameters, injected parameters, a record, a table."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"n": 7}}
    params = nbformat.v4.new_code_cell("n = 3  # patients per arm\nlabel = 'x'  # a label")
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell("# Parameters\nn = 7\n")
    injected.metadata["tags"] = ["injected-parameters"]
    record = nbformat.v4.new_code_cell("wb.record('power', 0.81)")
    record.outputs = [nbformat.v4.new_output(
        "display_data", data={RECORD_MIMETYPE: {"name": "power", "kind": "json", "data": 0.81},
                              "text/plain": "recorded: power = 81.0%"})]
    table = nbformat.v4.new_code_cell("df")
    table.outputs = [nbformat.v4.new_output(
        "execute_result", data={"text/html": table_html(_rates_table())}, execution_count=4)]
    nb.cells = [nbformat.v4.new_markdown_cell("# A trial\n\nThe question."), params, injected,
                record, table]
    nbformat.write(nb, str(path))
    return path


def test_report_builder(tmp_path):
    executed = _executed_notebook(tmp_path / "run.ipynb")
    written = build_report(executed, tmp_path / "run.html")
    page = written["html"].read_text()
    assert "<title>A trial</title>" in page and page.count("<h1") == 1
    assert "wb.record" not in page and "recorded:" not in page and "# Parameters" not in page
    assert page.count("Parameters of this run") == 1
    # the injected value, once, with the comment of the parameters cell
    assert "<td>n</td><td>7</td><td>patients per arm</td>" in page
    assert "<script" not in page  # nothing fetched from outside, nothing to fail in a browser
    assert "RD CI" in page
    # with the code shown (a pipeline's page) the parameters are still shown once
    render_html(executed, tmp_path / "code.html", hide_code=False)
    code = (tmp_path / "code.html").read_text()
    assert '<span class="n">record</span>' in code and "# Parameters" not in code
    assert code.count("Parameters of this run") == 1


def test_parameter_table_escapes_and_formats():
    html = parameter_table("a = 1  # <b>bold</b>\n", {"a": 0.25, "b": [1, 2]})
    assert "&lt;b&gt;" in html and "<td>0.25</td>" in html and "<td>[1, 2]</td>" in html
    # a name in backticks reads as code, not as a backtick
    html = parameter_table("h = 48  # months by `horizon` (<1 year `x<y`)\n", {"h": 48})
    assert "<td>months by <code>horizon</code> (&lt;1 year <code>x&lt;y</code>)</td>" in html


def test_unrounded_sizes_and_means_are_not_shown_as_counts():
    sim = wb.simulate_power(wb.load_design("t1"), n_reps=200, rng=1)
    mean_events = sim.summary["mean_events"]
    assert not (mean_events == mean_events.round()).all()  # else the check below cannot fail
    text = str(sim)
    assert "Events (mean)" in text
    for v in mean_events:  # three significant digits, not rounded up to a whole patient
        assert f"{v:.1f}" in text.split()
