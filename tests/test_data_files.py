"""Reading a data file on the command line: say what is wrong with the file and where.

A directory or a device given as the data file says what it is; a column name written twice in the
header is refused, naming it (pandas would rename the second copy and use the first silently), while
a column really named ``x.1`` beside ``x`` is accepted; an empty or NaN value names the column and
the data row (1-based, as a spreadsheet counts rows below the header).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import run_error, run_json
from workbench.analysis.survival import analyze_survival, logrank_test
from workbench.exceptions import DataValidationError

SURV = ["--time", "time", "--event", "event", "--group", "arm", "--json"]


def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


ROWS = "1,1,a\n2,0,b\n3,1,a\n4,1,b\n5,0,a\n6,1,b\n"


# ----------------------------------------------------------------------------------------------
# not a regular file
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("verb", [["survival", *SURV], ["rates", "--outcome", "event", "--group",
                                                        "arm"],
                                  ["meta", "--yi", "g", "--vi", "v"]])
def test_a_directory_says_so(capsys, tmp_path, verb):
    err = run_error(capsys, verb[0], str(tmp_path), *verb[1:])
    assert f"{str(tmp_path)!r} is a directory" in err and "does not exist" not in err


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null on this system")
def test_dev_null_is_not_a_regular_file(capsys):
    err = run_error(capsys, "survival", "/dev/null", *SURV)
    assert "'/dev/null' is not a regular file (a character device)" in err


def test_a_missing_file_and_a_path_under_a_file(capsys, tmp_path):
    err = run_error(capsys, "survival", str(tmp_path / "nope.csv"), *SURV)
    assert "does not exist" in err
    afile = _csv(tmp_path, "time,event,arm\n" + ROWS)
    err = run_error(capsys, "survival", afile + "/x.csv", *SURV)
    assert "does not exist" in err and "a part of the path is a file" in err


# ----------------------------------------------------------------------------------------------
# duplicated column names
# ----------------------------------------------------------------------------------------------
def test_a_duplicated_column_is_refused(capsys, tmp_path):
    path = _csv(tmp_path, "time,event,arm,time\n" + "".join(
        f"{r},{9 - i}\n" for i, r in enumerate(ROWS.splitlines())))
    err = run_error(capsys, "survival", path, *SURV)
    assert "column name 'time' twice" in err and "columns 1 and 4" in err


@pytest.mark.parametrize("verb", [["rates", "--outcome", "event", "--group", "arm"],
                                  ["continuous", "--outcome", "event", "--group", "arm"]])
def test_a_duplicated_column_is_refused_by_every_verb(capsys, tmp_path, verb):
    path = _csv(tmp_path, "event,event,arm\n1,0,a\n0,1,b\n1,1,a\n0,0,b\n")
    err = run_error(capsys, verb[0], path, *verb[1:])
    assert "column name 'event' twice" in err


def test_a_column_named_like_a_renamed_copy_is_accepted(capsys, tmp_path):
    """``time.1`` is a real name here, not pandas' rename of a second ``time``."""
    text = "time,event,arm,time.1\n" + "".join(
        f"{r},{100 + i}\n" for i, r in enumerate(ROWS.splitlines()))
    out = run_json(capsys, "survival", _csv(tmp_path, text), *SURV)
    df = pd.read_csv(tmp_path / "data.csv")
    expected = logrank_test(df, time="time", event="event", group="arm")
    assert out["logrank"]["statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert out["settings"]["time"] == "time"


def test_blank_lines_before_the_header_are_skipped_as_pandas_does(capsys, tmp_path):
    path = _csv(tmp_path, "\n\ntime,event,arm\n" + ROWS)
    assert run_json(capsys, "survival", path, *SURV)["settings"]["n"] == 6


# ----------------------------------------------------------------------------------------------
# missing values: which column, which data rows
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("column,text,rows", [
    ("time", "time,event,arm\n1,1,a\n,0,b\n3,1,a\nNaN,1,b\n5,0,a\n6,1,b\n", "data rows 2, 4"),
    ("event", "time,event,arm\n1,1,a\n2,0,b\n3,,a\n4,1,b\n5,0,a\n6,1,b\n", "data row 3"),
    ("arm", "time,event,arm\n1,1,a\n2,0,b\n3,1,a\n4,1,b\n5,0,\n6,1,b\n", "data row 5"),
])
def test_a_missing_value_names_column_and_row(capsys, tmp_path, column, text, rows):
    err = run_error(capsys, "survival", _csv(tmp_path, text), *SURV)
    assert f"column {column!r} has" in err and "missing value(s) (empty or NaN)" in err
    assert rows in err and not re.search(r"column '\w+' is missing;", err)


def test_many_missing_values_show_the_first_few(tmp_path):
    df = pd.DataFrame({"time": [float("nan")] * 8 + [1.0, 2.0], "event": [1] * 10,
                       "arm": ["a", "b"] * 5})
    with pytest.raises(DataValidationError,
                       match=r"8 missing .*data rows 1, 2, 3, 4, 5 and 3 more"):
        analyze_survival(df, time="time", event="event", group="arm")


def test_a_missing_meta_value_names_study_column_and_row(capsys, tmp_path):
    path = _csv(tmp_path, "study,g,v\nA,0.1,0.05\nB,,0.04\nC,0.3,0.02\n")
    err = run_error(capsys, "meta", path, "--yi", "g", "--vi", "v", "--study", "study")
    assert "study 'B'" in err and "column 'g' is missing a value (empty or NaN)" in err
    assert "data row 2" in err


def test_a_bad_event_value_names_the_data_row(capsys, tmp_path):
    path = _csv(tmp_path, "time,event,arm\n1,1,a\n2,0,b\n3,yes please,a\n4,1,b\n")
    err = run_error(capsys, "survival", path, *SURV)
    assert "found 'yes please' (data row 3)" in err
