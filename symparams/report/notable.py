"""What sets this model apart, read from its own tree: attention, MLP, experts, head, biases, norms.

Every family gets its own remarks because nothing here is written per family: each
bullet is a reading of the model (the ratio of query to key/value heads, which
leaves carry a bias, which head stores no weights) or a node's own description of
itself. A remark that does not apply is left out, so a plain model gets few.
"""

from __future__ import annotations

from collections import Counter

import sympy

from ..breakdown import Row
from ..symbols import H, H_kv
from .compare import first_layer, ratio
from .context import Reader
from .document import Bullets, Chains, Heading, Inline, Math, Para, Part, Values, Verbatim
from .math import Form

__all__ = ["section", "attention", "mlp", "head", "biases", "norms", "tables", "experts"]


def _named(names: list[str]) -> list[Inline]:
    out: list[Inline] = []
    for i, n in enumerate(names):
        out += ([", " if i < len(names) - 1 else " and "] if i else []) + [Verbatim(n)]
    return out


def _leaves(r: Reader, row: Row) -> list[Row]:
    return [x for x in r.breakdown.rows if x.is_leaf and x.path.startswith(row.path + ".")]


def _block(r: Reader) -> Row | None:
    """The first block of the model's layers, whose parts the remarks describe."""
    from ..insights import layer_rows

    layers = layer_rows(r.breakdown)
    if not layers:
        return None
    return next((x for x in r.breakdown.rows if x.depth == layers[0].depth + 1
                 and x.path.startswith(layers[0].path + ".")), None)


def attention(r: Reader) -> list[Inline]:
    row = first_layer(r, "attention")
    if row is None:
        return []
    env = r.spec.env
    head: list[Inline] = [Verbatim(row.node.describe()), ": "]
    if H not in env or H_kv not in env:
        return head + ["its weights are counted from its own projections."]
    q, kv = int(env[H]), int(env[H_kv])
    if kv == q:
        return head + ["multi-head attention, one key/value head per query head (", Values((("H", q),)), ")."]
    if kv == 1:
        return head + ["multi-query attention: all ", Values((("H", q),)), " query heads share one key/value head, "
                       "so K and V are each one head wide."]
    return head + ["grouped-query attention with ", Values((("H", q), ("H_kv", kv))), ": each key/value head serves ",
                   Math(Form(H / H_kv)), " query heads, and K and V are that many times narrower than Q."]


def mlp(r: Reader) -> list[Inline]:
    row = first_layer(r, "mlp")
    if row is None or row.node.token_children() != tuple((1, c) for c in row.node.children()):
        return []  # a mixture of experts is described by :func:`experts`
    mats = [r.short[x.path].rsplit(".", 1)[-1] for x in _leaves(r, row) if x.node.matmul() != 0]
    words = {2: "two matrices", 3: "three matrices, one gating another"}.get(len(mats), "matrices")
    return [Verbatim(row.node.describe()), f": {words}, ", *_named(mats), "."]


def experts(r: Reader) -> list[Part]:
    """A mixture of experts: how many experts a token passes through, and the share of weights it uses."""
    spec = r.spec
    if spec.active_total == spec.total:
        return []
    row = first_layer(r, "mlp")
    a, n = r.ref(None, "active"), r.ref()
    described: list[Inline] = [Verbatim(row.node.describe()), ": "] if row is not None else []
    return [
        Para((*described, "a mixture of experts. Every expert is stored, but a token passes through the router and "
              "only some experts, so the parameters it uses, A, are a fraction of N:")),
        Chains((r.chain(ratio(a, n), substitute=Form(ratio(a, n), keep_order=True), style="percent"),)),
    ]


def head(r: Reader) -> list[Inline]:
    """A head that stores no weights of its own (tied to the embedding) still multiplies."""
    tied = [x for x in r.breakdown.top() if x.is_leaf and x.node.matmul() != 0
            and sympy.sympify(x.node.params()) != x.node.matmul() and x.count < r.spec.value(x.node.matmul())]
    if not tied:
        return []
    names = [r.short[x.path] for x in tied]
    return ["The output head ", *_named(names), " is tied to the token embedding: it stores no weight matrix of its "
            "own, yet still costs a matmul per token."]


def biases(r: Reader) -> list[Inline]:
    """Which linear layers of a block carry a bias: their count exceeds their multiply-accumulates."""
    block = _block(r)
    if block is None:
        return []
    linear = [x for x in _leaves(r, block) if x.node.matmul() != 0]
    biased = [r.short[x.path] for x in linear if sympy.expand(x.node.params() - x.node.matmul()) != 0]
    if not biased:
        return ["No linear layer in the blocks has a bias."]
    if len(biased) == len(linear):
        return ["Every linear layer in the blocks has a bias."]
    return ["Biases only on ", *_named(biased), " in each block."]


def norms(r: Reader) -> list[Inline]:
    """The norms, as each describes itself, and how many of each kind."""
    found = Counter(x.node.describe() for x in r.breakdown.rows if x.is_leaf and x.node.group == "norm")
    if not found:
        return []
    kinds: list[Inline] = []
    for i, (what, _) in enumerate(found.most_common()):
        kinds += ([", " if i < len(found) - 1 else " and "] if i else []) + [Verbatim(what)]
    return ["Norms: ", *kinds, "."]


def tables(r: Reader) -> list[Inline]:
    """Embedding tables beyond the token embedding (learned positions, value embeddings)."""
    found = [x for x in r.breakdown.rows if x.is_leaf and x.node.group == "embedding"]
    extra = found[1:]
    if not extra:
        return []
    return ["Embedding tables besides ", Verbatim(r.short[found[0].path]), ": ",
            *_named([r.short[x.path] for x in extra]), "."]


def section(r: Reader) -> list[Part]:
    items = [item for item in (attention(r), mlp(r), head(r), biases(r), norms(r), tables(r)) if item]
    if not items and r.spec.active_total == r.spec.total:
        return []
    return [Heading(2, "What sets this model apart"),
            Para(("Read from the tree: each remark is a reading of this model, not a note about its family.",)),
            *([Bullets(tuple(tuple(i) for i in items))] if items else []),
            *experts(r)]
