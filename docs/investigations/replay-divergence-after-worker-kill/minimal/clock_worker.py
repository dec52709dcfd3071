"""The smallest workflow whose commands depend on workflow.now(), and a worker for it.

    python clock_worker.py <address> <task queue> <sticky schedule-to-start seconds> <max cached workflows>
"""
import asyncio
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker


@activity.defn
async def ping() -> str:
    return "pong"


@workflow.defn
class ClockWorkflow:
    """Waits until a deadline (re-arming its timer if woken early), then runs one activity."""

    def __init__(self) -> None:
        self.state = "waiting"
        self.finish = False

    @workflow.run
    async def run(self, wait_seconds: float, wait_for_finish: bool = False) -> str:
        deadline = workflow.now() + timedelta(seconds=wait_seconds)
        while workflow.now() < deadline:
            await workflow.sleep(deadline - workflow.now())
        self.state = "pinging"
        await workflow.execute_activity(ping, start_to_close_timeout=timedelta(seconds=10))
        if wait_for_finish:  # stays open (for reset_stuck.py) until signalled
            self.state = "waiting for finish"
            await workflow.wait_condition(lambda: self.finish)
        self.state = "done"
        return "done"

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.query
    def status(self) -> str:
        return self.state


async def main(address: str, task_queue: str, sticky_seconds: float, cache: int) -> None:
    client = await Client.connect(address)
    worker = Worker(client, task_queue=task_queue, workflows=[ClockWorkflow], activities=[ping],
                    sticky_queue_schedule_to_start_timeout=timedelta(seconds=sticky_seconds),
                    max_cached_workflows=cache)
    print("worker up", flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
