"""The Backend protocol: the one interface between the client and a store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cairn.ops import Op
from cairn.store.records import RunRecord

__all__ = ["Backend", "RunLayout"]


@dataclass(frozen=True)
class RunLayout:
    """What a resumed run needs to continue: each known path's kind, and each series' last
    step, so that type clashes and repeated steps are caught at the call site."""

    kinds: dict[str, str]
    last_steps: dict[str, float]


class Backend(Protocol):
    """Creates runs and receives their ops. ``send`` must be safe to call again with the same
    ops after a failure (ops carry sequence numbers)."""

    def create_run(
        self,
        project: str,
        *,
        name: str,
        tags: Sequence[str],
        owner: str,
        host: str,
        description: str,
    ) -> RunRecord: ...

    def get_run(self, ref: str, *, project: str | None = None) -> RunRecord: ...

    def layout(self, run_id: str) -> RunLayout: ...

    def send(self, run_id: str, ops: Sequence[Op]) -> None: ...

    def close(self) -> None: ...
