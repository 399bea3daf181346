"""symparams: exact symbolic parameter counts, compute and memory of transformer models.

>>> import symparams
>>> d20 = symparams.model("nanochat", depth=20)
>>> d20.total
560988160
>>> d20.closed_form
2*D**2*L*(e + 2) + 2*D*V

The readings beyond the parameter count (FLOPs, sizing, memory, derivations,
plots) are imported on first use, so ``import symparams`` stays as light as SymPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from . import display as _display  # noqa: F401  (registers the notebook displays)
from .catalog import model, names
from .compiled import count_fn, vectorize
from .errors import SymparamsError
from .spec import Spec

# name -> module that defines it; loaded on first attribute access. Functions named
# like their module (flops.flops, memory.memory) are imported from the module itself.
_LAZY = {
    "flops_table": "symparams.flops",
    "CONVENTIONS": "symparams.flops",
    "optimal": "symparams.scaling",
    "LAWS": "symparams.scaling",
    "fit_depth": "symparams.scaling",
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

__all__ = ["__version__", "model", "names", "Spec", "SymparamsError", "count_fn", "vectorize", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symparams' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
