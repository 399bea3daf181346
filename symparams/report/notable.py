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
from ..components.composite import Block, Repeat
from ..components.shared import Shared
from ..components.sinks import Sinks
from ..errors import SymparamsError
from ..factoring import factor as factored
from ..symbols import H, H_kv, L, T, V, W
from .compare import code_list, first_layer, ratio, routed_layer, untouched
from .context import Reader
from .document import Bullets, Chains, Heading, Inline, Math, Para, Part, Values, Verbatim
from .math import Form

__all__ = ["section", "attention", "mlp", "head", "biases", "norms", "tables", "experts", "layers", "windows",
           "states", "sinks"]


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
    """The first attention whose cache grows with the context (not a linear-attention or state-space mixer)."""
    if _learned(r):
        return []
    row = next((x for _, x, cache in _mixers(r) if cache.has(T)), None) if _stacks(r) else first_layer(r, "attention")
    if row is None:
        return []
    env = r.spec.env
    head: list[Inline] = [Verbatim(row.node.describe()), ": "]
    latent = _latent(r, row)
    if latent:
        return head + latent
    routed, top_k = getattr(row.node, "experts", None), getattr(row.node, "top_k", None)
    if routed is not None and top_k is not None:
        return head + ["a mixture of attention experts: each token's queries and outputs pass through ",
                       *_count(r, top_k), " of ", *_count(r, routed), " experts, which share one key/value "
                       "projection."] if H_kv in env else head + ["a mixture of attention experts, ", *_count(r, top_k),
                                                                  " of ", *_count(r, routed), " per token."]
    if H not in env or H_kv not in env:
        return head + ["its weights are counted from its own projections."]
    q, kv = int(env[H]), int(env[H_kv])
    if kv == q:
        return head + ["multi-head attention, one key/value head per query head (", Values((("H", q),)), ")."]
    if kv == 1:
        return head + ["multi-query attention: all ", Values((("H", q),)), " query heads share one key/value head, "
                       "so K and V are each one head wide."]
    return head + ["grouped-query attention with ", Values((("H", q), ("H_kv", kv))), ": each key/value head serves ",
                   Math(Form(H / H_kv)), f" = {sympy.Rational(q, kv)} query heads, and K and V are that many times "
                   "narrower than Q."]


def _latent(r: Reader, row: Row) -> list[Inline]:
    """Latent attention: the cache holds one latent per token, not keys and values per head.

    Read from the node: its cache per token has no head count in it, though it has heads.
    """
    heads = getattr(row.node, "heads", None)
    kv_rank = getattr(row.node, "kv_rank", None)
    if heads is None or kv_rank is None:
        return []
    per_token = factored(sympy.sympify(row.node.cache_elements(T)) / T)
    q_rank = getattr(row.node, "q_rank", None)
    query: list[Inline] = (["queries pass through a rank-", Math(Form(q_rank)), " bottleneck and "]
                           if q_rank is not None else [])
    return ["multi-head latent attention: ", *query, "keys and values of all ", Math(Form(heads)),
            " heads are expanded from one latent of width ", Math(Form(kv_rank)), ", so a layer caches ",
            Math(Form(per_token)), " numbers per token, not two vectors per key/value head."]


def _learned(r: Reader) -> bool:
    """Whether the tree is a learned family's: shapes without semantics, so nothing to say of its attention or MLP."""
    from ..families.learned import PREFIX

    return r.spec.family.startswith(PREFIX)


def mlp(r: Reader) -> list[Inline]:
    row = first_layer(r, "mlp")
    if row is None or _learned(r) or row.node.token_children() != tuple((1, c) for c in row.node.children()):
        return []  # a mixture of experts is described by :func:`experts`
    mats = [r.short[x.path].rsplit(".", 1)[-1] for x in _leaves(r, row) if x.node.matmul() != 0]
    words = {2: "two matrices", 3: "three matrices, one gating another"}.get(len(mats), "matrices")
    routed = routed_layer(r)
    beside = routed is not None and routed.path.rsplit(".", 1)[0] == row.path.rsplit(".", 1)[0]
    where = " beside the experts, in every layer that has them" if beside else (
        " in the layers without experts" if routed is not None else "")
    return [Verbatim(row.node.describe()), f"{where}: {words}, ", *code_list(mats), "."]


def experts(r: Reader) -> list[Part]:
    """A mixture of experts: how many experts a token passes through, and the share of weights it uses."""
    spec = r.spec
    if spec.active_total == spec.total:
        return []
    row = routed_layer(r)
    if row is None:
        return _reused(r) if spec.active_total > spec.total else _untouched(r)
    a, n = r.ref(None, "active"), r.ref()
    described: list[Inline] = [Verbatim(row.node.describe()), ": "] if row is not None else []
    sizes: list[Inline] = []
    if row is not None:
        routed, top_k = getattr(row.node, "experts", None), getattr(row.node, "top_k", None)
        expert = getattr(row.node, "expert", None)
        if routed is not None and top_k is not None:
            sizes = [" Each token is routed to ", *_count(r, top_k), " of ", *_count(r, routed), " experts"]
            if expert is not None:
                sizes += [", each expert being ", Verbatim(expert.describe())]
            shared = getattr(row.node, "shared", None)
            if shared is not None:
                sizes += [", and through the shared ", Verbatim(shared.describe()), " always"]
            sizes.append(".")
    outside = [r.short[x.path] for x in untouched(r)]
    if outside:
        runs = "it runs" if len(outside) == 1 else "they run"
        sizes += [" A token of text never passes through ", *code_list(outside), f" either ({runs} once per image)."]
    return [
        Para((*described, "a mixture of experts. Every expert is stored, but a token passes through the router and "
              "only some experts, so the parameters it uses, A, are a fraction of N.", *sizes)),
        Chains((r.chain(ratio(a, n), substitute=Form(ratio(a, n), keep_order=True), style="percent"),)),
    ]


def _reused(r: Reader) -> list[Part]:
    """Weights applied more than once (a shared block): a token passes through more parameters than are stored."""
    a, n = r.ref(None, "active"), r.ref()
    return [
        Para(("Some weights are stored once and applied at several layers, so the parameters a token passes "
              "through, A, exceed those stored, N:",)),
        Chains((r.chain(ratio(a, n), substitute=Form(ratio(a, n), keep_order=True), style="percent"),)),
    ]


def _untouched(r: Reader) -> list[Part]:
    """Parts stored with the model that a token of text never passes through (a vision tower): A falls short of N."""
    a, n = r.ref(None, "active"), r.ref()
    outside = [r.short[x.path] for x in untouched(r)]
    they = "it is" if len(outside) == 1 else "they are"
    words = (("A token of text never passes through ", *code_list(outside), f": {they} stored, in N, and run once per "
              "image, so the parameters a token passes through, A, are fewer:") if outside else
             ("A token passes through only some of the stored parameters, A of N:",))
    return [
        Para(words),
        Chains((r.chain(ratio(a, n), substitute=Form(ratio(a, n), keep_order=True), style="percent"),)),
    ]


def _stacks(r: Reader) -> list[tuple[Row, sympy.Expr]]:
    """The model's stacks of blocks at the top of its tree, each with how many layers it applies (not tables)."""
    out = []
    for row in r.breakdown.top():
        if isinstance(row.node, Repeat) and isinstance(row.node.child, Block):
            out.append((row, row.node.count))
        elif isinstance(row.node, Shared):
            out.append((row, row.node.uses))
    return out


def _count(r: Reader, count: sympy.Expr) -> list[Inline]:
    """A size in prose: ``L_d=3`` for a symbol, the formula alone for an expression (its symbols are in the table)."""
    count = sympy.sympify(count)
    if count.is_Symbol:
        return [Values(((count.name, r.value(count)),))]
    if count.is_Integer and abs(int(count)) < 1000:
        return [str(int(count))]
    return [Math(Form(count))]


def _in_layers(r: Reader, count: sympy.Expr) -> list[Inline]:
    """``in L_s=15 of the L=18 layers``, or ``in every layer``."""
    if L in r.spec.env and r.value(count) == r.spec.env[L]:
        return ["in every layer"]
    of = [" of the ", Values((("L", r.spec.env[L]),)), " layers"] if L in r.spec.env else [" layers"]
    return ["in ", *_count(r, count), *of]


def layers(r: Reader) -> list[Inline]:
    """Stacks of different layers (dense then MoE, sliding then full, state-space beside attention)."""
    stacks = _stacks(r)
    if len(stacks) < 2 and not any(isinstance(row.node, Shared) for row, _ in stacks):
        return []
    out: list[Inline] = ["Layers of more than one kind: "]
    said = [row.node.child.describe() for row, _ in stacks]  # type: ignore[attr-defined]
    for i, (row, count) in enumerate(stacks):
        out += ([", " if i < len(stacks) - 1 else " and "] if i else [])
        size = _count(r, count)
        out += [*(["(", *size, ")"] if isinstance(count, sympy.Add) else size), " x ", Verbatim(said[i])]
        if said.count(said[i]) > 1:  # blocks described alike differ in what they hold: name the stack
            out += [" (", Verbatim(r.short.get(row.path, row.path)), ")"]
        if isinstance(row.node, Shared):
            out += [" (", *_count(r, row.node.copies), " stored copies)"]
    return out + ["."]


def _mixers(r: Reader) -> list[tuple[sympy.Expr, Row, sympy.Expr]]:
    """(layers, mixer, cache per sequence) for the token mixers (attention, state-space) of every stack."""
    out = []
    stacks: list[tuple[Row | None, sympy.Expr]] = [*_stacks(r)] or [(None, sympy.Integer(1))]
    for stack, count in stacks:
        prefix = stack.path + "." if stack is not None else ""
        found: list[Row] = []
        for x in r.breakdown.rows:
            if (x.is_leaf or x.node.group not in ("attention", "ssm") or not x.path.startswith(prefix)
                    or any(x.path.startswith(f.path + ".") for f in found)):
                continue
            try:
                cache = sympy.sympify(x.node.cache_elements(T))
            except SymparamsError:  # a learned tree knows no cache: no remark on windows or states
                return []
            if cache != 0 or getattr(x.node, "kv_shared", False):
                found.append(x)
                out.append((count, x, cache))
    return out


def _reuses(x: Row) -> bool:
    """Attention that caches nothing because it reuses the keys and values another layer made (Gemma 4's)."""
    return bool(getattr(x.node, "kv_shared", False))


def _windowed(x: Row, cache: sympy.Expr) -> bool:
    return getattr(x.node, "window", None) == W if _reuses(x) else bool(cache.has(sympy.Min) and cache.has(W))


def windows(r: Reader) -> list[Inline]:
    """Layers that attend to (and cache) at most W tokens, and how many attend to everything."""
    mixers = _mixers(r)
    windowed = [(c, x) for c, x, cache in mixers if _windowed(x, cache)]
    if not windowed or W not in r.spec.env:
        return []
    count = sympy.Add(*(c for c, _ in windowed))
    full = sympy.Add(*(c for c, x, cache in mixers if not _windowed(x, cache) and (_reuses(x) or cache.has(T))))
    kind = "Chunked" if "chunks=" in windowed[0][1].node.describe() else "Sliding-window"
    out: list[Inline] = [f"{kind} attention with ", Values((("W", r.spec.env[W]),)), " ", *_in_layers(r, count),
                         ": a query there attends to at most W tokens, and the layer caches at most W."]
    if full != 0:
        out += [" The other ", *_count(r, full), " layers attend to the whole context."]
    reusing = sympy.Add(*(c for c, x, _ in mixers if _reuses(x)))
    if reusing != 0:
        out += [" ", *_count(r, reusing), " of the layers make no keys or values and cache none: each attends to "
                "those the last earlier layer of its kind made."]
    return out


def states(r: Reader) -> list[Inline]:
    """Mixers whose cache does not grow with the context: state-space and linear-attention layers."""
    fixed = [(c, x, cache) for c, x, cache in _mixers(r) if not cache.has(T) and not _reuses(x)]
    if not fixed:
        return []
    count, row, cache = fixed[0]
    total = sympy.Add(*(c for c, _, _ in fixed))
    attends = any(cache.has(T) for _, _, cache in _mixers(r))
    return [Verbatim(row.node.describe()), " ", *_in_layers(r, total),
            ": a recurrent mixer whose state per sequence, ", Math(Form(cache)),
            " numbers per layer, stays the same size whatever the context length T",
            *(["; only attention keeps a cache that grows with T."] if attends
              else ["; the model has no attention and no KV cache."])]


def sinks(r: Reader) -> list[Inline]:
    """Learned attention sinks: one logit per head that soaks up attention weight."""
    found = next((x for x in r.breakdown.rows if x.is_leaf and isinstance(x.node, Sinks)), None)
    if found is None:
        return []
    return ["Attention sinks: ", Verbatim(found.node.describe()), ", one learned logit per head that joins the "
            "softmax and takes attention weight without adding a value."]


def head(r: Reader) -> list[Inline]:
    """A head that stores no weights of its own (tied to the embedding) still multiplies."""
    tied = [x for x in r.breakdown.top() if x.is_leaf and x.node.matmul() != 0
            and sympy.sympify(x.node.params()) != x.node.matmul() and x.count < r.spec.value(x.node.matmul())]
    if not tied:
        return []
    names = [r.short[x.path] for x in tied]
    return ["The output head ", *code_list(names), " is tied to the token embedding: it stores no weight matrix of its "
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
    return ["Biases only on ", *code_list(biased), " in each block."]


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
    """Embedding tables beyond the token embedding (learned positions, value embeddings), and the projections the
    embedding group also holds (OPT's ``project_in``, a matmul, not a lookup)."""
    found = [x for x in r.breakdown.rows if x.is_leaf and x.node.group == "embedding"]
    token = next((x for x in found if V in x.node.params().free_symbols), found[0] if found else None)
    extra = [x for x in found if x is not token and x.node.matmul() == 0]
    maps = [x for x in found if x is not token and x.node.matmul() != 0]
    if token is None or not (extra or maps):
        return []
    said: list[Inline] = ["Embedding tables besides ", Verbatim(r.short[token.path]), ": ",
                          *code_list([r.short[x.path] for x in extra])] if extra else []
    if maps:
        one = len(maps) == 1
        said += ["; and" if extra else "Beside the embedding tables,", " the projection " if one else " the projections ",
                 *code_list([r.short[x.path] for x in maps]), ", a matrix" if one else ", matrices",
                 " every token passes through"]
    return [*said, "."]


def section(r: Reader) -> list[Part]:
    items = [item for item in (layers(r), attention(r), windows(r), sinks(r), states(r), mlp(r), head(r), biases(r),
                               norms(r), tables(r)) if item]
    if not items and r.spec.active_total == r.spec.total:
        return []
    return [Heading(2, "What sets this model apart"),
            Para(("Read from the tree: each remark is a reading of this model, not a note about its family.",)),
            *([Bullets(tuple(tuple(i) for i in items))] if items else []),
            *experts(r)]
