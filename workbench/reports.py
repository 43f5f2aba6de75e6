"""Reports for readers: an executed notebook as an HTML page without code.

:func:`build_report` turns an executed notebook into a page a clinician or a journal can read: a
proper title, no code cells and no injected-parameters cell, the parameters shown once as a table
(name, value, what it means), no lines left by :func:`~workbench.notebooks.record`, the result
tables as the result objects format them, and the figures embedded. With ``figures=True`` every
figure is also written as a PNG file (300 dpi when the notebook called :func:`capture_figures`,
else the PNG shown in the notebook) and, when the notebook captured it, an SVG file.

The same builder renders the pages of the pipelines (through
:func:`workbench.notebooks.render_html`), with the code shown or not, and the T1 job's report.
"""

from __future__ import annotations

import base64
import copy
import html
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

from ._files import write_text_atomic

__all__ = ["build_report", "setup_notebook", "capture_figures", "format_tables", "html_page",
           "parameter_table", "ipython_shell", "FIGURE_MIMETYPE", "RECORD_MIMETYPE", "REPORT_CSS"]

#: Mimetype of the print-quality copies of a figure that :func:`capture_figures` adds.
FIGURE_MIMETYPE = "application/vnd.workbench.figure+json"

#: Mimetype of the display outputs written by :func:`workbench.notebooks.record` (left out of
#: the page).
RECORD_MIMETYPE = "application/vnd.workbench.record+json"

#: The style of every page: readable text width, tables that fit, no prompts.
REPORT_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1d;
       line-height: 1.5; margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5em 2em 3em; }
h1 { font-size: 1.7em; line-height: 1.25; margin: 0.4em 0 0.6em; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.5em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
p, li { max-width: 52em; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; }
.jp-InputPrompt, .jp-OutputPrompt, .jp-InputArea-prompt, .jp-OutputArea-prompt { display: none; }
.jp-Cell { margin: 0; }
.jp-OutputArea-output { margin: 0.3em 0 0.8em; overflow-x: auto; }
.jp-RenderedText pre, pre { font-size: 0.85em; white-space: pre-wrap; }
.jp-InputArea-editor, .highlight { background: #f6f8fa; border-radius: 4px; padding: 0.2em 0.6em;
       font-size: 0.85em; overflow-x: auto; }
.dataframe, .wb-table { font-size: 0.9em; }
.dataframe td, .dataframe th { padding: 0.2em 0.6em; border-bottom: 1px solid #e3e3e3; }
.wb-parameters th { text-align: left; border-bottom: 1px solid #444; padding: 0.25em 0.6em; }
.wb-parameters td { padding: 0.2em 0.6em; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
.wb-parameters td:first-child, .wb-parameters code { font-family: ui-monospace, monospace;
  font-size: 0.95em; }
.wb-parameters td:nth-child(2) { max-width: 24em; overflow-wrap: anywhere; }
.anchor-link { display: none; }
.wb-figures { font-size: 0.85em; color: #555; }
"""


def ipython_shell() -> Any:
    """The IPython shell this code runs in (a notebook kernel), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return None
    return get_ipython()


def capture_figures(dpi: int = 300) -> None:
    """In a notebook: every matplotlib figure shown also carries a PNG at ``dpi`` and an SVG.

    Call it once in the notebook's first code cell. The copies travel in the executed notebook
    under the mimetype :data:`FIGURE_MIMETYPE`; :func:`build_report` writes them as files and
    leaves them out of the page. Outside IPython it does nothing.
    """
    shell = ipython_shell()
    if shell is None:
        return
    import matplotlib.pyplot as plt
    from IPython.core.formatters import BaseFormatter
    from matplotlib.figure import Figure

    # the inline backend resets the figure formatters when it starts: start it first
    plt.close(plt.figure())
    from traitlets import ObjectName, Unicode

    class _FigureFormatter(BaseFormatter):
        format_type = Unicode(FIGURE_MIMETYPE)
        print_method = ObjectName("_repr_workbench_figure_")
        _return_type = (dict,)

    def copies(fig) -> dict:
        import io

        png, svg = io.BytesIO(), io.StringIO()
        fig.savefig(png, format="png", dpi=dpi, bbox_inches="tight")
        fig.savefig(svg, format="svg", bbox_inches="tight")
        return {"png": base64.b64encode(png.getvalue()).decode("ascii"), "svg": svg.getvalue(),
                "dpi": dpi}

    formatters = shell.display_formatter.formatters
    if FIGURE_MIMETYPE not in formatters:
        formatters[FIGURE_MIMETYPE] = _FigureFormatter(parent=shell.display_formatter)
    formatters[FIGURE_MIMETYPE].for_type(Figure, copies)


def format_tables() -> None:
    """In a notebook: every DataFrame shown is formatted for people (:func:`table_html`).

    p-values as "0.034"/"<0.001", counts as whole numbers, rates as percentages, readable column
    labels and "-" for what does not exist; the DataFrame itself is not changed. Outside IPython
    it does nothing.
    """
    shell = ipython_shell()
    if shell is None:
        return
    import pandas as pd

    from .results import table_html

    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)


def setup_notebook(dpi: int = 300) -> None:
    """In a notebook's first code cell: :func:`capture_figures` and :func:`format_tables`."""
    capture_figures(dpi)
    format_tables()


def _parameter_notes(source: str) -> dict[str, str]:
    """``name -> comment`` of the assignments of a parameters cell."""
    notes = {}
    for line in source.splitlines():
        m = re.match(r"\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=\s*.*?#\s*(.+)$", line)
        if m:
            notes[m.group(1)] = m.group(2).strip()
    return notes


def _show_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _inline_code(text: str) -> str:
    """Escaped text whose `backticked` names are shown as code, as Markdown shows them."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def parameter_table(source: str, values: dict[str, Any]) -> str:
    """The parameters of a run as an HTML table: name, value and the comment of the cell.

    ``source`` is the parameters cell; ``values`` the values the run used (defaults and injected).
    """
    notes = _parameter_notes(source)
    names = list(values)
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{html.escape(_show_value(values[n]))}</td>"
        f"<td>{_inline_code(notes.get(n, ''))}</td></tr>" for n in names)
    return ('<table class="wb-table wb-parameters"><thead><tr><th>Parameter</th><th>Value</th>'
            f"<th>Meaning</th></tr></thead><tbody>{rows}</tbody></table>")


def html_page(title: str, body: str, *, css: str = "") -> str:
    """A complete HTML page with the report style (no scripts, nothing fetched from outside)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{REPORT_CSS}{css}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")


def _title_of(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"[*_`]", "", m.group(1)).strip()
    return fallback


def _run_parameters(nb, parameters_source: str | None) -> dict[str, Any]:
    """Defaults of the parameters cell overridden by the values papermill injected."""
    values: dict[str, Any] = {}
    if parameters_source:
        import ast

        try:
            tree = ast.parse(parameters_source)
        except SyntaxError:
            tree = ast.parse("")
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and node.value is not None:
                        try:
                            values[t.id] = ast.literal_eval(node.value)
                        except ValueError:
                            values[t.id] = ast.unparse(node.value)
    injected = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    values.update(injected)
    return values


def build_report(notebook: str | os.PathLike, target: str | os.PathLike, *,
                 title: str | None = None, hide_code: bool = True, parameters: bool = True,
                 figures: bool = False, intro_html: str = "") -> dict[str, Any]:
    """Render an executed notebook as an HTML page for readers; returns the paths written.

    Parameters
    ----------
    notebook : path-like
        An executed notebook (papermill's output or a saved notebook).
    target : path-like
        The HTML file, written atomically.
    title : str, optional
        The page title (default: the notebook's first ``#`` heading, else its file name).
    hide_code : bool, default True
        Leave out the code cells; with False the code is shown (the notebook as it ran).
    parameters : bool, default True
        Show the parameters once, as a table of name, value and meaning, where the parameters
        cell was; with False they are left out. The injected-parameters cell is never shown.
    figures : bool, default False
        Also write every figure as ``<target stem>_figures/figure-NN.png`` (300 dpi when the
        notebook called :func:`capture_figures`) and ``.svg`` (when captured).
    intro_html : str, optional
        HTML placed under the title (a summary written by the caller).

    Returns
    -------
    dict
        ``html`` (the page), ``png`` and ``svg`` (lists of figure files, empty without
        ``figures``).
    """
    import nbformat
    from nbconvert import HTMLExporter

    notebook, target = Path(notebook), Path(target)
    nb = nbformat.read(str(notebook), as_version=4)
    page_title = title or nb.metadata.get("title") or _title_of(nb, notebook.stem)
    figure_dir = target.with_name(f"{target.stem}_figures")
    written: dict[str, Any] = {"html": target, "png": [], "svg": []}
    if figures and figure_dir.is_dir():
        for old in figure_dir.glob("figure-*"):
            old.unlink()

    cells = []
    params_src = next((c.source for c in nb.cells
                       if "parameters" in c.metadata.get("tags", [])), None)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            continue
        if "parameters" in tags:
            if parameters:
                values = _run_parameters(nb, params_src)
                table = parameter_table(params_src or "", values)
                cells.append(nbformat.v4.new_markdown_cell(
                    f'<p><strong>Parameters of this run</strong></p>\n{table}'))
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if hide_code and RECORD_MIMETYPE in data:
                    continue
                if hide_code and out.get("output_type") == "stream" and out.get("name") == "stderr":
                    continue
                if FIGURE_MIMETYPE in data or "image/png" in data:
                    if figures:
                        _write_figure(data, figure_dir, len(written["png"]) + 1, written)
                    data.pop(FIGURE_MIMETYPE, None)
                kept.append(out)
            cell.outputs = kept
            if hide_code and not kept:
                continue
        cells.append(cell)
    nb.cells = cells
    nb.metadata["title"] = page_title

    exporter = HTMLExporter(template_name="basic", exclude_input=hide_code,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    count = itertools.count(1)
    body = re.sub(r"<img (?![^>]*\balt=)", lambda m: f'<img alt="Figure {next(count)}" ', body)
    css = ""
    if not hide_code:
        from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

        css = HtmlFormatter(style="default").get_style_defs(".highlight")
    head = f"<h1>{html.escape(page_title)}</h1>\n" if not _starts_with_title(nb) else ""
    extra = ""
    if written["png"]:
        links = ", ".join(f'<a href="{html.escape(figure_dir.name)}/{html.escape(p.name)}">'
                          f"{html.escape(p.stem)}</a>" for p in written["png"])
        kinds = "PNG and SVG" if written["svg"] else "PNG"
        extra = f'<p class="wb-figures">Figures as files ({kinds}): {links}.</p>'
    write_text_atomic(target, html_page(page_title, head + intro_html + body + extra, css=css))
    return written


def _starts_with_title(nb) -> bool:
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    return first is not None and bool(re.match(r"\s*#\s", first.source))


def _write_figure(data: dict, folder: Path, number: int, written: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"figure-{number:02d}"
    copies = data.get(FIGURE_MIMETYPE)
    if isinstance(copies, str):
        copies = json.loads(copies)
    if isinstance(copies, dict) and copies.get("png"):
        png = base64.b64decode(copies["png"])
    else:
        raw = data["image/png"]
        png = base64.b64decode(raw if isinstance(raw, str) else "".join(raw))
    stem.with_suffix(".png").write_bytes(png)
    written["png"].append(stem.with_suffix(".png"))
    if isinstance(copies, dict) and copies.get("svg"):
        stem.with_suffix(".svg").write_text(copies["svg"], encoding="utf-8")
        written["svg"].append(stem.with_suffix(".svg"))
