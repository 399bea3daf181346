"""symparams: exact symbolic parameter counts, compute and memory of transformer models.

>>> import symparams
>>> d20 = symparams.model("nanochat", depth=20)
>>> d20.total
560988160
>>> d20.closed_form
2*D**2*L*(e + 2) + 2*D*V

Everything, the model tree included, is imported on first use: ``import symparams``
loads neither SymPy nor NumPy, so a command that prints a cached result
(symparams.cache) starts without them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

import os
from typing import TYPE_CHECKING, Callable

from . import display as _display  # noqa: F401  (registers the notebook displays)
from .errors import SymparamsError

if TYPE_CHECKING:  # pragma: no cover
    from .compiled.vector import Vectorized
    from .scaling import Fit
    from .spec import Spec

# name -> module that defines it; loaded on first attribute access. Functions named
# like their module (flops.flops, memory.memory) are imported from the module itself.
_LAZY = {
    "model": "symparams.catalog",
    "count": "symparams.counting",
    "names": "symparams.catalog",
    "ladder": "symparams.catalog",
    "Spec": "symparams.spec",
    "flops_table": "symparams.flops",
    "CONVENTIONS": "symparams.flops",
    "optimal": "symparams.scaling",
    "LAWS": "symparams.scaling",
    "fit_width": "symparams.scaling",
    "kv_bytes_per_token": "symparams.memory",
    "max_context": "symparams.memory",
    "max_batch": "symparams.memory",
    "sensitivity": "symparams.analysis",
    "crossover": "symparams.analysis",
    "size_for_budget": "symparams.analysis",
    "derive": "symparams.report",
    "from_dict": "symparams.families",
    "from_file": "symparams.families",
}

__all__ = ["__version__", "SymparamsError", "count_fn", "vectorize", "fit_depth", *_LAZY]


def _spec(model_or_name: "Spec | str | os.PathLike[str]") -> "Spec":
    """A Spec as given, or the model a name (family, preset, config.json path) stands for."""
    from .catalog import model
    from .spec import Spec

    if isinstance(model_or_name, Spec):
        return model_or_name
    return model(os.fspath(model_or_name) if isinstance(model_or_name, os.PathLike) else model_or_name)


def count_fn(model: "Spec | str | os.PathLike[str]", reading: str = "params") -> Callable[..., int]:
    """A fast exact counter for single configurations of ``model`` (a Spec, or a name the catalog knows).

    The function takes the model's symbols as keyword arguments (ints; a rational
    symbol such as ``e`` also a Fraction, a SymPy Rational or text like ``'8/3'``).
    Symbols left out keep the model's values, and symbols defined by relations
    (``H_kv``, ``d_h``, ``F``) follow them unless given. It returns exactly
    ``Spec.total`` (``Spec.active_total`` for ``reading="active"``) and raises the
    same SymparamsError for an invalid configuration. Compiling costs milliseconds
    once per model structure; each call then costs about a microsecond.

    >>> count = count_fn("nanochat")
    >>> count(), count(D=1536, H=12, L=24), count(H_kv=1)
    (560988160, 880803840, 502005760)
    >>> count(D=1536, H=12, L=24, e="8/3")
    729808896
    >>> count(D=320, H=3)
    Traceback (most recent call last):
    ...
    symparams.errors.SymparamsError: nanochat d20: H=3 does not divide D=320 (the head dimension d_h = D/H must be whole)
    """
    from .compiled import count_fn as compile_count

    return compile_count(_spec(model), reading)


def vectorize(model: "Spec | str | os.PathLike[str]", reading: str = "params") -> "Vectorized":
    """A function from NumPy integer arrays of symbol values to exact int64 counts.

    ``model`` is a :class:`Spec` or a name (``"nanochat"``, a preset, a config.json
    path). See :func:`symparams.compiled.vectorize`.

    >>> import numpy as np
    >>> f = vectorize("nanochat")
    >>> f(D=np.array([768, 1280, 1536]), H=np.array([6, 10, 12]), L=np.array([12, 20, 24])).tolist()
    [185597952, 560988160, 880803840]
    """
    from .compiled import vectorize as compile_vector

    return compile_vector(_spec(model), reading)


def fit_depth(family: "str | Callable[[int], Spec]", target: object, /, **overrides: object) -> "Fit":
    """The depth of a depth-sized family (a name, or a builder from depth to Spec) nearest ``target``.

    ``overrides`` set symbols at every depth (``H_kv=1``). See :func:`symparams.scaling.fit_depth`.

    >>> fit_depth("nanochat", 560_000_000).size
    20
    """
    from .scaling import fit_depth as fit

    if isinstance(family, str):
        from .catalog import ladder

        build = ladder(family)
        return fit(lambda depth: build(depth, **overrides), target)
    if overrides:
        raise SymparamsError("overrides go with a family's name; bind them into your builder")
    return fit(family, target)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symparams' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
