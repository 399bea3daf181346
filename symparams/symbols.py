"""The symbol vocabulary: every size a transformer's closed form is written in.

One module holds them all so that every family, reading and renderer agrees on the
same SymPy objects (SymPy compares symbols by name *and* assumptions, so a second
``Symbol("D")`` made elsewhere would silently be a different variable).
Sizes are positive integers; the MLP expansion ``e`` is a positive rational
(nanochat's 4, or 8/3 for a SwiGLU sized to match a plain MLP).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = [
    "V", "D", "L", "H", "H_kv", "d_h", "e", "F", "E", "k", "P", "T", "B",
    "SYMBOLS", "Info", "INFO", "LATEX_NAMES", "symbol",
]


def _size(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, positive=True, integer=True)


V = _size("V")
D = _size("D")
L = _size("L")
H = _size("H")
H_kv = _size("H_kv")
d_h = _size("d_h")
e = sympy.Symbol("e", positive=True, rational=True)
F = _size("F")
E = _size("E")
k = _size("k")
P = _size("P")
T = _size("T")
B = _size("B")


@dataclass(frozen=True)
class Info:
    """What a symbol means, so tables, help texts and documents can say it."""

    symbol: sympy.Symbol
    meaning: str
    integer: bool = True
    latex: str = ""

    @property
    def tex(self) -> str:
        """How papers write the symbol (``H_{kv}``, ``d_h``): SymPy's own name unless given."""
        return self.latex or sympy.latex(self.symbol)


INFO: dict[str, Info] = {
    info.symbol.name: info
    for info in (
        Info(V, "vocabulary size (rows of the token embedding)"),
        Info(D, "model width (d_model)"),
        Info(L, "number of transformer blocks"),
        Info(H, "query heads"),
        Info(H_kv, "key/value heads (H for MHA, 1 for MQA)", latex="H_{kv}"),
        Info(d_h, "head dimension", latex="d_h"),
        Info(e, "MLP expansion factor (F = e*D)", integer=False),
        Info(F, "MLP hidden size (intermediate_size)"),
        Info(E, "experts per mixture-of-experts layer"),
        Info(k, "experts active per token (top-k)"),
        Info(P, "learned positions (max_position_embeddings)"),
        Info(T, "context length in tokens"),
        Info(B, "batch size in sequences"),
    )
}

SYMBOLS: dict[str, sympy.Symbol] = {name: info.symbol for name, info in INFO.items()}

# symbol -> LaTeX, for ``sympy.latex(..., symbol_names=LATEX_NAMES)``.
LATEX_NAMES: dict[sympy.Symbol, str] = {info.symbol: info.latex for info in INFO.values() if info.latex}


def symbol(name: str) -> sympy.Symbol:
    """The symbol called ``name``; a clear error for any other name."""
    from .errors import SymparamsError

    try:
        return SYMBOLS[name]
    except KeyError:
        known = ", ".join(SYMBOLS)
        raise SymparamsError(f"unknown symbol {name!r} (known: {known})") from None
