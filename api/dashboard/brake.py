"""The sign-in brake: failed sign-ins limited per account and per client address.

Past ``limit`` failures within ``window`` seconds a key (an account id, or a client address) is
locked: every attempt, the right password included, is answered 429 with Retry-After and no
password is checked. Each further lockout doubles the delay (``first_delay`` up to
``max_delay``); a key with no failure for ``forget_after`` seconds starts afresh. Pure logic over
a clock the caller passes in; kept in memory (each API process has its own, bounded in size).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Key:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    lockouts: int = 0
    last_failure: float = 0.0


@dataclass(frozen=True)
class BrakeRule:
    limit: int
    window: float = 60.0
    first_delay: float = 30.0
    max_delay: float = 15 * 60.0
    forget_after: float = 3600.0


ACCOUNT = BrakeRule(limit=5)
ADDRESS = BrakeRule(limit=20)  # several coordinators may share an office's address


class SignInBrake:
    def __init__(self, account: BrakeRule = ACCOUNT, address: BrakeRule = ADDRESS, max_keys: int = 10_000) -> None:
        self.rules = {"account": account, "address": address}
        self.max_keys = max_keys
        self._keys: OrderedDict[tuple[str, str], _Key] = OrderedDict()

    def __repr__(self) -> str:
        return f"SignInBrake({len(self._keys)} keys)"

    def retry_after(self, account: str, address: str, now: float) -> int:
        """Seconds until a sign-in may be tried (0: now)."""
        waits = [k.locked_until - now for k in (self._get("account", account), self._get("address", address)) if k]
        return max([0, *[int(w) + 1 for w in waits if w > 0]])

    def failed(self, account: str, address: str, now: float) -> dict[str, int]:
        """Record a failure; the kinds ("account", "address") it locked, with their delays."""
        locked: dict[str, int] = {}
        for kind, value in (("account", account), ("address", address)):
            rule, key = self.rules[kind], self._key(kind, value)
            if now - key.last_failure > rule.forget_after:
                key.lockouts = 0
            key.last_failure = now
            key.failures = [t for t in key.failures if now - t < rule.window] + [now]
            if len(key.failures) >= rule.limit:
                key.lockouts += 1
                delay = min(rule.first_delay * 2 ** (key.lockouts - 1), rule.max_delay)
                key.locked_until, key.failures = now + delay, []
                locked[kind] = int(delay)
        return locked

    def succeeded(self, account: str) -> None:
        """The account's failures are forgiven (the address's are not: it may be trying others)."""
        self._keys.pop(("account", account), None)

    def _get(self, kind: str, value: str) -> _Key | None:
        return self._keys.get((kind, value))

    def _key(self, kind: str, value: str) -> _Key:
        found = self._keys.pop((kind, value), None) or _Key()
        self._keys[(kind, value)] = found  # most recently used last
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)
        return found
