"""Today is complete at any size: the listing query itself selects the families that need a
person (the flag the journey publishes, or a records deadline within a week), so a family is never
lost to a cut-off, whatever the number of open journeys and however old the journey is. Listings
are paged with a total, every filter in the query."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from domain.records import REVIEW_RECORDS
from domain.stages import Pathway
from service.config import Settings
from service.journeys import Journeys, NeedsPerson, Page
from tests.conftest import make_case
from tests.support.polling import eventually
from worker import build_worker
from workflows.journey_types import DIGEST_MEMO

PAGE = 2  # far fewer than the journeys, as 100 is far fewer than 10,000


async def _today(journeys: Journeys, coordinator: str) -> tuple[list[NeedsPerson], list[Page[NeedsPerson]]]:
    pages = [await journeys.today(datetime.now(UTC), coordinator=coordinator, page_size=PAGE)]
    while pages[-1].next_page:
        pages.append(await journeys.today(datetime.now(UTC), coordinator=coordinator, page=pages[-1].next_page,
                                          page_size=PAGE))
    return [p for page in pages for p in page.rows], pages


async def test_every_family_needing_a_person_is_on_today_with_more_journeys_than_a_page(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    journeys = Journeys(dev_env.client, settings.task_queue)
    coordinator = f"coord-{settings.task_queue[-8:]}"
    everything = [t.value for t in REVIEW_RECORDS]
    # The oldest first: two whose records are all in (ready for review), one whose records are
    # due in five days; then five that need nobody yet.
    cases = [make_case(coordinator={"id": coordinator}, records_in_hand=everything) for _ in range(2)]
    cases.append(make_case(coordinator={"id": coordinator}, policy={"chase": {"records_deadline": "P5D"}}))
    cases += [make_case(coordinator={"id": coordinator}) for _ in range(5)]
    needing = {c.case_reference for c in cases[:3]}
    try:
        async with build_worker(dev_env.client, settings):
            for case in cases:
                await journeys.start(case)

            async def all_published() -> bool:
                for case in cases:
                    description = await journeys.handle(case.case_reference).describe()
                    if await description.memo_value(DIGEST_MEMO, None) is None:
                        return False
                return True

            await eventually(all_published, timeout=60)

            async def complete() -> bool:
                people, pages = await _today(journeys, coordinator)
                return {p.case_reference for p in people} == needing and pages[0].total == len(needing)

            await eventually(complete, timeout=30)
            people, pages = await _today(journeys, coordinator)
            assert len(pages) == 2 and all(len(p.rows) <= PAGE for p in pages)
            reasons = {p.case_reference: {r.code for r in p.reasons} for p in people}
            assert reasons[cases[0].case_reference] == {"r_ready"}
            assert reasons[cases[2].case_reference] == {"r_deadline"}

            # The journeys list: paged, with the total, and filters applied by the query.
            first = await journeys.page(coordinator=coordinator, page_size=3)
            assert first.total == len(cases) and len(first.rows) == 3 and first.next_page
            listed = await journeys.find(coordinator=coordinator)
            assert {j.case_reference for j in listed} == {c.case_reference for c in cases}
            car_t = await journeys.page(coordinator=coordinator, pathway=Pathway.CAR_T)
            assert car_t.total == 0 and car_t.rows == []
            prefix = cases[0].case_reference[:-2]
            by_reference = await journeys.page(coordinator=coordinator, reference_prefix=prefix)
            assert cases[0].case_reference in {j.case_reference for j in by_reference.rows}
            assert all(j.case_reference.startswith(prefix) for j in by_reference.rows)
    finally:
        for case in cases:
            await journeys.handle(case.case_reference).terminate(reason="test finished")
