"""The power calculator's page: ipywidgets over :mod:`workbench.calculator.logic`.

One :class:`Calculator` holds the input fields (each with a message beside it for a bad entry),
the answer (sample size per arm and in total, events, power), the power curve, the sensitivity
table, the grant paragraph, the downloads and the "Check by simulation" button. Every change of a
field recomputes the closed form at once; the numbers are sent first, then the figure, the table
and the paragraph; the download files are made once the kernel is idle (a further change cancels
them). The same object works in JupyterLab (:func:`~workbench.calculator.power_calculator`)
and in the Voila page.
"""

from __future__ import annotations

import asyncio
import base64
import html
from typing import Any

import ipywidgets as w  # type: ignore[import-untyped]

from ..exceptions import WorkbenchError
from ..results import format_count as _count
from ..results import format_percent as _pct
from . import logic
from .logic import (
    EFFECT_INPUTS,
    ENDPOINTS,
    PRESETS,
    SPENDING_FUNCTIONS,
    CalculatorInputs,
    CalculatorResult,
)

__all__ = ["Calculator"]

_ALTERNATIVES = [
    ("two-sided", "two-sided"),
    ("one-sided, exp. lower (less)", "less"),
    ("one-sided, exp. higher (greater)", "greater"),
]

# field name -> (label, kind, options); kinds: float, int, choice, text
_FIELDS: dict[str, tuple[str, str, Any]] = {
    "alpha": ("alpha (type I error)", "float", None),
    "alternative": ("alternative", "choice", _ALTERNATIVES),
    "power": ("power", "float", None),
    "n_total": ("patients in total", "int", None),
    "allocation_ratio": ("allocation ratio (n1 / n2)", "float", None),
    "kmax": ("analyses (1 = no interim)", "int", None),
    "type_of_design": ("alpha spending", "choice",
                       [(v, k) for k, v in SPENDING_FUNCTIONS.items()]),
    "effect_input": ("effect given as", "choice", [(v, k) for k, v in EFFECT_INPUTS.items()]),
    "p1": ("p1, experimental", "float", None),
    "p2": ("p2, control", "float", None),
    "at": ("by time (months)", "float", None),
    "median1": ("median, experimental (months)", "float", None),
    "median2": ("median, control (months)", "float", None),
    "hazard_ratio": ("hazard ratio (exp. / control)", "float", None),
    "accrual_time": ("accrual time (months)", "float", None),
    "follow_up": ("follow-up (months)", "float", None),
    "follow_up_type": ("follow-up type", "choice", [
        ("to a calendar end: accrual + follow-up", "calendar"),
        ("fixed: every patient for the follow-up", "fixed")]),
    "dropout_probability": ("loss to follow-up (probability)", "float", None),
    "dropout_time": ("... by time (months)", "float", None),
    "margin": ("non-inferiority margin (0: superiority)", "float", None),
    "difference": ("difference (exp. - control)", "float", None),
    "sd": ("standard deviation", "float", None),
    "rho": ("baseline correlation (0: t-test)", "float", None),
    "dropout": ("drop-out (share without outcome)", "float", None),
}
_SECTIONS = [
    ("The test", ["alpha", "alternative", "power", "n_total", "allocation_ratio", "kmax",
                  "type_of_design"]),
    ("The effect", ["effect_input", "p1", "p2", "at", "median1", "median2", "hazard_ratio",
                    "margin", "difference", "sd", "rho"]),
    ("Accrual, follow-up and drop-out", ["accrual_time", "follow_up", "follow_up_type",
                                         "dropout_probability", "dropout_time", "dropout"]),
]
_SURVIVAL_ONLY = {"effect_input", "at", "median1", "median2", "hazard_ratio", "accrual_time",
                  "follow_up", "follow_up_type", "dropout_probability", "dropout_time"}

_STYLE = """<style>
.wb-calc {font-family: system-ui, sans-serif;}
.wb-calc h2 {margin: 4px 0 2px 0; font-size: 1.5em;}
.wb-calc .wb-section {font-weight: 600; margin: 10px 0 2px 0; color: #333;
  border-bottom: 1px solid #ddd;}
.wb-msg {color: #b00020; font-size: 0.85em; line-height: 1.2;}
.wb-answer {font-size: 1.15em; line-height: 1.6;}
.wb-answer b.wb-big {font-size: 1.6em; color: #0b4f8a;}
.wb-table {border-collapse: collapse; font-size: 0.95em;}
.wb-table td, .wb-table th {padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: right;}
.wb-table td:first-child, .wb-table th:first-child {text-align: left;}
.wb-paragraph {font-size: 0.95em; line-height: 1.45; max-width: 760px;}
.wb-paragraph li {margin-bottom: 3px;}
.wb-downloads a {margin-right: 14px; font-weight: 600;}
.wb-status-bad {color: #b00020; font-weight: 600;}
.wb-stale {opacity: 0.35;}
</style>"""


def _data_link(data: bytes | str, filename: str, mime: str, label: str, kind: str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    b64 = base64.b64encode(raw).decode("ascii")
    return (f'<a class="wb-download wb-download-{kind}" download="{filename}" '
            f'href="data:{mime};base64,{b64}">{html.escape(label)}</a>')


def _markdown_html(text: str) -> str:
    """The paragraph's Markdown (bold and a reference list) as HTML."""
    body, _, refs = text.partition("\n\n**References**\n\n")
    parts = html.escape(body).split("**")
    out = "".join(f"<b>{p}</b>" if k % 2 else p for k, p in enumerate(parts))
    out = "<p>" + out.replace("\n\n", "</p><p>") + "</p>"
    if refs:
        items = "".join(f"<li>{html.escape(line.removeprefix('- '))}</li>"
                        for line in refs.splitlines())
        out += f"<p><b>References</b></p><ul>{items}</ul>"
    return out


class Calculator:
    """The calculator's widgets and their behaviour.

    Parameters
    ----------
    preset : {"T1", "T4", "T5", "T7"} or None, default "T1"
        The seed trial whose figures fill the fields first.
    show_progress : bool, default True
        Show progress bars (tqdm's widget bars in a notebook kernel) while simulating.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole page.
    fields : dict
        The input widget of each field of :class:`~workbench.calculator.logic.CalculatorInputs`.
    messages : dict
        The message widget beside each field (empty when the entry is fine).
    result : CalculatorResult or None
        The current answer (None while a field is bad).
    simulation : SimulatedPower or None
        The last "Check by simulation" for the current answer.
    """

    def __init__(self, preset: str | None = "T1", *, show_progress: bool = True):
        self.show_progress = show_progress
        self._hold = False
        self._pending: asyncio.Handle | None = None
        self.result: CalculatorResult | None = None
        self.simulation: Any = None
        self.fields: dict[str, w.Widget] = {}
        self.messages: dict[str, w.HTML] = {}
        self.rows: dict[str, w.Box] = {}
        self._build()
        start = logic.preset(preset) if preset else CalculatorInputs()
        if preset:
            self.preset.value = preset
        self.set_inputs(start)

    # ---- building --------------------------------------------------------------------------
    def _field_widget(self, name: str, kind: str, options: Any) -> w.Widget:
        layout = w.Layout(width="250px")
        if kind == "float":
            field: w.Widget = w.FloatText(continuous_update=False, layout=layout, step=None)
        elif kind == "int":
            field = w.IntText(continuous_update=False, layout=layout)
        elif kind == "choice":
            field = w.Dropdown(options=options, layout=layout)
        else:
            field = w.Text(continuous_update=False, layout=layout)
        field.add_class(f"wb-field-{name}")
        return field

    def _row(self, name: str, label: str, field: w.Widget) -> w.Box:
        msg = w.HTML("", layout=w.Layout(width="450px", margin="0 0 0 6px"))
        msg.add_class("wb-msg")
        msg.add_class(f"wb-msg-{name}")
        self.messages[name] = msg
        lab = w.HTML(f"<span>{html.escape(label)}</span>", layout=w.Layout(width="210px"))
        row = w.VBox([w.HBox([lab, field]), msg], layout=w.Layout(margin="1px 0"))
        row.add_class(f"wb-row-{name}")
        return row

    def _build(self) -> None:
        self.preset = w.Dropdown(options=[("(none)", "")] + [(k, k) for k in PRESETS],
                                 value="", description="Seed trial",
                                 layout=w.Layout(width="220px"))
        self.preset.add_class("wb-preset")
        self.endpoint = w.ToggleButtons(options=[(v, k) for k, v in ENDPOINTS.items()],
                                        style={"button_width": "210px"})
        self.endpoint.add_class("wb-endpoint")
        self.solve_for = w.ToggleButtons(options=[("Sample size", "n"), ("Power", "power")],
                                         description="Solve for",
                                         style={"button_width": "110px"})
        self.solve_for.add_class("wb-solve-for")
        self.fields["endpoint"], self.fields["solve_for"] = self.endpoint, self.solve_for
        for name, (label, kind, options) in _FIELDS.items():
            self.fields[name] = self._field_widget(name, kind, options)
            self.rows[name] = self._row(name, label, self.fields[name])
        self.arm1 = w.Text(description="arm 1", layout=w.Layout(width="260px"),
                           continuous_update=False)
        self.arm2 = w.Text(description="arm 2", layout=w.Layout(width="260px"),
                           continuous_update=False)
        self.outcome = w.Text(description="outcome", layout=w.Layout(width="260px"),
                              continuous_update=False)
        self.source = w.Text(description="source", layout=w.Layout(width="420px"),
                             continuous_update=False)
        self.section_titles: dict[str, w.HTML] = {}
        left: list[w.Widget] = []
        for title, names in _SECTIONS:
            head = w.HTML(f'<div class="wb-section">{title}</div>')
            self.section_titles[title] = head
            left.append(head)
            left += [self.rows[n] for n in names]
        left += [w.HTML('<div class="wb-section">Words for the paragraph</div>'),
                 self.arm1, self.arm2, self.outcome, self.source]
        self.general = w.HTML("")
        self.general.add_class("wb-msg")
        self.general.add_class("wb-msg-general")
        self.answer = w.HTML("")
        self.answer.add_class("wb-answer")
        self.plot = w.Image(format="png", layout=w.Layout(width="100%", max_width="640px"))
        self.plot.add_class("wb-plot")
        self.sensitivity = w.HTML("")
        self.sensitivity.add_class("wb-sensitivity")
        self.paragraph = w.HTML("")
        self.paragraph.add_class("wb-paragraph")
        self.downloads = w.HTML("")
        self.downloads.add_class("wb-downloads")
        self.status = w.HTML("")
        self.status.add_class("wb-status")
        self.sim_button = w.Button(description="Check by simulation", button_style="primary",
                                   layout=w.Layout(width="200px"))
        self.sim_button.add_class("wb-simulate")
        self.sim_progress = w.Output(layout=w.Layout(width="100%"))
        self.sim_progress.add_class("wb-sim-progress")
        self.sim_result = w.HTML("")
        self.sim_result.add_class("wb-sim-result")
        self.shown = w.VBox([
            self.answer, self.plot,
            w.HTML('<div class="wb-section">If the assumptions are off</div>'), self.sensitivity,
            w.HTML('<div class="wb-section">Check by simulation (10,000 replicates)</div>'),
            self.sim_button, self.sim_progress, self.sim_result,
            w.HTML('<div class="wb-section">Paragraph for the grant</div>'), self.paragraph,
            w.HTML('<div class="wb-section">Take it away</div>'), self.downloads,
        ])
        right = w.VBox([self.general, self.status, self.shown],
                       layout=w.Layout(flex="1 1 auto", padding="0 0 0 24px"))
        title = w.HTML(_STYLE + "<h2>Power and sample size</h2><div>Pick the end point and "
                       "enter the assumptions; the answer, the curve and the paragraph follow "
                       "every change. A seed trial fills in its published figures.</div>")
        self.widget = w.VBox([
            title, w.HBox([self.preset]), self.endpoint, self.solve_for,
            w.HBox([w.VBox(left, layout=w.Layout(width="470px", flex="0 0 auto")), right]),
        ])
        self.widget.add_class("wb-calc")
        for field in [*self.fields.values(), self.arm1, self.arm2, self.outcome, self.source]:
            field.observe(self._changed, "value")
        self.preset.observe(self._preset_chosen, "value")
        self.sim_button.on_click(self._simulate)

    # ---- inputs ----------------------------------------------------------------------------
    def inputs(self) -> CalculatorInputs:
        """The entries as :class:`~workbench.calculator.logic.CalculatorInputs`."""
        values = {name: f.value for name, f in self.fields.items()}
        return CalculatorInputs(
            **values,
            arm_names=(self.arm1.value or "the experimental arm",
                       self.arm2.value or "the control arm"),
            outcome=self.outcome.value or "event", source=self.source.value,
        )

    def set_inputs(self, inputs: CalculatorInputs) -> None:
        """Fill every field from ``inputs`` and recompute once."""
        self._hold = True
        try:
            for name, field in self.fields.items():
                field.value = getattr(inputs, name)
            self.arm1.value, self.arm2.value = inputs.arm_names
            self.outcome.value, self.source.value = inputs.outcome, inputs.source
        finally:
            self._hold = False
        self.update()

    def _preset_chosen(self, change) -> None:
        if change["new"]:
            self.set_inputs(logic.preset(change["new"]))

    def _changed(self, change) -> None:
        if not self._hold:
            self.update()

    # ---- answering -------------------------------------------------------------------------
    def _show_rows(self, inputs: CalculatorInputs) -> None:
        relevant = set(logic.relevant_fields(inputs))
        for name, row in self.rows.items():
            row.layout.display = "" if name in relevant else "none"
        shown = {title: any(n in relevant for n in names) for title, names in _SECTIONS}
        for title, head in self.section_titles.items():
            head.layout.display = "" if shown[title] else "none"

    def update(self) -> None:
        """Check the entries and show the answer (or the messages)."""
        inputs = self.inputs()
        self._show_rows(inputs)
        errors = logic.field_errors(inputs)
        result = None
        if not errors:
            try:
                result = logic.solve(inputs)
            except WorkbenchError as exc:
                errors = {logic.field_of_message(str(exc), inputs): str(exc)}
        for name, msg in self.messages.items():
            msg.value = html.escape(errors.get(name, ""))
        self.general.value = html.escape(errors.get("", ""))
        if result is None:
            self._cancel_files()
            self.result = None
            self.status.value = ('<span class="wb-status-bad">'
                                 "Correct the marked entry; the greyed answer below is for the "
                                 "last good entries.</span>")
            self.shown.add_class("wb-stale")
            self.downloads.value = "Correct the marked entry to download the files."
            self.sim_button.disabled = True
            return
        self.shown.remove_class("wb-stale")
        self.result, self.simulation = result, None
        self.sim_result.value = ""
        self.sim_button.disabled = False
        self.answer.value = self._answer_html(result)
        self.plot.value = logic.figure_bytes(result, "png")
        self.sensitivity.value = self._sensitivity_html(result)
        self.paragraph.value = _markdown_html(logic.paragraph(result, format="markdown"))
        self._schedule_files()

    def _cancel_files(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _schedule_files(self) -> None:
        """Make the download files once the kernel is idle (at once outside an event loop).

        A new change before then cancels them, so that typing is never held up by the files.
        """
        self._cancel_files()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._files_ready()
            return
        self.status.value = '<span class="wb-status-busy">Preparing the downloads...</span>'
        self.downloads.value = "Preparing the downloads..."
        self._pending = loop.call_later(0.05, self._files_ready)

    def _files_ready(self) -> None:
        self._pending = None
        self._texts()
        self.status.value = '<span class="wb-status-ok">Up to date.</span>'

    def _answer_html(self, r: CalculatorResult) -> str:
        i = r.inputs
        e, c = i.arm_names
        lines = [
            f'Patients: <b class="wb-big wb-n-total">{r.n_total}</b> in total, '
            f'<b class="wb-n1">{r.n_per_arm[0]}</b> {html.escape(e)} and '
            f'<b class="wb-n2">{r.n_per_arm[1]}</b> {html.escape(c)}',
        ]
        if r.events is not None:
            lines.append(f'Events needed: <b class="wb-events">{r.events}</b> '
                         f'{html.escape(i.outcome)}s')
        what = "target" if i.solve_for == "n" else "achieved"
        lines.append(f'Power ({what}): <b class="wb-power">{_pct(r.power)}</b>'
                     + (f" &nbsp; hazard ratio {r.hazard_ratio:.3f}" if r.hazard_ratio else ""))
        if r.sequential is not None:
            spending = html.escape(SPENDING_FUNCTIONS[i.type_of_design])
            parts = [f"{i.kmax} analyses, {spending}", *r.notes]
            if i.solve_for == "n":
                parts.insert(1, f"maximum sizes (inflation factor {r.inflation_factor:.3f})")
            lines.append("; ".join(parts))
        lines.append(f'<span style="color:#555">Method: {html.escape(r.method)}</span>')
        return "<br>".join(lines)

    def _sensitivity_html(self, r: CalculatorResult) -> str:
        table = logic.sensitivity_table(r)
        head = (f"<tr><th>scenario</th><th>power with {r.n_total} patients</th>"
                f"<th>patients for {_pct(r.inputs.power)} power</th></tr>")
        body = "".join(
            f"<tr><td>{html.escape(row.scenario)}</td><td>{_pct(row.power)}</td>"
            f"<td>{_count(row.n_total_needed)}</td></tr>"
            for row in table.itertuples())
        return f'<table class="wb-table">{head}{body}</table>'

    def _texts(self) -> None:
        """The download links of the current answer (with the simulation check, if run)."""
        r = self.result
        if r is None:
            return
        md = logic.markdown_file(r, simulation=self.simulation)
        links = [
            _data_link(md, "sample_size.md", "text/markdown", "Paragraph (.md)", "md"),
            _data_link(logic.docx_bytes(r, simulation=self.simulation), "sample_size.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       "Word (.docx)", "docx"),
            _data_link(self.plot.value, "power_curve.png", "image/png", "Figure (.png)", "png"),
            _data_link(logic.figure_bytes(r, "svg"), "power_curve.svg", "image/svg+xml",
                       "Figure (.svg)", "svg"),
            _data_link(logic.design_yaml(r), "design.yaml", "application/x-yaml",
                       "Design (.yaml)", "yaml"),
        ]
        cmd = html.escape(logic.simulation_command(r))
        self.downloads.value = (" ".join(links) + '<div style="color:#555;margin-top:4px">'
                                f"Re-run the design file: <code>{cmd}</code></div>")

    # ---- simulation ------------------------------------------------------------------------
    def _simulate(self, _button=None) -> None:
        r = self.result
        if r is None:
            return
        self.sim_button.disabled = True
        self.sim_progress.clear_output()
        self.sim_result.value = ("Simulating 10,000 trials under these assumptions, then 10,000 "
                                 "with no difference (type I error)...")
        try:
            with self.sim_progress:
                sim = logic.check_by_simulation(r, n_reps=10_000, rng=1,
                                                progress=self.show_progress)
        except WorkbenchError as exc:
            self.sim_result.value = f'<span class="wb-msg">{html.escape(str(exc))}</span>'
            return
        finally:
            self.sim_button.disabled = self.result is None
        if self.result is not r:  # the entries changed meanwhile
            return
        self.simulation = sim
        self.sim_result.value = self._simulation_html(r, sim)
        self.paragraph.value = _markdown_html(
            logic.paragraph(r, format="markdown", simulation=sim))
        self._texts()

    def _simulation_html(self, r: CalculatorResult, sim) -> str:
        extra = ("" if r.sequential is None else
                 " (one final analysis at the maximum size; the interim looks are not simulated)")
        return (f'Simulated power <b class="wb-sim-power">{_pct(sim.power)}</b> '
                f"(95% interval {_pct(sim.ci_lower)} to {_pct(sim.ci_upper)}, Monte Carlo SE "
                f"{_pct(sim.mcse)}) beside the closed form <b>{_pct(sim.closed_form_power)}</b>"
                f"; type I error {_pct(sim.type1_error)}. {sim.n_reps:,} replicates, seed 1"
                f"{extra}.")
