"""The package: cheap import, every public name resolves, the command line lists its verbs."""

import subprocess
import sys

import workbench


def test_import_is_cheap():
    code = ("import sys, workbench; heavy = [m for m in ('matplotlib', 'papermill', 'lifelines', "
            "'statsmodels', 'dask') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves():
    missing = [name for name in workbench.__all__ if getattr(workbench, name, None) is None]
    assert missing == []
    import workbench.plotting as plotting

    assert all(callable(getattr(plotting, name)) for name in plotting.__all__)


def test_command_line_lists_every_verb(capsys):
    import pytest

    from workbench.cli import VERBS, main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert all(verb in text for verb in VERBS)
