"""Lists of named models that several test modules parametrize over, computed once a process."""

from __future__ import annotations

import functools

import symparams


@functools.lru_cache(maxsize=None)
def noted() -> tuple[str, ...]:
    """Named models whose reading of the config notes something (what a total leaves out, a default taken)."""
    return tuple(n for n in symparams.names() if symparams.model(n).notes)
