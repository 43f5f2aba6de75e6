"""The package's structure: layers import one way, no module imports another's private names, long
modules say why, and the public API is what tools see.

Layers, lowest first (``docs/developing.md``): shared utilities, kernels, design, simulate,
analysis, power, plotting, notebooks/pipelines/jobs, command line. Every import inside
``workbench/`` (at module level or deferred inside a function) goes to the same or a lower layer.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).resolve().parent
LAYERS = {
    "exceptions": 0, "_validation": 0, "_files": 0, "_progress": 0, "_parallel": 0,
    "_rootfind": 0, "_version": 0, "results": 0,
    "kernels": 1, "design": 2, "simulate": 3, "analysis": 4, "power": 5, "plotting": 6,
    "notebooks": 7, "pipelines": 7, "jobs": 7, "expectations": 7, "ci_reports": 7,
    "calculator": 7, "reports": 7,
    "commands": 8, "cli": 8, "__main__": 8,
}
TOP = 9  # workbench/__init__.py re-exports everything, lazily
MAX_LINES = 1200


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield path, name, path.name == "__init__.py"


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "workbench":
        return None
    return TOP if len(parts) == 1 else LAYERS[parts[1]]


def _imports(path: Path, module: str, is_package: bool):
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node, target, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield node, a.name, []


def test_every_module_is_in_a_layer():
    unknown = {m.split(".")[1] for _, m, _ in _modules() if m != "workbench"} - set(LAYERS)
    assert not unknown, f"add these to LAYERS and to the developer guide: {sorted(unknown)}"


def test_layers_import_one_way():
    upward = []
    for path, module, is_package in _modules():
        mine = _layer(module)
        for node, target, _ in _imports(path, module, is_package):
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {target}")
    assert not upward, "\n".join(upward)


def _is_module(target: str, name: str) -> bool:
    folder = PACKAGE.parent.joinpath(*target.split("."), name)
    return folder.with_suffix(".py").exists() or (folder / "__init__.py").exists()


def test_no_module_imports_another_modules_private_names():
    # a private module (``_validation``, ``_boundaries``) is the package's own; its public names
    # are shared inside the package, its ``_private`` names are not
    found = []
    for path, module, is_package in _modules():
        for node, target, names in _imports(path, module, is_package):
            if not target.startswith("workbench"):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")
                       and not _is_module(target, n)]
            if private:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {private}")
    assert not found, "\n".join(found)


def test_long_modules_say_why():
    long = []
    for path, _module, _ in _modules():
        text = path.read_text()
        doc = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and "Long by design:" not in doc:
            long.append(f"{path.relative_to(PACKAGE.parent)} ({text.count(chr(10))} lines)")
    assert not long, ("split these or say 'Long by design:' in the module docstring: "
                      + ", ".join(long))


def test_no_class_name_switches():
    hits = [f"{p.relative_to(PACKAGE.parent)}" for p, _, _ in _modules()
            if "type(design).__name__ ==" in p.read_text()
            or "_kind(design)" in p.read_text()]
    assert not hits


def test_all_is_a_literal_list_of_names_that_resolve():
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    literal = [n for n in tree.body if isinstance(n, ast.Assign)
               and any(getattr(t, "id", None) == "__all__" for t in n.targets)]
    assert literal and isinstance(literal[0].value, ast.List), "__all__ must be a literal list"
    names = [e.value for e in literal[0].value.elts]
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(workbench, name) is not None, name


def test_the_simulate_package_and_the_simulation_function_do_not_clash():
    code = ("import workbench.simulate.survival, workbench as wb; "
            "assert callable(wb.simulate_trial); "
            "assert wb.simulate.survival.simulate_survival_arrays")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cheap_import():
    # importing workbench does not import plotting or papermill
    code = ("import sys, workbench; "
            "assert 'matplotlib' not in sys.modules and 'papermill' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_exports_type_checking_imports_and_all_agree():
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    checked = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                checked |= {(f".{imp.module}", a.name) for a in imp.names}
    exported = {(module, name) for name, module in workbench._EXPORTS.items()}
    assert checked == exported
    assert sorted(workbench.__all__) == sorted([*workbench._EXPORTS, "__version__"])
