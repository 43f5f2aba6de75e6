"""The design catalogue: published trials T1-T8 and meta-analyses M1-M3 as design files."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.design import (
    BinaryDesign,
    ContinuousDesign,
    MetaAnalysisDesign,
    SurvivalDesign,
    list_designs,
    load_design,
)
from workbench.exceptions import InvalidParameterError

OLD = {
    "t1": SurvivalDesign.from_t1, "t2": BinaryDesign.from_t2, "t3": BinaryDesign.from_t3,
    "t4": BinaryDesign.from_t4, "t5": BinaryDesign.from_t5, "t6": BinaryDesign.from_t6,
    "t7": ContinuousDesign.from_t7, "t8": ContinuousDesign.from_t8,
    "m1": MetaAnalysisDesign.from_m1, "m2": MetaAnalysisDesign.from_m2,
    "m3": MetaAnalysisDesign.from_m3,
}


@pytest.mark.parametrize("name", list(OLD))
def test_catalogue_design_equals_the_class_method(name):
    assert load_design(name) == OLD[name]()
    assert load_design(name.upper()) == OLD[name]()


def test_list_designs():
    df = list_designs()
    assert list(df.columns) == ["name", "type", "title", "arms", "n_total"]
    assert df["name"].tolist() == list(OLD)
    assert df["n_total"].tolist() == [92, 74, 156, 51, 233, 237, 40, 149, 435, 1365, 2757]
    assert (df["title"].str.len() > 0).all()
    assert wb.list_designs().equals(df)


def test_unknown_name_lists_the_catalogue():
    with pytest.raises(InvalidParameterError, match=r"'t9'.*t1, t2, .*m3"):
        load_design("t9")
