"""Hypothesis strategies for valid model configurations, shared by every test module.

``CONFIGS`` maps each model_type to a strategy of small config.json dicts that
transformers builds; each group of families registers its own in a submodule here
(``CONFIGS.update(...)`` at import), and every submodule is imported below.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from oracle import NanochatConfig

# model_type -> strategy of config dicts (model_type included), filled by the submodules.
CONFIGS: dict[str, SearchStrategy[dict]] = {}


@st.composite
def nanochat_configs(draw, max_width: int = 4096, bias: bool | None = None) -> NanochatConfig:
    """A buildable nanochat: H divides D, H_kv divides H, e*D whole."""
    heads = draw(st.integers(1, 32))
    head_dim = draw(st.integers(1, max(1, max_width // heads)))
    width = heads * head_dim
    kv_heads = draw(st.sampled_from([d for d in range(1, heads + 1) if heads % d == 0]))
    denominator = draw(st.sampled_from([1, 1, 2, 3, 4]))
    numerator = draw(st.integers(1, 12 * denominator))
    expansion = Fraction(numerator, denominator)
    if (expansion * width).denominator != 1:
        expansion = Fraction(numerator)
    return NanochatConfig(
        vocab=draw(st.integers(1, 300_000)),
        width=width,
        layers=draw(st.integers(1, 96)),
        heads=heads,
        kv_heads=kv_heads,
        expansion=expansion,
        bias=draw(st.booleans()) if bias is None else bias,
    )


def overrides(c: NanochatConfig) -> dict:
    """The config as symparams overrides (exact SymPy numbers)."""
    import sympy

    return {
        "V": sympy.Integer(c.vocab), "D": sympy.Integer(c.width), "L": sympy.Integer(c.layers),
        "H": sympy.Integer(c.heads), "H_kv": sympy.Integer(c.kv_heads),
        "e": sympy.Rational(c.expansion.numerator, c.expansion.denominator),
    }


def spec_of(c: NanochatConfig):
    from symparams.families.nanochat import nanochat

    return nanochat(max(c.layers, 1), bias=c.bias, overrides=overrides(c))


def _load_groups() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_load_groups()
