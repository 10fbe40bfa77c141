"""Fault knobs: make the emulator misbehave the way the real API might, on purpose and reproducibly.

Two ways to ask for a fault, both settable at start and at run time:
- standing settings (`Faults`): latency, a share of 500s / dropped connections / "failed" answers drawn
  from a seeded random generator, and a per-key rate limit;
- scripted faults (`FaultRule`): "the next N requests matching endpoint X get fault K", consumed in order.

Kinds: `error` (500 CRITICAL, nothing recorded), `rate_limit` (429 `{"error": "Rate limit exceeded",
"retryAfterMs": N}`, nothing recorded), `failed` (200 with payload.result "failed", nothing recorded),
`drop` (the request is read, validated and RECORDED, then the connection is closed with no answer: the
"may have been sent" case).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from bridge.api_types import Endpoint

FaultKind = Literal["error", "rate_limit", "failed", "drop"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "rate_limit", "failed", "drop")


@dataclass(frozen=True, slots=True)
class Faults:
    """Standing fault settings. Shares are probabilities in [0, 1]; `seed` makes them reproducible.
    `rate_limit_per_minute` (None = off) is a sliding 60 s window per API key."""

    latency_ms: int = 0
    error_share: float = 0.0
    drop_share: float = 0.0
    failed_share: float = 0.0
    rate_limit_per_minute: int | None = None
    retry_after_ms: int = 1000
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_share", "drop_share", "failed_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.latency_ms < 0 or self.retry_after_ms < 0:
            raise ValueError("latency_ms and retry_after_ms cannot be negative")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1 (or None for no limit)")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class FaultRule:
    """Give the next `count` requests to `endpoint` (None = any endpoint) the fault `kind`."""

    kind: FaultKind
    count: int = 1
    endpoint: Endpoint | None = None
    retry_after_ms: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.count < 1:
            raise ValueError("a fault rule needs a count of at least 1")

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "count": self.count,
            "endpoint": self.endpoint.value if self.endpoint else None,
            "retry_after_ms": self.retry_after_ms,
        }


@dataclass(slots=True)
class FaultDecision:
    """What to do to one request at one stage."""

    kind: FaultKind
    retry_after_ms: int = 0


@dataclass
class FaultPlan:
    """The live fault state of one emulator; safe to change from another thread."""

    faults: Faults = field(default_factory=Faults)
    rules: list[FaultRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.faults.seed)
        self._windows: dict[str, deque[float]] = {}

    # --- changing ---

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)
            self._windows.clear()

    def update(self, **changes: Any) -> Faults:
        with self._lock:
            self.faults = replace(self.faults, **changes)
            if "seed" in changes:
                self._random = random.Random(self.faults.seed)
            if "rate_limit_per_minute" in changes:
                self._windows.clear()
            return self.faults

    def add_rule(self, rule: FaultRule) -> None:
        with self._lock:
            self.rules.append(rule)

    def clear(self) -> None:
        """Back to no faults at all: standing settings reset and scripted rules dropped."""
        with self._lock:
            self.faults = Faults()
            self.rules.clear()
            self._windows.clear()
            self._random = random.Random(None)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {**self.faults.as_json(), "next": [rule.as_json() for rule in self.rules]}

    # --- deciding ---

    def _take_rule(self, kinds: tuple[FaultKind, ...], endpoint: Endpoint) -> FaultRule | None:
        for rule in self.rules:
            if rule.kind in kinds and (rule.endpoint is None or rule.endpoint is endpoint):
                rule.count -= 1
                if rule.count == 0:
                    self.rules.remove(rule)
                return rule
        return None

    def before_handling(self, endpoint: Endpoint, api_key: str) -> FaultDecision | None:
        """After auth, before the body is read: a 429 or a 500 (neither records anything)."""
        with self._lock:
            rule = self._take_rule(("rate_limit", "error"), endpoint)
            if rule is not None:
                return FaultDecision(rule.kind, rule.retry_after_ms or self.faults.retry_after_ms)
            limit = self.faults.rate_limit_per_minute
            if limit is not None:
                now = time.monotonic()
                window = self._windows.setdefault(api_key, deque())
                while window and now - window[0] >= 60.0:
                    window.popleft()
                if len(window) >= limit:
                    wait_ms = max(1, int((60.0 - (now - window[0])) * 1000))
                    return FaultDecision("rate_limit", wait_ms)
                window.append(now)
            if self.faults.error_share and self._random.random() < self.faults.error_share:
                return FaultDecision("error")
        return None

    def after_validation(self, endpoint: Endpoint) -> FaultDecision | None:
        """For a valid request: answer "failed" (record nothing) or drop after recording."""
        with self._lock:
            rule = self._take_rule(("failed", "drop"), endpoint)
            if rule is not None:
                return FaultDecision(rule.kind)
            if self.faults.failed_share and self._random.random() < self.faults.failed_share:
                return FaultDecision("failed")
            if self.faults.drop_share and self._random.random() < self.faults.drop_share:
                return FaultDecision("drop")
        return None

    @property
    def latency_ms(self) -> int:
        return self.faults.latency_ms


def faults_from_json(data: dict[str, Any], current: Faults) -> tuple[Faults, list[FaultRule], bool]:
    """`POST /_emulator/faults` body -> (new settings, rules to add, clear first?). Raises ValueError."""
    known = {*Faults.__dataclass_fields__, "next", "clear"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
    clear = bool(data.get("clear", False))
    base = Faults() if clear else current
    settings = {k: v for k, v in data.items() if k in Faults.__dataclass_fields__}
    faults = replace(base, **settings)
    rules: list[FaultRule] = []
    for item in data.get("next", []) or []:
        if not isinstance(item, dict):
            raise ValueError("each entry of `next` must be an object")
        endpoint = item.get("endpoint")
        rules.append(
            FaultRule(
                kind=item.get("kind"),  # type: ignore[arg-type]  # checked in __post_init__
                count=int(item.get("count", 1)),
                endpoint=Endpoint(endpoint) if endpoint else None,
                retry_after_ms=item.get("retry_after_ms"),
            )
        )
    return faults, rules, clear
