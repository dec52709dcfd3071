"""The picture of a journey: its pathway's stages and the allowed moves between them, drawn
from ``domain.stages.TRANSITIONS`` (the table the workflow enforces), with where the family is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.stages import PATHWAY_STAGES, TRANSITIONS, Pathway, Stage
from domain.state import TimelineEntry
from domain.status import JourneyStatus


@dataclass(frozen=True)
class Need:
    """A milestone a move requires (with the outcome or eligibility it must have), as codes the
    page names in the coordinator's language."""

    milestone: str
    outcome: str | None = None
    eligible: bool | None = None


@dataclass
class Move:
    target: str
    needs: list[Need]
    ready: bool | None = None  # known for moves out of the current stage
    missing: list[Need] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)  # unmet requirements that are not a milestone


@dataclass
class StageNode:
    stage: str
    state: str  # done | current | ahead | skipped
    entered_at: datetime | None
    moves: list[Move]


def picture(status: JourneyStatus, timeline: list[TimelineEntry]) -> list[StageNode]:
    pathway: Pathway = status.pathway
    moves_by_source: dict[Stage, list[Move]] = {}
    for t in TRANSITIONS:
        if pathway not in t.pathways:
            continue
        needs = [
            Need(r.milestone.value, r.outcome.value if r.outcome else None, r.eligible)
            for r in t.requires if pathway in r.pathways
        ]
        moves_by_source.setdefault(t.source, []).append(Move(t.target.value, needs))
    reachable = {s for s in moves_by_source} | {m.target for ms in moves_by_source.values() for m in ms}
    order = [s for s in PATHWAY_STAGES[pathway] if s.value in reachable or s in reachable]

    entered: dict[str, datetime] = {Stage.REMOTE_REVIEW.value: status.started_at}
    for e in timeline:
        if e.kind == "stage_changed" and "new" in e.detail:
            entered[e.detail["new"]] = e.at
    current = status.stage.value
    if status.closed:
        current = next((e.detail["stage"] for e in reversed(timeline) if e.kind == "closed" and "stage" in e.detail), current)
    steps = {s.stage.value: s for s in status.next_steps}
    nodes = []
    seen_current = False
    for stage in order:
        value = stage.value
        if value == current:
            state, seen_current = "current", True
        elif not seen_current:
            state = "done" if value in entered else "skipped"
        else:
            state = "ahead"
        moves = moves_by_source.get(stage, [])
        if value == current and not status.closed:
            for m in moves:
                step = steps.get(m.target)
                if step is not None:
                    m.ready = step.ready
                    # The unmet requirements, as needs (each names its milestone first).
                    m.missing = [n for n in m.needs if any(_names(text, n.milestone) for text in step.missing)]
                    m.unexplained = [text for text in step.missing if not any(_names(text, n.milestone) for n in m.needs)]
        nodes.append(StageNode(value, state, entered.get(value), moves))
    return nodes


def _names(requirement: str, milestone: str) -> bool:
    words = requirement.split()
    return bool(words) and milestone in (words[0], words[1] if len(words) > 1 else "")
