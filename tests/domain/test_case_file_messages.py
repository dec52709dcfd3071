"""Error messages that show an example must show one that works."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from domain.case_file import CaseFile
from tests.conftest import case_data


def test_the_phone_example_in_the_e164_error_is_itself_accepted():
    data = case_data()
    data["guardians"][0]["phone"] = "0701 234 5678"
    with pytest.raises(ValidationError) as refused:
        CaseFile.intake(data)
    example = re.search(r"e\.g\. (\+\d+)", str(refused.value))
    assert example, str(refused.value)
    data["guardians"][0]["phone"] = example.group(1)
    assert CaseFile.intake(data).guardians[0].phone == example.group(1)
