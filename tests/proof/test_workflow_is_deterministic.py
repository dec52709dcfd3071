"""The journey's workflow module is shared by every run instead of being loaded afresh in each
run's sandbox (workflows/sandbox.py), so the sandbox no longer guards its own code; this test
does, as tests/domain/test_domain_is_pure.py does for the domain: no clock but workflow.now(), no
randomness but workflow.random()/uuid4(), no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.domain.test_domain_is_pure import FORBIDDEN_CALLS, FORBIDDEN_MODULES

WORKFLOW = Path(__file__).resolve().parents[2] / "workflows" / "journey.py"
ALLOWED = {"asyncio", "temporalio"}  # the workflow's own event loop and SDK


def impurities(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES - ALLOWED]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_MODULES - ALLOWED:
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                on_workflow = isinstance(func.value, ast.Name) and func.value.id == "workflow"
                if func.attr in FORBIDDEN_CALLS and not on_workflow:
                    found.append(f"call to {func.attr}() on line {node.lineno}")
            elif isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"call to {func.id}() on line {node.lineno}")
    return found


def test_the_workflow_module_uses_no_clock_randomness_or_io() -> None:
    assert impurities(WORKFLOW.read_text()) == []


def test_the_check_sees_what_it_forbids() -> None:
    impure = "import random\nfrom datetime import datetime\nx = datetime.now()\ny = workflow.now()\n"
    assert impurities(impure) == ["import random", "call to now() on line 3"]
