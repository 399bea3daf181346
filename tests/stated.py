"""The count of a size set on a Spec beside the count of the config that states it: what several properties of
values set later compare."""

from __future__ import annotations

from typing import Any, Callable

from symparams.errors import SymparamsError


def set_and_stated(spec: Any, name: str, value: int, stated: dict, read: Callable[[dict], Any]) -> tuple:
    """(the total of ``spec`` with ``name`` set to ``value``, the total of ``read(stated)``), each None where refused."""
    def total(make: Callable[[], Any]) -> int | None:
        try:
            return make().total
        except SymparamsError:
            return None

    return total(lambda: spec.with_values(**{name: value})), total(lambda: read(stated))
