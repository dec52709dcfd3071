"""The domain is pure: no clock, no randomness, no I/O. The workflow passes ``domain`` through
its sandbox (``imports_passed_through``), so the sandbox does not guard it; this test does.
Time comes in as ``now``; anything random or outside (files, network, databases, environment)
belongs to activities, the client side or the API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"

FORBIDDEN_MODULES = {
    "random", "secrets", "uuid", "time", "os", "sys", "socket", "subprocess", "asyncio", "threading",
    "logging", "pathlib", "shutil", "tempfile", "io", "sqlite3", "httpx", "requests", "sqlalchemy",
    "aiosmtplib", "smtplib", "jinja2", "temporalio",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "monotonic", "open", "getenv", "urandom"}  # time() is datetime.time here


def modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def impurities(source: str) -> list[str]:
    """What in a module's source reads a clock, draws randomness or does I/O."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in FORBIDDEN_CALLS:
                found.append(f"call to {name}() on line {node.lineno}")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_uses_no_clock_randomness_or_io(path: Path) -> None:
    found = impurities(path.read_text())
    assert not found, f"{path.name} is not pure: {', '.join(found)}"


def test_the_check_sees_what_it_forbids() -> None:
    """The scan itself works: each kind of impurity is caught, and pure code passes."""
    assert impurities("import random\n") == ["import random"]
    assert impurities("from os import environ\n") == ["from os import ..."]
    assert impurities("from datetime import datetime\nx = datetime.now()\n") == ["call to now() on line 2"]
    assert impurities("from datetime import time\nx = time(21, 0)\n") == []
