"""An independent numeric counter: nanochat's weight shapes written out one by one.

It shares nothing with the symbolic tree (no SymPy, no symparams import): it lists
the tensors nanochat's ``gpt.py`` allocates, as plain integer shapes, the way one
would check the guide by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod


@dataclass(frozen=True)
class NanochatConfig:
    vocab: int
    width: int
    layers: int
    heads: int
    kv_heads: int
    expansion: Fraction = Fraction(4)
    bias: bool = False

    @property
    def head_dim(self) -> int:
        assert self.width % self.heads == 0
        return self.width // self.heads

    @property
    def hidden(self) -> int:
        hidden = self.expansion * self.width
        assert hidden.denominator == 1
        return int(hidden)


def nanochat_shapes(c: NanochatConfig) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of every learned tensor, in allocation order."""
    shapes = [("wte", (c.vocab, c.width))]
    hd = c.head_dim
    for i in range(c.layers):
        p = f"h.{i}."
        linears = [
            ("attn.c_q", c.width, c.heads * hd),
            ("attn.c_k", c.width, c.kv_heads * hd),
            ("attn.c_v", c.width, c.kv_heads * hd),
            ("attn.c_proj", c.heads * hd, c.width),
            ("mlp.c_fc", c.width, c.hidden),
            ("mlp.c_proj", c.hidden, c.width),
        ]
        for name, fan_in, fan_out in linears:
            shapes.append((p + name + ".weight", (fan_out, fan_in)))
            if c.bias:
                shapes.append((p + name + ".bias", (fan_out,)))
    shapes.append(("lm_head.weight", (c.vocab, c.width)))
    return shapes


def nanochat_count(c: NanochatConfig) -> int:
    return sum(prod(shape) for _, shape in nanochat_shapes(c))


def nanochat_groups(c: NanochatConfig) -> dict[str, int]:
    """Counts per group, keyed the way symparams tags its leaves."""
    out = {"embedding": 0, "attention": 0, "mlp": 0, "head": 0}
    for name, shape in nanochat_shapes(c):
        group = "embedding" if name == "wte" else "head" if name.startswith("lm_head") else name.split(".")[2]
        group = {"attn": "attention"}.get(group, group)
        out[group] += prod(shape)
    return out
