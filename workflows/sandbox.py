"""The sandbox the journey runs in, for workers and replayers alike.

The journey's own pure modules (the domain rules and models, the interface and the activity
contract) are deterministic by construction (tests/domain/test_domain_is_pure.py) and are passed
through: loaded once per worker instead of once per journey run, and using the real standard
library types (a time zone made inside the sandbox is a restricted proxy that C code such as
``datetime.combine`` refuses).

The workflow module itself is passed through too: the sandbox would otherwise load it afresh for
every run and keep that copy while the run is cached (~10 ms of CPU and ~80 KiB per cached
journey, measured by ``make bench``). Its code uses no clock but ``workflow.now()``, no randomness
and no I/O (tests/proof/test_workflow_is_deterministic.py checks it, as the sandbox would)."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = (
    "domain",
    "messaging.delivery_contract",
    "workflows.journey_types",
    "workflows.search_attributes",
    "workflows.journey",
)


def journey_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
