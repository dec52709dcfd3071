"""Who may see and act on which journey (pure rules over the configured accounts).

A coordinator acts on the journeys assigned to them and, where teams are configured, to the
coordinators of their team; a supervisor sees and acts on all, and alone may reassign.
"""

from __future__ import annotations

from api.dashboard.accounts import Account, Coordinators

SUPERVISOR = "supervisor"


def may_act(account: Account, coordinator: str, coordinators: Coordinators) -> bool:
    """May ``account`` see and steer a journey assigned to ``coordinator``?"""
    if account.role == SUPERVISOR or coordinator == account.id:
        return True
    colleague = coordinators.get(coordinator)
    return bool(account.team and colleague and colleague.team == account.team)


def may_reassign(account: Account) -> bool:
    return account.role == SUPERVISOR
