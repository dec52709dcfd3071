"""The sign-in brake: failed sign-ins limited per account and per client address.

Past ``limit`` failures within ``window`` seconds a key (an account id, or a client address) is
locked: every attempt, the right password included, is answered 429 with Retry-After and no
password is checked. Each further lockout doubles the delay (``first_delay`` up to
``max_delay``); a key with no failure for ``forget_after`` seconds starts afresh, and is then
forgotten. The rules (``after_failure``, ``seconds_to_wait``) are pure, over a clock the caller
passes in; each key's state is kept by a ``KeyStore`` (``brake_store.BrakeStore``: a table beside
the dashboard sessions, so every API process shares one brake and a restart keeps a lockout).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class BrakeRule:
    limit: int
    window: float = 60.0
    first_delay: float = 30.0
    max_delay: float = 15 * 60.0
    forget_after: float = 3600.0


ACCOUNT = BrakeRule(limit=5)
ADDRESS = BrakeRule(limit=20)  # several coordinators may share an office's address


@dataclass(frozen=True)
class KeyState:
    """One key's failures in the current window, its lockout and how many it has had."""

    failures: tuple[float, ...] = ()
    locked_until: float = 0.0
    lockouts: int = 0
    last_failure: float = 0.0


def seconds_to_wait(state: KeyState | None, now: float) -> int:
    """Whole seconds until the key may be tried again (0: now)."""
    if state is None or state.locked_until <= now:
        return 0
    return int(state.locked_until - now) + 1


def after_failure(rule: BrakeRule, state: KeyState, now: float) -> tuple[KeyState, int]:
    """The key's state after a failure at ``now``, and the lockout it starts in seconds (0: none)."""
    lockouts = 0 if now - state.last_failure > rule.forget_after else state.lockouts
    failures = (*(t for t in state.failures if now - t < rule.window), now)
    if len(failures) < rule.limit:
        return replace(state, failures=failures, lockouts=lockouts, last_failure=now), 0
    delay = min(rule.first_delay * 2 ** lockouts, rule.max_delay)
    return KeyState((), now + delay, lockouts + 1, now), int(delay)


def idle_since(rule: BrakeRule, now: float) -> float:
    """A key whose last failure is older than this has started afresh: it may be forgotten."""
    return now - rule.forget_after


class KeyStore(Protocol):
    """Where the keys' states are kept (kind: "account" or "address")."""

    def read(self, kind: str, value: str) -> KeyState | None: ...

    def change(self, kind: str, value: str, step: Callable[[KeyState], tuple[KeyState, T]]) -> T:
        """Apply ``step`` to the key's state (a fresh one if none) atomically: concurrent changes
        from any process are applied one after the other, none lost."""
        ...

    def forget(self, kind: str, value: str) -> None: ...

    def forget_idle(self, kind: str, last_failure_before: float, now: float) -> None:
        """Forget the keys of this kind with no failure since then and no lockout running."""
        ...


class SignInBrake:
    def __init__(self, store: KeyStore, account: BrakeRule = ACCOUNT, address: BrakeRule = ADDRESS) -> None:
        self.store = store
        self.rules = {"account": account, "address": address}

    def __repr__(self) -> str:
        return f"SignInBrake({self.store!r})"

    def retry_after(self, account: str, address: str, now: float) -> int:
        """Seconds until a sign-in may be tried (0: now)."""
        return max(seconds_to_wait(self.store.read(kind, value), now)
                   for kind, value in (("account", account), ("address", address)))

    def failed(self, account: str, address: str, now: float) -> dict[str, int]:
        """Record a failure; the kinds ("account", "address") it locked, with their delays."""
        locked: dict[str, int] = {}
        for kind, value in (("account", account), ("address", address)):
            rule = self.rules[kind]
            self.store.forget_idle(kind, idle_since(rule, now), now)
            delay = self.store.change(kind, value, partial(after_failure, rule, now=now))
            if delay:
                locked[kind] = delay
        return locked

    def succeeded(self, account: str) -> None:
        """The account's failures are forgiven (the address's are not: it may be trying others)."""
        self.store.forget("account", account)
