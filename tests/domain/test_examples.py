"""The example case files say what they are: each is accepted at intake, and its name matches
what it holds (issue 12: case-car-t.json held a second-opinion case with no word about it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.case_file import CaseFile

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_accepted_and_named_for_what_it_holds(path: Path):
    case = CaseFile.intake(json.loads(path.read_text()))
    if "car-t" in path.stem:
        # A CAR-T pathway case, or a review whose question is CAR-T: the name says which.
        assert case.pathway.value == "car_t" or (path.stem.endswith("question") and "car_t_not_available" in case.review_reasons)
    if "second-opinion" in path.stem:
        assert case.pathway.value == "second_opinion"
