"""The dependency set is locked: every dependency pyproject.toml names is pinned, with hashes,
in the lock files that make run, make test (CI) and the Dockerfile install from; tzdata and
temporalio (both replay-relevant) are pinned exactly; workers read only the packaged zone data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
DEV = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]]


def pins(lock: str) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes) for every package in a lock file."""
    text = (ROOT / lock).read_text()
    found = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        if head:
            found[canonicalize_name(head.group(1))] = (Version(head.group(2)), block.count("--hash=sha256:"))
    return found


@pytest.mark.parametrize(("lock", "wanted"), [("requirements.lock", RUNTIME), ("requirements-dev.lock", RUNTIME + DEV)])
def test_every_pyproject_dependency_is_pinned_with_hashes_in_the_lock(lock: str, wanted: list[Requirement]):
    pinned = pins(lock)
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in pinned]
    assert not missing, f"{lock} lacks {missing}: run `make lock`"
    outside = [f"{r.name}=={pinned[canonicalize_name(r.name)][0]} (wants {r.specifier})" for r in wanted
               if not r.specifier.contains(pinned[canonicalize_name(r.name)][0], prereleases=True)]
    assert not outside, f"{lock} is older than pyproject.toml: {outside}; run `make lock`"
    unhashed = [name for name, (_, hashes) in pinned.items() if hashes == 0]
    assert not unhashed, f"{lock} pins without hashes: {unhashed}"


def test_both_locks_agree_and_hold_the_versions_that_matter():
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {n: v for n, (v, _) in runtime.items()} == {n: dev[n][0] for n in runtime}
    for name in ("temporalio", "tzdata"):  # replay-relevant: exact pins, upgraded on purpose
        assert name in runtime
    assert runtime["python-multipart"][0] >= Version("0.0.18")  # the 2024 advisory (CVE-2024-53981)


def test_every_install_path_installs_from_the_lock_and_reads_only_packaged_zones():
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert re.search(r"pip install .*--require-hashes .*requirements-dev\.lock|--require-hashes.*\$LOCK", bootstrap)
    assert 'LOCK="$ROOT/requirements-dev.lock"' in bootstrap
    docker = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    assert re.search(r"pip install [^\n]*--require-hashes [^\n]*-r requirements\.lock", docker)
    assert re.search(r'PYTHONTZPATH=""', docker)
    for script in ("run.sh", "test.sh"):
        text = (ROOT / "scripts" / script).read_text()
        assert 'PY="$(bash scripts/bootstrap.sh)"' in text and 'export PYTHONTZPATH=""' in text, script
    assert "lock:" in (ROOT / "Makefile").read_text()


def test_a_worker_reads_zones_from_the_tzdata_package_only():
    # Even when started with the system's zone folder on PYTHONTZPATH.
    code = ("import zoneinfo, worker; worker.packaged_zones_only(); "
            "zoneinfo.ZoneInfo('Asia/Almaty'); print(repr(zoneinfo.TZPATH))")
    env = {**os.environ, "PYTHONTZPATH": "/usr/share/zoneinfo"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "()"
