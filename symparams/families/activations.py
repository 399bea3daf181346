"""The activation names transformers knows, shared by every config reader that reads one.

transformers looks the configured name (``hidden_act``, ``activation_function``,
``activation``) up in its ``ACT2FN`` table when it builds the model and raises
KeyError for any other, so a reader that accepted an unknown name would count a
model no one can build. Two of the known activations hold learned weights of
their own in every MLP (PReLU's slope, xIELU's two alphas), which no tree here
counts; they are refused as well rather than counted short.
"""

from __future__ import annotations

from ..config import Config

__all__ = ["ACTIVATIONS", "activation"]

# transformers 5.x ``activations.ACT2CLS``: name -> learned parameters of one instance.
ACTIVATIONS: dict[str, int] = {
    "gelu": 0, "gelu_10": 0, "gelu_fast": 0, "gelu_new": 0, "gelu_python": 0, "gelu_pytorch_tanh": 0,
    "gelu_python_tanh": 0, "gelu_accurate": 0, "hardswish": 0, "laplace": 0, "leaky_relu": 0, "linear": 0,
    "mish": 0, "quick_gelu": 0, "relu": 0, "relu2": 0, "relu6": 0, "sigmoid": 0, "silu": 0,
    "sqrtsoftplus": 0, "swish": 0, "tanh": 0, "prelu": 1, "xielu": 2,
}


def activation(cfg: Config, name: str, default: str | None = None) -> str:
    """The activation named by field ``name``: one transformers knows and that has no weights of its own.

    A field in the family's table is read through it (its default, and its null refused
    as transformers refuses it); any other falls back to ``default``.
    """
    value = cfg.get(name) if name in cfg.fields else cfg.str(name, default)
    if value not in ACTIVATIONS:
        known = ", ".join(sorted(n for n, learned in ACTIVATIONS.items() if not learned))
        raise cfg.error(name, f"{value!r} is not an activation transformers knows (known: {known})")
    if ACTIVATIONS[value]:
        raise cfg.error(name, f"{value!r} has learned parameters of its own in every MLP, which are not counted here")
    return value
