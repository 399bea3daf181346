"""LaTeX for closed forms, with the project's symbol names (H_{kv}, d_h).

SymPy already typesets ``H_kv`` as ``H_{kv}``; this module fixes the few names it
would not write the way papers do and keeps the ordering stable.
"""

from __future__ import annotations

import sympy
from sympy import Expr

from .symbols import SYMBOLS

__all__ = ["latex", "SYMBOL_NAMES"]

SYMBOL_NAMES = {SYMBOLS["d_h"]: "d_h", SYMBOLS["H_kv"]: "H_{kv}"}


def latex(expr: Expr) -> str:
    """``expr`` as LaTeX math (no surrounding dollars).

    >>> from symparams.symbols import D, V, H_kv
    >>> latex(2*D*V + H_kv)
    '2 D V + H_{kv}'
    """
    return sympy.latex(expr, symbol_names=SYMBOL_NAMES)
