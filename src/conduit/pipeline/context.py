"""Who a call is for: scope tags carried in a context variable.

``with conduit.scope(user="ana", session="s1"):`` tags every exchange made
inside the block -- in threads started with ``contextvars.copy_context`` and
in async tasks, which inherit context automatically.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator


@dataclass(frozen=True, slots=True)
class Scope:
    project: str | None = None
    user: str | None = None
    session: str | None = None

    def merged(self, other: "Scope") -> "Scope":
        """``other``'s tags win where set."""
        return Scope(
            project=other.project or self.project,
            user=other.user or self.user,
            session=other.session or self.session,
        )


_current: contextvars.ContextVar[Scope] = contextvars.ContextVar("conduit_scope", default=Scope())


def current_scope() -> Scope:
    return _current.get()


@contextmanager
def scope(*, project: str | None = None, user: str | None = None, session: str | None = None) -> Iterator[Scope]:
    """Tag calls in this block; nested scopes override only the tags they set."""
    new = replace(_current.get()).merged(Scope(project=project, user=user, session=session))
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)
