"""The benchmark's families: the example second-opinion case (8 records outstanding, one in
hand), the family's quiet hours off so a run's figures never depend on the time of day, no batching
window and no SMS cap (the journey sends the family what the minimal workflow sends), one
coordinator in ten being ``coord-lin`` (the dev dashboard account). The coordinator has no e-mail
address: a coordinator's quiet hours cannot be turned off, so an alert would go out in Shanghai's
working hours and wait on a timer outside them, and the figures would depend on the time of day."""

from __future__ import annotations

import copy
import json
from functools import cache

from domain.case_file import CaseFile
from domain.records import REVIEW_RECORDS, RecordType
from bench.processes import ROOT

NO_QUIET_HOURS = {"start": "00:00", "end": "00:00"}
DASHBOARD_COORDINATOR = "coord-lin"
COORDINATORS = (DASHBOARD_COORDINATOR, *(f"coord-{i}" for i in range(1, 10)))


@cache
def _example() -> dict:
    data = json.loads((ROOT / "examples" / "case-car-t-question.json").read_text())
    for person in [*data["guardians"], data["local_team"]]:
        person["quiet_hours"] = NO_QUIET_HOURS
    # Family messages go out when due, not after the default 3-minute window that gathers a
    # burst into one message: the benchmark measures the path from command to message.
    data["coordinator"].pop("email", None)
    data["policy"] = {**data.get("policy", {}), "batching": {"window": "PT0S"},
                      "sms_caps": {"per_day": 50, "per_week": 200}}
    return data


def reference(n: int) -> str:
    return f"WJ-2026-{n:06d}"


def coordinator_of(n: int) -> str:
    return COORDINATORS[n % len(COORDINATORS)]


def case(n: int, all_records_in_hand: bool = False) -> CaseFile:
    data = copy.deepcopy(_example())
    data["case_reference"] = reference(n)
    data["coordinator"]["id"] = coordinator_of(n)
    if all_records_in_hand:
        data["records_in_hand"] = [t.value for t in REVIEW_RECORDS]
    return CaseFile.intake(data)


def outstanding_records() -> list[RecordType]:
    in_hand = set(_example()["records_in_hand"])
    return [t for t in REVIEW_RECORDS if t.value not in in_hand]
