"""A Signal API request as data: what the payload builder produces and the client sends.

Kept apart from both so that `bridge.payload` (reading -> request) and `bridge.client` (request -> HTTP)
share one small type and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Endpoint(StrEnum):
    """The eight endpoints of the spec (section 5)."""

    CREATE_V1 = "create_v1"
    CREATE_V2 = "create_v2"
    TAKEPROFIT = "takeprofit"
    TRAILINGSTOP = "trailingstop"
    REBUY = "rebuy"
    DCA = "dca"
    UPDATEPRICE = "updateprice"
    CANCEL = "cancel"

    @property
    def method(self) -> Literal["POST", "PUT", "DELETE"]:
        if self is Endpoint.UPDATEPRICE:
            return "PUT"
        if self is Endpoint.CANCEL:
            return "DELETE"
        return "POST"

    @property
    def is_create(self) -> bool:
        return self in (Endpoint.CREATE_V1, Endpoint.CREATE_V2)

    @property
    def safe_to_resend(self) -> bool:
        """Spec section 13: only updateprice (PUT) and cancel (DELETE) may be re-sent with the same body."""
        return self in (Endpoint.UPDATEPRICE, Endpoint.CANCEL)

    def path(self, parent_signal_id: str | None = None) -> str:
        """The request path; with no id a follow-up keeps the `:parent_signal_id` placeholder (a template)."""
        if self is Endpoint.CREATE_V1:
            return "/v1/signal"
        if self is Endpoint.CREATE_V2:
            return "/v2/signal"
        pid = parent_signal_id if parent_signal_id is not None else ":parent_signal_id"
        if self is Endpoint.UPDATEPRICE:
            return f"/v1/signal/{pid}/updateprice"
        if self is Endpoint.CANCEL:
            return f"/v1/signal/{pid}/cancel"
        return f"/v1/signal/{pid}/call/{self.value}"


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One request: the endpoint, the parent id for follow-ups (None for a create or a template), the body."""

    endpoint: Endpoint
    body: dict[str, Any] = field(default_factory=dict)
    parent_signal_id: str | None = None

    @property
    def method(self) -> str:
        return self.endpoint.method

    @property
    def path(self) -> str:
        return self.endpoint.path(self.parent_signal_id)

    def as_json(self) -> dict[str, Any]:
        """The `request` object of the `parse --jsonl` contract: method, path, body."""
        return {"method": self.method, "path": self.path, "body": dict(self.body)}
