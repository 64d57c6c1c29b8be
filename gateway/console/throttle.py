"""Failed logins, throttled: a password guesser gets a few tries, then waits.

Each failed login (the form, or HTTP Basic credentials on the API) counts against the address
it came from and against the name it tried, in a moving window of ``login_lock_minutes``
(``limits``' moving-window limiter, in the console's memory). Once an address has failed
``failed_logins`` times in the window, or a name four times as often (a guesser spread over
many addresses), the next login from it or for it is refused (429, with ``Retry-After``)
without its password being checked, until the window has room again: no more guesses, and no
argon2 hashing for whoever sends them. A successful login clears its address's and its name's
count, so that a user who mistyped is not held back afterwards.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

NAME_FACTOR = 4
"""How many times as many failures a name is allowed as an address."""


class LoginThrottle:
    """The failed logins of the last ``minutes``, by address and by name."""

    def __init__(self, failures: int, minutes: int) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._address = RateLimitItemPerMinute(failures, minutes, namespace="login-address")
        self._name = RateLimitItemPerMinute(failures * NAME_FACTOR, minutes, namespace="login-name")

    def wait(self, address: str, name: str) -> int | None:
        """Seconds until a login from ``address`` for ``name`` may be tried again; None when it
        may be now."""
        for item, key in ((self._address, address), (self._name, name)):
            if not self._limiter.test(item, key):
                reset = self._limiter.get_window_stats(item, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def failed(self, address: str, name: str) -> None:
        self._limiter.hit(self._address, address)
        self._limiter.hit(self._name, name)

    def succeeded(self, address: str, name: str) -> None:
        self._limiter.clear(self._address, address)
        self._limiter.clear(self._name, name)
