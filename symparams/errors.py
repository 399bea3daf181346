"""One exception type for every input the tool refuses.

The CLI turns it into a single line on stderr and exit status 2; the library lets it
propagate. It subclasses ValueError because every case is a bad value.
"""

from __future__ import annotations


class SymparamsError(ValueError):
    """An input symparams refuses, with a one-line message naming the bad value."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())
