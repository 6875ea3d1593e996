"""Flood control that knows who is writing: a sliding window per user, with a higher limit
for people who hold a role (staff at work type fast: three agreements in a row after a
conference are some forty updates).

Whether someone holds a role is only asked once a user reaches the residents' limit, and the
answer is kept for a short time, so the check on every update costs no database query for
nearly everyone. A role given or ended is seen at the latest after `ROLE_TTL` seconds.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]
WINDOW_SECONDS = 60.0
ROLE_TTL = 60.0  # how long "holds a role" (or not) is believed without asking again

StaffLookup = Callable[[int], Awaitable[bool]]


class FloodControl:
    """At most `limit` updates in `window` seconds per user (`staff_limit` for people with a
    role, when a lookup is given).

    Over the limit the first update of the window gets a polite answer ("warn"), the rest are
    dropped; only accepted updates count, so memory per user stays at the larger limit.
    """

    def __init__(
        self,
        limit: int,
        *,
        staff_limit: int | None = None,
        is_staff: StaffLookup | None = None,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.staff_limit = limit if staff_limit is None else staff_limit
        self._is_staff = is_staff
        self._stamps: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._staff: dict[int, tuple[bool, float]] = {}  # user -> (holds a role, until)
        self._checks = 0

    async def check(self, user_id: int) -> Verdict:
        if self.limit <= 0:
            return "ok"
        now = self.clock()
        self._checks += 1
        if self._checks % 1024 == 0:
            self._forget_idle(now)
        stamps = self._stamps.get(user_id)
        if stamps is None:
            stamps = self._stamps[user_id] = deque(maxlen=max(self.limit, self.staff_limit))
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) < self.limit or (
            len(stamps) < self.staff_limit and await self.holds_a_role(user_id, now)
        ):
            stamps.append(now)
            return "ok"
        warned = self._warned.get(user_id)
        if warned is None or warned <= now - self.window:
            self._warned[user_id] = now
            return "warn"
        return "drop"

    def wait_seconds(self, user_id: int) -> int:
        """Whole seconds until the user's next update is accepted again (at least 1)."""
        stamps = self._stamps.get(user_id)
        if not stamps:
            return 1
        return max(1, int(stamps[0] + self.window - self.clock() + 0.999))

    async def holds_a_role(self, user_id: int, now: float | None = None) -> bool:
        if self._is_staff is None:
            return False
        now = self.clock() if now is None else now
        known = self._staff.get(user_id)
        if known is not None and known[1] > now:
            return known[0]
        answer = await self._is_staff(user_id)
        self._staff[user_id] = (answer, now + ROLE_TTL)
        return answer

    def _forget_idle(self, now: float) -> None:
        idle = [u for u, s in self._stamps.items() if not s or s[-1] <= now - self.window]
        for user_id in idle:
            del self._stamps[user_id]
        for user_id in [u for u, w in self._warned.items() if w <= now - self.window]:
            del self._warned[user_id]
        for user_id in [u for u, (_, until) in self._staff.items() if until <= now]:
            del self._staff[user_id]
