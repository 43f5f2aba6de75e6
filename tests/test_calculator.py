"""The power calculator without a browser: its logic and its widgets, compared with the power
functions (which match rpact) and with rpact's own values from ``tests/reference``."""

from __future__ import annotations

import html
import io
import math
import os
import socket

import numpy as np
import pytest
import yaml

import workbench as wb
from tests.helpers import ref_case, run_error
from workbench.calculator import logic
from workbench.calculator.widgets import Calculator
from workbench.exceptions import InvalidParameterError

T1 = dict(p1=0.27, p2=0.47, at=48, accrual_time=24, follow_up=48, dropout_probability=0.1,
          dropout_time=12)


@pytest.fixture
def calc():
    return Calculator(preset="T1", show_progress=False)


# ---- the widgets -----------------------------------------------------------------------------
def test_t1_defaults_give_the_closed_form_and_rpact(calc):
    expected = wb.power_survival(**T1, power=0.8)
    r = calc.result
    assert (r.n_per_arm, r.n_total, r.events) == (expected.n_per_arm, expected.n_total,
                                                  expected.events)
    rpact = ref_case("sample_size_survival",
                     "rpact_ss_surv_p27_p47_pow80_dropout10_schoenfeld")["outputs"]
    assert r.n_per_arm == [math.ceil(rpact["n1"]), math.ceil(rpact["n2"])] == [92, 92]
    assert r.events == math.ceil(rpact["events_required"]) == 64
    assert 'class="wb-big wb-n-total">184<' in calc.answer.value
    assert 'class="wb-events">64<' in calc.answer.value


def test_a_change_updates_the_answer(calc):
    calc.fields["power"].value = 0.9
    assert calc.result.n_total == wb.power_survival(**T1, power=0.9).n_total
    calc.fields["follow_up_type"].value = "fixed"
    expected = wb.power_survival(**T1, power=0.9, follow_up_type="fixed")
    assert (calc.result.n_total, calc.result.events) == (expected.n_total, expected.events)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("p1", 1.2, "`p1` must be in (0, 1); got 1.2."),
    ("dropout_probability", -0.1, "`dropout_probability` must be in [0, 1); got -0.1."),
    ("alpha", 0.0, "`alpha` must be in (0, 1); got 0.0."),
    ("follow_up", -3.0, "`follow_up` must be a finite number > 0; got -3.0."),
])
def test_a_bad_entry_shows_a_message_beside_its_field_and_the_page_keeps_working(
        calc, name, value, says):
    good = calc.fields[name].value
    calc.fields[name].value = value
    assert calc.messages[name].value == html.escape(says)
    assert calc.result is None and calc.sim_button.disabled
    assert "wb-status-bad" in calc.status.value
    assert all(m.value == "" for k, m in calc.messages.items() if k != name)
    calc.fields[name].value = good
    assert calc.messages[name].value == "" and calc.result.n_total == 184


def test_a_problem_of_the_whole_combination_is_shown_too(calc):
    calc.set_inputs(logic.preset("T5", alternative="two-sided"))
    assert "`alternative` must be &#x27;greater&#x27;" in calc.messages["alternative"].value
    calc.fields["alternative"].value = "greater"
    assert calc.messages["alternative"].value == "" and calc.result.n_total == 560


def test_presets_fill_the_fields_and_show_only_what_matters(calc):
    calc.preset.value = "T4"
    assert calc.endpoint.value == "rates" and calc.fields["p1"].value == 0.57
    assert calc.result.n_total == wb.power_rates(0.57, 0.68, power=0.8).n_total
    assert calc.rows["margin"].layout.display == ""
    assert calc.rows["accrual_time"].layout.display == "none"
    calc.preset.value = "T1"
    assert calc.rows["margin"].layout.display == "none"
    assert calc.rows["accrual_time"].layout.display == ""


def test_the_downloads_are_offered_as_links(calc):
    for kind in ("md", "docx", "png", "svg", "yaml"):
        assert f'wb-download-{kind}" download=' in calc.downloads.value
    assert "workbench power simulate design.yaml" in calc.downloads.value


def test_check_by_simulation_shows_simulated_power_beside_the_closed_form(calc):
    calc.set_inputs(logic.preset("T4", n_total=120, solve_for="power"))
    calc.sim_button.click()
    sim = calc.simulation
    assert sim.n_reps == 10_000
    closed = wb.power_rates(0.57, 0.68, n1=60, n2=60).power
    assert sim.closed_form_power == pytest.approx(closed, rel=1e-9)
    assert abs(sim.power - closed) <= 4 * sim.mcse  # Monte Carlo error of 10,000 replicates
    assert "wb-sim-power" in calc.sim_result.value
    assert "replicate trials" in calc.paragraph.value


def test_power_calculator_is_public():
    assert "power_calculator" in wb.__all__
    calc = wb.power_calculator("T5", display=False)
    assert calc.result.n_per_arm == [280, 280]


# ---- the logic: numbers ----------------------------------------------------------------------
def test_presets_hold_the_design_catalogue_figures():
    """The seed trials' figures agree with ``workbench/design/catalogue`` (T7 at week 12)."""
    for name in ("T4", "T5"):
        design, inputs = wb.load_design(name.lower()), logic.preset(name)
        assert (inputs.p1, inputs.p2) == tuple(arm.p for arm in design.arms)
        assert inputs.arm_names == tuple(arm.name for arm in design.arms)
        assert inputs.margin == (design.margin or 0.0) and inputs.outcome == design.outcome
    t1, inputs = wb.load_design("t1"), logic.preset("T1")
    assert [-math.expm1(-arm.event_time.hazard * inputs.at) for arm in t1.arms] == pytest.approx(
        [inputs.p1, inputs.p2], rel=1e-12)
    assert inputs.arm_names == tuple(arm.name for arm in t1.arms)
    t7, inputs = wb.load_design("t7"), logic.preset("T7")
    control, experimental = (arm.means for arm in t7.arms)
    assert inputs.difference == experimental[-1] - control[-1] and inputs.sd == t7.sd[-1]
    assert inputs.rho == round(t7.rho ** 3, 3)  # AR(1): baseline to the third visit
    assert inputs.dropout == round(1 - math.prod(1 - d for d in t7.dropout), 3)


def test_t4_and_a_non_inferiority_design_match_the_power_functions_and_rpact():
    assert logic.solve(logic.preset("T4")).n_per_arm == wb.power_rates(
        0.57, 0.68, power=0.8).n_per_arm
    res = logic.solve(logic.preset("T5"))
    expected = wb.power_rates(0.23, 0.23, margin=-0.1, alpha=0.025, alternative="greater",
                              power=0.8)
    assert res.n_per_arm == expected.n_per_arm
    rpact = ref_case("sample_size_rates",
                     "rpact_ss_rates_noninferiority_p23_p23_margin10_pow80")["outputs"]
    assert res.n_per_arm == [rpact["ceiling_per_arm"]["n1"], rpact["ceiling_per_arm"]["n2"]]


def test_continuous_uses_the_t_test_or_ancova():
    res = logic.solve(logic.preset("T7"))
    assert res.n_per_arm == wb.power_ancova(difference=-4, sd=6, rho=0.343, dropout=0.143,
                                            power=0.8).n_per_arm
    res = logic.solve(logic.preset("T7", rho=0.0, dropout=0.0))
    assert res.n_per_arm == wb.power_ttest(difference=-4, sd=6, power=0.8).n_per_arm


def test_power_for_a_given_size():
    res = logic.solve(logic.preset("T1", solve_for="power", n_total=150))
    assert res.power == pytest.approx(wb.power_survival(**T1, n_total=150).power, rel=1e-12)
    assert res.n_total == 150 and res.n_per_arm == [75, 75]
    res = logic.solve(logic.preset("T4", solve_for="power", n_total=200, dropout=0.1))
    assert res.power == pytest.approx(wb.power_rates(0.57, 0.68, n_total=180).power, rel=1e-12)


def test_medians_and_hazard_ratio_inputs_give_the_same_trial():
    hr = math.log(1 - 0.27) / math.log(1 - 0.47)
    by_hr = logic.solve(logic.preset("T1", effect_input="hazard_ratio", hazard_ratio=hr))
    m2 = 48 * math.log(2) / -math.log(1 - 0.47)
    by_medians = logic.solve(logic.preset("T1", effect_input="medians", median2=m2,
                                          median1=m2 / hr))
    assert by_hr.n_total == by_medians.n_total == 184 and by_hr.events == 64


def test_interim_looks_inflate_as_rpact():
    """rpact getSampleSizeSurvival / getSampleSizeRates with getDesignGroupSequential(kMax = 3,
    alpha = 0.025, sided = 1, typeOfDesign = "asOF"): maximum events and subjects."""
    case = ref_case("group_sequential",
                    "ss_survival_k3_asOF_p27_p47_t48_accrual24_followup48_power80")["outputs"]
    res = logic.solve(logic.preset("T1", alpha=0.025, alternative="less", dropout_probability=0,
                                   kmax=3))
    assert res.inflation_factor == pytest.approx(case["inflationFactor"], rel=1e-7)
    assert res.events == math.ceil(case["maxNumberOfEvents"])
    assert res.n_per_arm == [math.ceil(case["maxNumberOfSubjects"] / 2)] * 2
    case = ref_case("group_sequential",
                    "ss_rates_k3_asOF_p27_p47_alpha025_1sided_power80")["outputs"]
    res = logic.solve(logic.preset("T4", p1=0.27, p2=0.47, alpha=0.025, alternative="less",
                                   kmax=3))
    assert res.n_per_arm == [math.ceil(case["maxNumberOfSubjects"] / 2)] * 2
    assert "interim analyses" in logic.paragraph(res)


def test_interim_looks_lower_the_power_at_a_given_size():
    fixed = logic.solve(logic.preset("T1", solve_for="power", n_total=184))
    looks = logic.solve(logic.preset("T1", solve_for="power", n_total=184, kmax=3,
                                     type_of_design="asP"))
    assert looks.power < fixed.power
    calc = Calculator(preset=None, show_progress=False)
    calc.set_inputs(looks.inputs)
    assert "normal approximation of the drift" in calc.answer.value
    assert "inflation factor" not in calc.answer.value


def test_sensitivity_table():
    res = logic.solve(logic.preset("T1"))
    table = logic.sensitivity_table(res)
    assert list(table["scenario"]) == ["as entered", "effect 20% smaller",
                                       "drop-out doubled (20%)"]
    hr = math.log(1 - 0.27) / math.log(1 - 0.47)
    lam2 = -math.log(1 - 0.47) / 48
    smaller = wb.power_survival(hr ** 0.8, lambda2=lam2, n_total=184, accrual_time=24,
                                follow_up=48, dropout_probability=0.1, dropout_time=12)
    assert table["power"][1] == pytest.approx(smaller.power, rel=1e-9)
    doubled = wb.power_survival(**{**T1, "dropout_probability": 0.2}, n_total=184)
    assert table["power"][2] == pytest.approx(doubled.power, rel=1e-12)
    assert table["n_total_needed"][2] == wb.power_survival(
        **{**T1, "dropout_probability": 0.2}, power=0.8).n_total


def test_power_curve_passes_through_the_chosen_size():
    res = logic.solve(logic.preset("T4"))
    curve = logic.power_curve_table(res)
    assert curve["n_total"].is_monotonic_increasing and curve["power"].is_monotonic_increasing
    at = curve.set_index("n_total")["power"][res.n_total]
    assert at == pytest.approx(wb.power_rates(0.57, 0.68, n_total=res.n_total).power, rel=1e-12)


def test_field_errors_name_the_field():
    assert logic.field_errors(logic.preset("T4", dropout=1.5)) == {
        "dropout": "`dropout` must be in [0, 1); got 1.5."}
    assert set(logic.field_errors(logic.preset("T1", kmax=0))) == {"kmax"}
    assert set(logic.field_errors(logic.preset("T7", rho=1.0))) == {"rho"}
    with pytest.raises(InvalidParameterError, match="p2"):
        logic.solve(logic.preset("T4", p2=-0.2))


# ---- the logic: texts and files --------------------------------------------------------------
def test_paragraph_names_method_software_and_references():
    text = logic.paragraph(logic.solve(logic.preset("T1")), format="markdown")
    assert "**64 recurrences**" in text and "**184 patients (92 per arm)**" in text
    assert "Schoenfeld" in text and f"outcome-workbench {wb.__version__}" in text
    assert "**References**" in text and "rpact" in text.split("**References**")[1]
    ancova = logic.paragraph(logic.solve(logic.preset("T7")), format="text")
    assert "analysis of covariance" in ancova and "Borm" in ancova


def test_docx_holds_the_paragraph():
    import docx

    res = logic.solve(logic.preset("T1"))
    document = docx.Document(io.BytesIO(logic.docx_bytes(res)))
    texts = [p.text for p in document.paragraphs]
    plain = logic.paragraph(res, format="text", references=False)
    assert plain in texts
    assert any(t.startswith("Schoenfeld D.") for t in texts)


def test_figures():
    res = logic.solve(logic.preset("T1"))
    assert logic.figure_bytes(res, "png").startswith(b"\x89PNG")
    svg = logic.figure_bytes(res, "svg")
    assert b"<svg" in svg[:2000]


@pytest.mark.parametrize("name", ["T1", "T4", "T5", "T7"])
def test_design_yaml_loads_with_the_same_sizes(tmp_path, name):
    res = logic.solve(logic.preset(name))
    path = tmp_path / "design.yaml"
    path.write_text(logic.design_yaml(res))
    design = wb.load_design(str(path))
    assert [a.n for a in design.arms][design.experimental_index] == res.n_per_arm[0]
    assert design.n_total == res.n_total
    assert yaml.safe_load(path.read_text())["type"] == type(design).__name__


@pytest.mark.parametrize("name", ["T1", "T5", "T7"])
def test_the_design_reproduces_the_closed_form_by_simulation(name):
    res = logic.solve(logic.preset(name))
    sim = logic.check_by_simulation(res, n_reps=2000, rng=7, progress=False)
    assert abs(sim.power - res.power) <= 4 * sim.mcse  # Monte Carlo error of 2,000 replicates
    assert np.isfinite(sim.type1_error)


# ---- the command line ------------------------------------------------------------------------
def test_calculator_verb_rejects_a_bad_port(capsys):
    err = run_error(capsys, "calculator", "--port", "70000")
    assert "--port" in err and "70000" in err


def test_markdown_file():
    text = logic.markdown_file(logic.solve(logic.preset("T4")))
    assert text.startswith("# Sample size\n\n")
    assert "606 evaluable patients (303 per arm)" in text and "- Fleiss JL" in text


# ---- starting the page -----------------------------------------------------------------------
def test_the_calculator_task_starts_the_verb(monkeypatch, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tasks.py"
    spec = importlib.util.spec_from_file_location("tasks_for_calculator", path)
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    ran = []
    monkeypatch.setattr(tasks, "setup", lambda: None)
    monkeypatch.setattr(tasks, "_run", lambda *cmd, **kw: ran.append([str(c) for c in cmd]))
    assert tasks.main(["calculator", "--port", "8866"]) == 0
    assert ran == [[str(tasks.PY), "-m", "workbench", "calculator", "--port", "8866"]]
    assert tasks.main(["--help"]) == 0
    assert "python3 tasks.py calculator" in capsys.readouterr().out


def test_the_server_command_and_environment(tmp_path, monkeypatch):
    from workbench.calculator import server

    for name in server.STATE_DIRS:
        monkeypatch.delenv(name, raising=False)
    env = server.server_env(state_dir=tmp_path)
    assert all(env[name].startswith(str(tmp_path)) for name in server.STATE_DIRS)
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(server.TEMPLATE_ROOT)
    assert (server.TEMPLATE_ROOT / "voila" / "templates" / "calculator" / "index.html.j2").is_file()
    cmd = server.voila_command(8123)
    assert "--port=8123" in cmd and "--Voila.ip=127.0.0.1" in cmd and "--no-browser" in cmd
    assert str(server.NOTEBOOK) in cmd and server.NOTEBOOK.is_file()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # the port is free to listen on
        s.bind(("127.0.0.1", server.free_port()))
