"""The reference files themselves (tests/reference/): well formed, and every number traceable to the
R script or publication that produced it, inside the repository."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.helpers import (
    R_SCRIPT_DIR,
    REFERENCE_DIR,
    MissingCaseError,
    reference,
    reference_cases,
    reference_path,
)

FILES = sorted(p.name for p in REFERENCE_DIR.glob("*.json"))
README = (REFERENCE_DIR / "README.md").read_text()
SCRIPT = re.compile(r"\br/([\w.-]+\.R)\b")


def _readme_rows() -> dict[str, str]:
    """README table rows by the first reference file they name."""
    rows = {}
    for line in README.splitlines():
        if line.startswith("| `") and ".json`" in line:
            rows[re.search(r"`([\w.-]+\.json)`", line)[1]] = line
    return rows


def _data_files(case: dict) -> list[str]:
    return [case["inputs"][k] for k in ("csv", "data") if k in case["inputs"]]


def test_the_reference_folder_has_files():
    assert len(FILES) >= 9 and {"logrank_cox.json", "nph_tests.json"} <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_file_parses_with_meta_and_cases(name):
    doc = json.loads((REFERENCE_DIR / name).read_text())
    assert set(doc) == {"meta", "cases"}
    assert isinstance(doc["meta"], dict) and doc["meta"]
    assert isinstance(doc["cases"], list) and doc["cases"]


@pytest.mark.parametrize("name", FILES)
def test_every_case_has_id_inputs_outputs_and_source(name):
    for case in reference(name)["cases"]:
        missing = {"id", "inputs", "outputs", "source"} - set(case)
        assert not missing, (case.get("id"), sorted(missing))
        assert isinstance(case["id"], str) and case["id"]
        assert isinstance(case["inputs"], dict)
        assert isinstance(case["outputs"], dict) and case["outputs"], case["id"]
        assert case["source"], case["id"]


@pytest.mark.parametrize("name", FILES)
def test_case_ids_are_unique(name):
    ids = [c["id"] for c in reference(name)["cases"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("name", FILES)
def test_every_file_has_a_readme_row_naming_its_script(name):
    row = _readme_rows().get(name)
    assert row is not None, f"tests/reference/README.md has no table row for {name}"
    script = row.split("|")[2]
    assert SCRIPT.search(script) or "published" in script, row


@pytest.mark.parametrize("name", FILES)
def test_the_script_in_meta_is_in_the_repository(name):
    generated_by = reference(name)["meta"].get("generated_by")
    if generated_by is None:
        assert "published" in _readme_rows()[name].split("|")[2]
        return
    (script,) = SCRIPT.findall(generated_by)
    assert (R_SCRIPT_DIR / script).is_file(), generated_by
    assert f"r/{script}" in _readme_rows()[name]


def test_every_r_script_named_in_the_readme_exists():
    named = set(SCRIPT.findall(README))
    assert named, "the README names no script"
    missing = sorted(s for s in named if not (R_SCRIPT_DIR / s).is_file())
    assert not missing, missing


def test_every_r_script_is_named_or_sourced():
    """No stray scripts: each one in r/ is named in the README or sourced by one that is."""
    named = set(SCRIPT.findall(README)) | {"common.R"}
    for script in sorted(s for s in named if (R_SCRIPT_DIR / s).is_file()):
        named |= set(re.findall(r"\b(\w+\.R)\b", (R_SCRIPT_DIR / script).read_text()))
    stray = sorted(p.name for p in R_SCRIPT_DIR.glob("*.R") if p.name not in named)
    assert not stray, stray


@pytest.mark.parametrize("name", FILES)
def test_data_files_exist_and_match_their_checksums(name):
    for case in reference(name)["cases"]:
        for rel in _data_files(case):
            path = reference_path(rel)
            assert path.is_file(), (case["id"], rel)
            if "md5" in case["inputs"]:
                assert hashlib.md5(path.read_bytes()).hexdigest() == case["inputs"]["md5"], rel


def test_every_data_file_belongs_to_a_case():
    used = {rel for name in FILES for case in reference(name)["cases"] for rel in _data_files(case)}
    files = {f"data/{p.name}" for p in (REFERENCE_DIR / "data").iterdir()}
    assert files == used


def test_a_missing_case_id_is_a_clear_error(ref_case):
    with pytest.raises(MissingCaseError,
                       match="no case 'nope' in tests/reference/logrank_cox.json; "
                             "its cases are: ds1_maintenance_n92_ties"):
        ref_case("logrank_cox", "nope")
    with pytest.raises(KeyError):  # still a KeyError for code that expects one
        reference_cases("logrank_cox.json")["nope"]
    assert reference_cases("logrank_cox").get("nope") is None


def test_a_missing_file_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no reference file tests/reference/nope.json"):
        reference("nope")


def test_reference_returns_a_fresh_copy(reference_dir):
    a = reference("meta_analysis")
    a["cases"].clear()
    assert reference("meta_analysis")["cases"]
    assert reference_dir == REFERENCE_DIR and reference_dir.name == "reference"


def test_no_text_points_outside_the_repository():
    """Docstrings, comments and READMEs name reference scripts and data inside the repository
    (tests/reference/r/...), never a path on someone's machine or a sibling checkout."""
    root = REFERENCE_DIR.parents[1]
    # a sibling checkout or an absolute path of the machine the values were made on
    sibling, machine = "../" + "shared", "/" + "work" + "/"
    outside = re.compile("|".join(map(re.escape, (sibling, machine, "shared/reference"))))
    files = [root / "README.md",
             *(p for d in ("tests", "workbench", "docs")
               for p in (root / d).rglob("*") if p.suffix in {".py", ".md", ".R"})]
    hits = [f"{p.relative_to(root)}:{i}" for p in files if p.name != "test_reference_files.py"
            for i, line in enumerate(p.read_text().splitlines(), 1) if outside.search(line)]
    assert not hits, hits
