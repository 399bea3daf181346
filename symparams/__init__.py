"""symparams: exact symbolic parameter counts, compute and memory of transformer models.

>>> import symparams
>>> d20 = symparams.model("nanochat", depth=20)
>>> d20.total
560988160
>>> d20.closed_form
2*D**2*L*(e + 2) + 2*D*V
"""

from __future__ import annotations

__version__ = "0.1.0"

from .catalog import model, names
from .compiled import count_fn, vectorize
from .errors import SymparamsError
from .spec import Spec

__all__ = ["__version__", "model", "names", "Spec", "SymparamsError", "count_fn", "vectorize"]
