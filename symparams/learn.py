"""Learn the closed form of a causal LM that transformers can build, from its parameter shapes.

A hand-written family knows an architecture's semantics; this reading knows only what
transformers builds, which is enough for the parameter count. For a ``model_type`` it

1. builds *probes* on the meta device (shapes, no storage): the default config with few
   layers, then the same with one integer field changed at a time (which fields shape
   the model, and which dimension follows which field), then configs with every shaping
   field drawn at once, the heads kept dividing the width and the key/value heads the heads;
2. reads the *layout*: each distinct parameter (tied weights once) by name and shape,
   the per-layer ones (``layers.{i}.``) grouped into kinds of layer;
3. fits every tensor dimension, every count of layers of a kind and every count of
   repeated modules in a layer exactly, in rational arithmetic, as a low-degree
   polynomial of the fields, a quotient by one field, a polynomial in a floored quotient
   (``hidden_size // num_attention_heads``), or a rounding (``floor(c*x)``,
   ``m*ceil(c*x/m)``: Llama's ``multiple_of``, vocabulary padding), and keeps a form only
   if it also holds on probes the fit did not see. A dimension nothing simple explains
   is refused with its fields and the reason, never guessed.

The result, :class:`LearnedFamily`, is plain data (JSON): expressions are nested lists
(``["mul", ["field", "hidden_size"], 2]``), never code, and are read back without torch,
without ``eval`` and without SymPy's parser. A checksum and a set of witnesses (configs
with the totals transformers built for them) are re-checked on loading, so a corrupted or
hand-edited file is refused rather than giving a wrong count.

What a learned family does not know it says: fields it did not vary (switches such as
``tie_word_embeddings``, fields left null) are *fixed* at the value it was learned with,
and a config that changes one is refused with that field named. Two kinds are exceptions: a
true-or-false switch that shapes the model is learned again with its other value, and a null
field that shapes it when given (``head_dim``) again with a number given; each is a *variant*
that counts a config changing that one field. An activation (``hidden_act``) keeps the other
activations with which transformers builds the same shapes.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import itertools
import json
import math
import random
import re
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Iterator, Mapping, Sequence

from .errors import SymparamsError
from .families.learned.data import (
    CANONICAL,
    FORMAT,
    MODULE_KINDS,
    LearnedFamily,
    Node,
    check_node,
    config_lists,
    evaluate,
    fields_in,
    layer_key,
    load,
    loads,
    rope_type,
    symbol_for,
    to_sympy,
)

__all__ = [
    "FORMAT", "LearnedFamily", "NoForm", "learn", "load", "loads", "fit_form", "evaluate", "to_sympy",
    "CANONICAL", "MODULE_KINDS", "check_node", "symbol_for",
]


# Roles the probe generator keeps consistent (heads divide the width, kv heads divide heads).
_WIDTH = ("hidden_size", "n_embd", "d_model", "n_embed", "dim")
_HEADS = ("num_attention_heads", "n_head", "num_heads", "n_heads")
_KV = ("num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num", "n_kv_heads")
_HEAD_DIM = ("head_dim", "kv_channels", "attention_head_dim")
_LAYERS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
_VOCAB = ("vocab_size",)
# Integer fields that never shape parameters, so are not probed (token ids, chunking).
_NOT_SHAPES = re.compile(r"(_token_id|_token_ids|^chunk_size_feed_forward|_seed|^num_labels)$")
# Fields of every PreTrainedConfig that are bookkeeping, not architecture.
_BOOKKEEPING = {
    "transformers_version", "architectures", "output_hidden_states", "output_attentions", "return_dict", "dtype",
    "torch_dtype", "id2label", "label2id", "problem_type", "_name_or_path", "model_type", "use_cache",
    "is_encoder_decoder", "tokenizer_class", "prefix", "task_specific_params", "finetuning_task",
}

MAX_DEGREE = 2
@dataclass(frozen=True)
class Cycle:
    """An override of a per-layer list: its entries repeated to the depth of each config built."""

    entries: tuple[str, ...]


def _expand(cls, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values with each :class:`Cycle` made a list as long as the config is deep."""
    out = copy.deepcopy(dict(values))  # a config may rewrite a list it is given (gemma4's last layer)
    cycles = [k for k, v in out.items() if isinstance(v, Cycle)]
    if cycles:
        depth = next((out[f] for f in _LAYERS if isinstance(out.get(f), int)), None)
        if depth is None:
            depth = next(getattr(cls(), f) for f in _LAYERS if hasattr(cls(), f))
        for k in cycles:
            out[k] = [out[k].entries[i % len(out[k].entries)] for i in range(depth)]
    return out


# Model types whose default config transformers cannot build, and the fields a released config sets that
# make it buildable. Learned from there like any other; a non-numeric one is then fixed at this value.
BASE_OVERRIDES: dict[str, tuple[dict[str, Any], str]] = {
    "hunyuan_v1_moe": ({"head_dim": 128}, "the default leaves head_dim null, which the attention reads; "
                                          "Hunyuan-A13B sets 128"),
    "dots1": ({"n_routed_experts": 128, "n_shared_experts": 2, "num_experts_per_tok": 6},
              "the default leaves the experts null; dots.llm1 sets 128 routed, 2 shared, 6 per token"),
    "reformer": ({"is_decoder": True}, "ReformerModelWithLMHead needs is_decoder, which the default leaves false"),
    "cohere_compass_text": ({"rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 10000.0}}},
                            "the default's per-layer-type rope table is empty, and the rotary embedding reads the "
                            "full_attention entry"),
    "gemma3n_text": ({"num_kv_shared_layers": 0}, "the default shares the KV cache of its last 15 layers, more than a "
                                                  "model reduced to a few layers holds; the probes vary it from 0"),
    "lfm2_moe": ({"layer_types": Cycle(("conv", "conv", "full_attention", "conv"))},
                 "the default leaves layer_types null, which every layer reads; LFM2-8B-A1B mixes conv and "
                 "full_attention layers about as this cycle does (learn draws the lists at random anyway)"),
}
# Probes draw depths up to the default's, at most this: a pattern over the first layers must show in them.
MAX_PROBE_LAYERS = 24
# A rounded form's coefficient is a simple fraction (2/3, 8/3): a larger denominator is a coincidence of the probes.
MAX_ROUNDED_DENOMINATOR = 64
# The decimals of the class's own default config (xLSTM's ffn_proj_factor 2.667): a width rounded from one of them
# times a size has that decimal for its coefficient, which probes of small sizes cannot tell from a simpler fraction
# near it (8/3); where one explains the probes it is taken.
_CONSTANTS: contextvars.ContextVar[tuple[Fraction, ...]] = contextvars.ContextVar("constants", default=())


def _rat(value: Fraction) -> Node:
    return int(value) if value.denominator == 1 else ["rat", value.numerator, value.denominator]


class NoForm(SymparamsError):
    """No simple closed form explains a quantity the model's layout shows."""


# ---- exact fitting -------------------------------------------------------------------------------------

Var = Any  # a field name, or ("fdiv", x, y) for x // y
Obs = Sequence[tuple[Mapping[str, int], int]]


def _var_value(var: Var, env: Mapping[str, int]) -> Fraction | None:
    if isinstance(var, str):
        return Fraction(env[var])
    _, x, y = var
    return None if env[y] == 0 else Fraction(env[x] // env[y])


def _var_node(var: Var) -> Node:
    if isinstance(var, str):
        return ["field", var]
    return ["floor", ["div", ["field", var[1]], ["field", var[2]]]]


def _solve(rows: list[list[Fraction]], rhs: list[Fraction]) -> list[Fraction] | None:
    """The unique exact solution of an overdetermined linear system, or None (inconsistent or not unique)."""
    n = len(rows[0]) if rows else 0
    m = [r[:] + [b] for r, b in zip(rows, rhs)]
    pivots: list[int] = []
    r = 0
    for c in range(n):
        pivot = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            return None  # a column the probes cannot tell apart: not unique
        m[r], m[pivot] = m[pivot], m[r]
        inv = 1 / m[r][c]
        m[r] = [v * inv for v in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(c)
        r += 1
    if any(row[n] != 0 for row in m[r:]):
        return None
    return [m[i][n] for i in range(n)]


def _monomials(variables: Sequence[Var], degree: int) -> list[tuple[Var, ...]]:
    out: list[tuple[Var, ...]] = []
    for d in range(degree + 1):
        out.extend(itertools.combinations_with_replacement(variables, d))
    return out


def _poly_node(terms: Sequence[tuple[Var, ...]], coefs: Sequence[Fraction], den: str | None) -> Node:
    parts: list[Node] = []
    for mono, c in zip(terms, coefs):
        if c == 0:
            continue
        factors: list[Node] = [_var_node(v) for v in mono]
        if c != 1 or not factors:
            factors.insert(0, _rat(c))
        parts.append(factors[0] if len(factors) == 1 else ["mul", *factors])
    node: Node = 0 if not parts else parts[0] if len(parts) == 1 else ["add", *parts]
    return node if den is None else ["div", node, ["field", den]]


def _holds(node: Node, obs: Obs) -> bool:
    try:
        return all(evaluate(node, env) == value for env, value in obs)
    except (SymparamsError, ZeroDivisionError, KeyError):
        return False


def _fit_poly(train: Obs, variables: Sequence[Var], degree: int, den: str | None, need: Var | None = None) -> Node | None:
    terms = [t for t in _monomials(variables, degree) if need is None or need in t or not t]
    if need is not None and not any(need in t for t in terms):
        return None
    rows, rhs = [], []
    for env, value in train:
        row = []
        for t in terms:
            v = Fraction(1)
            for var in t:
                x = _var_value(var, env)
                if x is None:
                    return None
                v *= x
            row.append(v)
        scale = Fraction(1) if den is None else Fraction(env[den])
        if scale == 0:
            return None
        rows.append(row)
        rhs.append(Fraction(value) * scale)
    if len(rows) < len(terms) + 1:
        return None
    coefs = _solve(rows, rhs)
    if coefs is None:
        return None
    if need is not None and all(c == 0 for t, c in zip(terms, coefs) if need in t):
        return None
    return _poly_node(terms, coefs, den)


def _simplest_in(lo: Fraction, lo_closed: bool, hi: Fraction, hi_closed: bool, max_den: int = 4096) -> Fraction | None:
    """The rational of smallest denominator in an interval (None if empty or none small enough)."""
    if lo > hi or (lo == hi and not (lo_closed and hi_closed)):
        return None
    for q in range(1, max_den + 1):
        p = (lo * q).__floor__()
        for cand in (Fraction(p, q), Fraction(p + 1, q)):
            if (cand > lo or (lo_closed and cand == lo)) and (cand < hi or (hi_closed and cand == hi)):
                return cand
    return None


def _fit_rounded(train: Obs, variables: Sequence[str]) -> list[Node]:
    """``M * outer(inner(c * m) / M)`` for one monomial m, one multiple M, outer floor/ceil, inner exact or floor."""
    values = [v for _, v in train]
    if not values:
        return []
    found: list[tuple[int, int, Node]] = []
    multiples: list[int | str] = [1]
    g = 0
    for v in values:
        g = _gcd(g, v)
    if g > 1:
        multiples += [d for d in (g, 256, 128, 64, 32, 16, 8, 4, 2) if g % d == 0 and d <= g]
    multiples += [f for f in variables if all(env[f] > 0 and v % env[f] == 0 for env, v in train)]
    multiples = list(dict.fromkeys(multiples))
    monos = [t for t in _monomials(variables, MAX_DEGREE) if t]
    for mono in monos:
        xs = []
        for env, _ in train:
            x = Fraction(1)
            for var in mono:
                x *= env[var]
            xs.append(x)
        if any(x <= 0 for x in xs):
            continue
        for mult in multiples:
            for outer in ("floor", "ceil"):
                for inner in ("exact", "floor"):
                    if mult == 1 and inner == "floor":
                        continue
                    got = _rounded_candidate(train, xs, mono, mult, outer, inner)
                    if got is not None:
                        found.append((got[0], len(found), got[1]))
    return [node for _, _, node in sorted(found, key=lambda f: f[:2])]


def _rounded_candidate(train: Obs, xs: list[Fraction], mono: tuple, mult: int | str, outer: str,
                       inner: str) -> tuple[int, Node] | None:
    """The simplest coefficient c, if any, for which the rounding holds on every probe, with its denominator."""
    lo, lo_c, hi, hi_c = Fraction(-(10**18)), True, Fraction(10**18), True
    for (env, q), x in zip(train, xs):
        m = env[mult] if isinstance(mult, str) else mult
        if m <= 0 or q % m:
            return None
        k = q // m
        if inner == "exact":  # t = c*x
            a, b = (Fraction(k * m), Fraction((k + 1) * m)) if outer == "floor" else (Fraction((k - 1) * m), Fraction(k * m))
            a_c, b_c = outer == "floor", outer == "ceil"
        else:  # t = floor(c*x) in a range of integers
            t_lo, t_hi = (k * m, k * m + m - 1) if outer == "floor" else ((k - 1) * m + 1, k * m)
            a, b, a_c, b_c = Fraction(t_lo), Fraction(t_hi + 1), True, False
        a, b = a / x, b / x
        if a > lo or (a == lo and not a_c):
            lo, lo_c = a, a_c
        if b < hi or (b == hi and not b_c):
            hi, hi_c = b, b_c
    given = next((k for k in _CONSTANTS.get() if (k > lo or (lo_c and k == lo)) and (k < hi or (hi_c and k == hi))), None)
    c = given if given is not None else _simplest_in(lo, lo_c, hi, hi_c, MAX_ROUNDED_DENOMINATOR)
    if c is None or c <= 0:
        return None
    t: Node = ["mul", _rat(c), *(["field", v] for v in mono)] if c != 1 else (
        ["mul", *(["field", v] for v in mono)] if len(mono) > 1 else ["field", mono[0]])
    if inner == "floor":
        t = ["floor", t]
    m_node: Node = ["field", mult] if isinstance(mult, str) else mult
    rank = 0 if given is not None else c.denominator
    if mult == 1:
        return rank, [outer, t]
    return rank, ["mul", m_node, [outer, ["div", t, m_node]]]


def _fit_clamped(train: Obs, variables: Sequence[str]) -> list[Node]:
    """``min(x, c)`` and ``max(x - c, 0)``: the first c layers of one kind, the rest of another."""
    out: list[Node] = []
    constants = sorted({v for _, v in train} | {env[x] - v for env, v in train for x in variables})
    for x in variables:
        for c in (c for c in constants if c > 0):
            out.append(["min", ["field", x], c])
            out.append(["max", ["add", ["field", x], -c], 0])
    for x, y in itertools.permutations(variables, 2):
        # the first y layers of one kind and the rest of another, y a field (first_k_dense_replace)
        out.append(["min", ["field", x], ["field", y]])
        out.append(["max", ["add", ["field", x], ["mul", -1, ["field", y]]], 0])
        # x layers of a kind that exists only while y > 0 (shared experts), or only while y is 0
        out.append(["mul", ["field", x], ["min", ["field", y], 1]])
        out.append(["add", ["field", x], ["mul", -1, ["field", x], ["min", ["field", y], 1]]])
    return out


def _gcd(a: int, b: int) -> int:
    import math

    return math.gcd(a, b)


def fit_form(obs: Obs, deps: Sequence[str], what: str = "a quantity", held_out: Obs = ()) -> Node:
    """The simplest exact form over the fields ``deps`` that explains every observation and the held-out ones.

    Tried in order: a constant; polynomials of degree 1 then 2; the same over one field as
    denominator; polynomials in one floored quotient ``x // y``; roundings of a monomial.
    Raises :class:`NoForm` naming the fields and why, never guesses.
    """
    deps = sorted(deps)
    every = list(obs) + list(held_out)
    values = {v for _, v in every}
    if len(values) == 1 and not deps:
        return next(iter(values))
    attempts: list[Callable[[], Node | list[Node] | None]] = []
    for degree in (0, 1, MAX_DEGREE):
        attempts.append(partial(_fit_poly, obs, deps, degree, None))
    for den in deps:
        for degree in (1, MAX_DEGREE):
            attempts.append(partial(_fit_poly, obs, deps, degree, den))
    for x, y in itertools.permutations(deps, 2):
        q = ("fdiv", x, y)
        for degree in (1, MAX_DEGREE):
            attempts.append(partial(_fit_poly, obs, [*deps, q], degree, None, need=q))
    attempts.append(partial(_fit_rounded, obs, deps))
    attempts.append(partial(_fit_clamped, obs, deps))
    for attempt in attempts:
        got = attempt()
        for node in got if isinstance(got, list) and (not got or not isinstance(got[0], str)) else [got]:
            if node is not None and _holds(node, every):
                return node
    shown = ", ".join(deps) or "no field"
    reason = (f"{len(every)} probes are too few to tell forms apart" if len(every) < 4 else
              "no polynomial of degree 2 or less, quotient by one of them, floored quotient, rounding or clamp "
              "fits every probe")
    raise NoForm(f"{what} depends on {shown}: {reason}")


# ---- the transformers side --------------------------------------------------------------------------------


def _require() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise SymparamsError(
            f"learn needs torch and transformers ({err.name} is not installed): pip install 'symparams[verify]'"
        ) from None


def _config_class(model_type: str):
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if model_type not in transformers.CONFIG_MAPPING:
        shown = model_type if len(model_type) <= 40 else model_type[:37] + "..."
        raise SymparamsError(f"transformers {transformers.__version__} has no model_type {shown!r}")
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise SymparamsError(f"{model_type} has no causal-LM class in transformers {transformers.__version__}: "
                             "learn reads decoder-only language models")
    return transformers.CONFIG_MAPPING[model_type]


def _language_part(cls) -> str:
    """What a nested config's refusal says of its language model: whether transformers builds its text_config's model
    type as a causal LM alone (the count of a wrapper whose text_config symparams counts says to count that part)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if "text_config" not in (getattr(cls, "sub_configs", None) or {}):
        return "; it has no text_config of a language model to count alone"
    try:  # the default's own: a class may declare its text config as any (AutoConfig)
        inner = getattr(cls().text_config, "model_type", None)
    except Exception:
        inner = None
    if not isinstance(inner, str) or not inner:
        return "; its text_config names no model type to count alone"
    if inner in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return f"; its text_config (model_type {inner}) is a causal LM of its own"
    return f"; its text_config (model_type {inner}) is no causal LM transformers builds alone"


def _make_config(cls, overrides: Mapping[str, Any]):
    from .verify import quiet

    with quiet():
        return cls(**_expand(cls, overrides))


class Layout(dict):
    """Every distinct parameter by name, with its shape; ``modules`` says what kind of module holds each.

    The kind (``linear``, ``conv1d``, ``embedding``, ``norm``, else ``other``) is what a
    count needs no semantics for but a breakdown and matmul FLOPs do: a table is looked
    up, a linear layer multiplies, and GPT-2's ``Conv1D`` stores its weight transposed.
    """

    def __init__(self, *args: Any, modules: Mapping[str, str] | None = None):
        super().__init__(*args)
        self.modules: dict[str, str] = dict(modules or {})
        self.config: dict[str, Any] = {}  # the config transformers built it from (its per-layer lists)




def _module_kind(module: Any) -> str:
    import torch

    if isinstance(module, torch.nn.Embedding):
        return "embedding"
    if type(module).__name__ == "Conv1D":
        return "conv1d"
    if isinstance(module, torch.nn.Linear):
        return "linear"
    if isinstance(module, torch.nn.LayerNorm) or "norm" in type(module).__name__.lower():
        return "norm"
    return "other"


def _build(cls, overrides: Mapping[str, Any], architecture: str | None = None, fresh: bool = False) -> Layout:
    """Every distinct parameter (tied weights once) of the model for ``overrides``, by name, with its shape (of the
    causal LM, or of the class ``architecture`` names).

    A build this process made already is given again (symparams.verify.remembered), as a copy, unless ``fresh``."""
    from .verify import _versions, build_key, remembered

    key = None if fresh else build_key("layout", _versions(), cls, overrides, architecture)
    found = remembered(key, lambda: _built(cls, overrides, architecture))
    out = Layout(found, modules=found.modules)
    out.config = copy.deepcopy(found.config)
    return out


def _built(cls, overrides: Mapping[str, Any], architecture: str | None) -> Layout:
    import warnings

    from .verify import meta_model, quiet

    with quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = cls(**_expand(cls, overrides))
        if getattr(cfg, "is_encoder_decoder", False):
            raise SymparamsError(f"{cfg.model_type} is an encoder-decoder: learn reads decoder-only language models")
        model = meta_model(cfg, architecture=architecture)
    seen: set[int] = set()
    out = Layout()
    out.config = cfg.to_dict()
    owners = dict(model.named_modules(remove_duplicate=False))
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in seen:
            continue
        seen.add(id(p))
        out[name] = tuple(int(s) for s in p.shape)
        out.modules[name] = _module_kind(owners[name.rpartition(".")[0]])
    return out


def _try_build(cls, overrides: Mapping[str, Any], architecture: str | None = None,
               fresh: bool = False) -> Layout | None:
    try:
        return _build(cls, overrides, architecture, fresh)
    except SymparamsError:
        raise
    except Exception:  # transformers refuses this combination: the probe is simply not used
        return None


# ---- reading a layout -------------------------------------------------------------------------------------

_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


@dataclass(frozen=True)
class Reading:
    """A layout as quantities: top-level dimensions, layer kinds and their counts, per-layer repeats and dimensions.

    Keys: ``("dim", template, i)`` for a parameter outside any stack; ``("kind", kind)``
    for how many layers of a kind; ``("rep", kind, template)`` for how many copies of a
    parameter one layer of the kind holds; ``("kdim", kind, template, i)`` for its dimensions.
    """

    values: dict[tuple, int]
    ranks: dict[tuple, int]  # template (top or (kind, template)) -> number of dimensions
    modules: dict[tuple, str] = field(default_factory=dict)  # the same keys as ranks -> kind of module
    order: dict[str, tuple[str, ...]] = field(default_factory=dict)  # stack -> the kind of each of its layers


def layer_labels(config: Mapping[str, Any], n: int) -> list[str]:
    """Each layer's entries of every list of one text entry per layer (``layer_types=full_attention``)."""
    names = sorted(k for k, v in config.items()
                   if isinstance(v, list) and len(v) == n and all(isinstance(x, str) for x in v))
    return [",".join(f"{k}={config[k][i]}" for k in names) for i in range(n)]


def read_layout(layout: Layout, split: bool = False) -> Reading:
    """Group a layout: the first numeric segment is the layer index; the rest of the name is the template.

    With ``split``, the layers of a stack as deep as the config's per-layer lists are told
    apart by their entries too (``stack | templates | layer_types=full_attention``): where one
    kind's tensors differ in shape between its layers (a full-attention layer's wider heads), a
    per-layer list may decide which shape a layer has.
    """
    values: dict[tuple, int] = {}
    ranks: dict[tuple, int] = {}
    modules: dict[tuple, str] = {}
    kinds_of = getattr(layout, "modules", {})
    local_kinds: dict[tuple[str, str], str] = {}
    layers: dict[tuple[str, int], dict[str, list[tuple[int, ...]]]] = {}
    for name, shape in layout.items():
        m = _INDEX.search(name)
        if m is None:
            ranks[("top", name)] = len(shape)
            modules[("top", name)] = kinds_of.get(name, "other")
            for i, s in enumerate(shape):
                values[("dim", name, i)] = s
            continue
        stack, index = name[:m.start()], int(m.group(1))
        local = name[m.end() + 1:]
        local_kinds[(stack, _template(local))] = kinds_of.get(name, "other")
        local_kinds[(stack, local)] = kinds_of.get(name, "other")
        layers.setdefault((stack, index), {}).setdefault(local, []).append(shape)
    layers = {key: _collapse(params) for key, params in layers.items()}
    labels: dict[str, list[str]] = {}
    if split:
        depth: dict[str, int] = {}
        for stack, _ in layers:
            depth[stack] = depth.get(stack, 0) + 1
        labels = {stack: layer_labels(getattr(layout, "config", {}), n) for stack, n in depth.items()}
    kinds: dict[str, list[dict[str, list[tuple[int, ...]]]]] = {}
    order: dict[str, list[str]] = {}
    for (stack, index), params in sorted(layers.items()):
        kind = stack + " | " + " ".join(sorted(params))
        if labels.get(stack) and index < len(labels[stack]) and labels[stack][index]:
            kind += " | " + labels[stack][index]
        kinds.setdefault(kind, []).append(params)
        order.setdefault(stack, []).append(kind)
    for kind, members in kinds.items():
        values[("kind", kind)] = len(members)
        for template in members[0]:
            shapes = {s for layer in members for s in layer[template]}
            copies = {len(layer[template]) for layer in members}
            if len(shapes) != 1 or len(copies) != 1:
                raise NoForm(f"{kind.split(' | ')[0]}.{{i}}.{template} differs between layers of one kind "
                             f"(shapes {sorted(shapes)[:3]}, copies {sorted(copies)[:3]})")
            (shape,) = shapes
            values[("rep", kind, template)] = copies.pop()
            ranks[("kind", kind, template)] = len(shape)
            modules[("kind", kind, template)] = local_kinds.get((kind.split(" | ")[0], template), "other")
            for i, s in enumerate(shape):
                values[("kdim", kind, template, i)] = s
    return Reading(values, ranks, modules, {k: tuple(v) for k, v in order.items()})


def _template(local: str) -> str:
    """The name a repeated module's parameter collapses to (``experts.#.w1.weight``)."""
    m = _INDEX.search("." + local)
    return local if m is None else ("." + local)[1:m.start()] + ("." if m.start() else "") + "#" + ("." + local)[m.end():]


def _collapse(params: dict[str, list[tuple[int, ...]]]) -> dict[str, list[tuple[int, ...]]]:
    """Repeated modules inside a layer (``experts.{j}.w1``) as one template with copies.

    Members of a numbered list collapse only where they are alike (same shapes): a
    ``Sequential``'s ``ffn.0`` and ``ffn.2`` are different layers and stay apart.
    """
    groups: dict[str, dict[str, list[tuple[int, ...]]]] = {}
    for local, shapes in params.items():
        key = _template(local)
        groups.setdefault(key, {})[local] = shapes
    out: dict[str, list[tuple[int, ...]]] = {}
    for key, members in groups.items():
        if "#" in key and len({s for shapes in members.values() for s in shapes}) == 1:
            out[key] = [s for shapes in members.values() for s in shapes]
        else:
            out.update(members)
    return out


# ---- probes ----------------------------------------------------------------------------------------------


def _role(name: str, aliases: Mapping[str, str], names: Sequence[str]) -> bool:
    return name in names or any(a in names for a, target in aliases.items() if target == name)


@dataclass
class _Fields:
    """The default config's fields, sorted by what the learner does with them."""

    ints: dict[str, int]
    fixed: dict[str, Any]
    aliases: dict[str, str]
    token_ids: int


def _fields_of(cls, overrides: Mapping[str, Any] | None = None) -> _Fields:
    cfg = _make_config(cls, dict(overrides or {}))
    data = cfg.to_dict()
    aliases = dict(getattr(cls, "attribute_map", {}) or {})
    ints: dict[str, int] = {}
    fixed: dict[str, Any] = {}
    token_ids = 0
    for key, value in data.items():
        if key in _BOOKKEEPING or key.startswith("_"):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            if _NOT_SHAPES.search(key):
                token_ids = max(token_ids, value)
                continue
            ints[key] = value
        elif key.endswith("_token_id") or key.endswith("_token_ids"):
            ids = value if isinstance(value, list) else [value]
            token_ids = max([token_ids, *(v for v in ids if isinstance(v, int) and not isinstance(v, bool))])
        else:
            fixed[key] = value
    return _Fields(ints, fixed, aliases, token_ids)


def _base(fields: _Fields) -> dict[str, int]:
    """The default config made small to build: few layers, few experts."""
    base = dict(fields.ints)
    for name, value in base.items():
        if _role(name, fields.aliases, _LAYERS):
            base[name] = min(value, 6)
        elif "expert" in name and value > 8 and "size" not in name:
            base[name] = 8
    return base


def _perturbations(value: int) -> list[int]:
    if value <= 0:
        return [1, 2, 3]
    return [2 * value, value + 1, 3 * value, value + 2, max(value - 1, 0)]


def _switch_values(value: Any) -> list[Any]:
    """Other values to try for a field that is not a whole number, to see whether it shapes the model."""
    if isinstance(value, bool):
        return [not value]
    if value is None:
        return [64, 2, True]
    if isinstance(value, float):
        return [value * 2 if value else 0.5]
    return []


ROPE_TABLES = ("rope_parameters", "rope_scaling")


def _rope_tables(name: str, table: Any) -> list[dict]:
    """Other RoPE tables to build a class's default with (per layer kind where it keeps one per kind): another base,
    linear and YaRN scaling, half the head rotating. A table all of them build with the default's shapes is free
    (LearnedFamily.free): real configs state their own, and RoPE holds no parameters in the models seen so far."""
    if name not in ROPE_TABLES or not isinstance(table, dict) or not table:
        return []
    kinds = all(isinstance(v, dict) for v in table.values())
    flats = list(table.values()) if kinds else [table]
    if not all(isinstance(t.get("rope_theta", 10000.0), (int, float)) for t in flats):
        return []

    def each(change: Callable[[dict], dict]) -> dict:
        return {kind: change(t) for kind, t in table.items()} if kinds else change(table)

    def theta(t: dict) -> float:
        return float(t.get("rope_theta", 10000.0))

    share = {k: v for t in flats for k, v in t.items() if k == "partial_rotary_factor"}
    return [
        each(lambda t: {**t, "rope_theta": 2 * theta(t)}),
        each(lambda t: {**t, "partial_rotary_factor": 0.5}),
        each(lambda t: {"rope_type": "linear", "factor": 2.0, "rope_theta": theta(t), **share}),
        each(lambda t: {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64,
                        "rope_theta": theta(t), **share}),
    ]


def _types_built(trials: list[dict], built: list[bool]) -> list[str]:
    """The rope types of a flat table's trials (_rope_tables) every one of which built, where some did not: the class
    takes those types (with any base, scaling or share tried) and refuses the others, as RecurrentGemma's refuses all
    but the default. Nothing for a table by layer kind."""
    types = [rope_type(t) for t in trials]
    return sorted({t for t in types if t is not None and all(b for u, b in zip(types, built) if u == t)}) \
        if None not in types else []


def _activations() -> list[str]:
    """The activation names transformers knows (``hidden_act``): most hold no parameters, a few do (PReLU, xIELU)."""
    from transformers.activations import ACT2FN

    return sorted(k for k in ACT2FN if isinstance(k, str))


def _same_shapes(cls, base: Mapping[str, Any], name: str, default: str, reading: Reading, split: bool) -> list[str]:
    """The other activations with which the model builds exactly the shapes it builds with ``default``."""
    out = []
    for other in _activations():
        if other == default:
            continue
        built = _try_build(cls, {**base, name: other})
        try:
            if built is not None and not _changed(reading, read_layout(built, split)):
                out.append(other)
        except NoForm:
            continue
    return out


def _bumped(listed: Any) -> list[list]:
    """A uniform list of numbers per layer (gemma3n's intermediate_size) doubled, then grown by one: does it shape?"""
    if not isinstance(listed, list) or not listed or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in listed):
        return []
    return [[2 * v for v in listed], [v + 1 for v in listed]]


def _resized(listed: Any, depth: int | None) -> list[list]:
    """A list whose length does not follow the depth (X-MOD's ``languages``, an adapter each) one entry shorter,
    and one longer by an entry it does not hold: does its length shape the model? If so the list is kept as it
    is, and a config stating another is refused, never counted as this one."""
    if not isinstance(listed, list) or not listed or len(listed) == depth:
        return []
    last = listed[-1]
    other = f"{last}_2" if isinstance(last, str) else last + 1 if type(last) is int else None
    return [listed[:-1], *([[*listed, other]] if other is not None else [])]


# Names transformers' per-layer lists give kinds of layer (layer_types, mlp_layer_types).
LAYER_KINDS = ("attention", "full_attention", "sliding_attention", "linear_attention", "mamba", "conv", "dense",
               "sparse", "moe", "hybrid", "full")


def _other_kinds(listed: Any) -> list[list]:
    """A per-layer list of one kind (Granite 4.0's layer_types, all linear_attention by default) with every other
    entry another kind's name: does it shape the model? If so the list is kept at one kind, never counted as it."""
    if not isinstance(listed, list) or not listed or not all(isinstance(v, str) for v in listed) or len(set(listed)) > 1:
        return []
    return [[kind if i % 2 else v for i, v in enumerate(listed)] for kind in LAYER_KINDS if kind != listed[0]]


def _draw(rng: random.Random, fields: _Fields, base: Mapping[str, int], shaping: Sequence[str], strict: bool) -> dict[str, int]:
    """One probe: every shaping field drawn, the heads dividing the width, kv heads dividing the heads."""
    a = fields.aliases
    out = dict(base)
    width = next((f for f in shaping if _role(f, a, _WIDTH)), None)
    heads = next((f for f in shaping if _role(f, a, _HEADS)), None)
    kv = next((f for f in shaping if _role(f, a, _KV)), None)
    head_dim = next((f for f in shaping if _role(f, a, _HEAD_DIM)), None)
    layers = next((f for f in base if _role(f, a, _LAYERS)), None)
    deepest = max(6, min(fields.ints.get(layers or "", 6), MAX_PROBE_LAYERS))
    n_layers = rng.randint(1, deepest) if layers in shaping else base.get(layers or "", 4)
    h_kv = rng.randint(1, 4)
    h = h_kv * rng.randint(1, 4) if kv else rng.randint(1, 8)
    d_h = 2 * rng.randint(1, 6)
    for f in shaping:
        v0 = base[f]
        if f == layers:
            out[f] = n_layers
        elif f == kv:
            out[f] = h_kv
        elif f == heads:
            out[f] = h
        elif f == head_dim:
            out[f] = d_h
        elif f == width:
            out[f] = h * (d_h if strict or head_dim is None else 2 * rng.randint(1, 8))
            if not strict and rng.random() < 0.3:  # where transformers floors width // heads, the probes show it
                out[f] += rng.randint(0, h - 1)
        elif _role(f, a, _VOCAB):
            out[f] = fields.token_ids + 1 + rng.randint(1, 300)
        elif any(w in f for w in ("layer", "dense", "step", "freq", "interval", "period")):
            out[f] = rng.randint(0 if v0 == 0 else 1, max(n_layers, 1))
        elif v0 <= 8:
            out[f] = rng.randint(0 if v0 == 0 else 1, max(2 * v0, 3))
        else:
            out[f] = rng.randint(2, 96)
    if width and heads and width not in shaping and heads in shaping:
        out[heads] = base[heads]
    return out


@dataclass
class _Probes:
    cls: Any
    fields: _Fields
    base: dict[str, int]
    base_reading: Reading
    shaping: list[str]
    deps: dict[tuple, set[str]]
    switches: list[str]
    fits: list[tuple[dict[str, int], Reading, int]] = field(default_factory=list)
    # What may decide a layer's kind (see layer_key); the lists each probe's config holds.
    features: list[list] = field(default_factory=list)
    layers: str | None = None
    drawn: list[dict[str, list] | None] = field(default_factory=list)
    # A fixed activation -> the other activations transformers builds the same shapes with.
    alike: dict[str, list[str]] = field(default_factory=dict)
    # The RoPE tables every trial of which built the same shapes (_rope_tables).
    free: list[str] = field(default_factory=list)
    # The flat RoPE tables some of whose trials the class refused -> the types every trial of which built alike.
    rope_types: dict[str, list[str]] = field(default_factory=dict)
    # Each quantity's form, or why it has none, once fitted (a kind's form is also tried on the others').
    fitted: dict[tuple, Any] = field(default_factory=dict)
    split: bool = False  # whether layers of one kind are told apart by their per-layer lists (read_layout)


def _total(layout: Layout) -> int:
    total = 0
    for shape in layout.values():
        n = 1
        for s in shape:
            n *= s
        total += n
    return total


def _changed(a: Reading, b: Reading) -> set[tuple]:
    keys = set(a.values) | set(b.values)
    out = set()
    for key in keys:
        if key[0] == "kind":
            if a.values.get(key, 0) != b.values.get(key, 0):
                out.add(key)
        elif a.values.get(key) != b.values.get(key) and (key[0] == "dim" or (key in a.values and key in b.values)):
            out.add(key)  # a top-level parameter that appears or goes (a tied head) is a change too
    return out


_STEPS = ("step", "freq", "interval", "period", "every")


def _per_layer_features(fields: _Fields, at_base: Mapping[str, Any], shaping: Sequence[str], n: int) -> list[list]:
    """What may decide a layer's kind: lists of one text entry per layer (``layer_types``), lists of layer
    indices (``mlp_only_layers``), a step field's rule (``decoder_sparse_step``), being the first or last layer."""
    lists: list[list] = []
    indices: list[list] = []
    for name, default in fields.fixed.items():
        listed = at_base.get(name)
        if not isinstance(listed, list) or not listed:
            continue
        if len(listed) == n and all(isinstance(v, str) for v in listed):
            entries = set(listed) | {v for v in (default if isinstance(default, list) else []) if isinstance(v, str)}
            if len(entries) > 1:
                lists.append(["list", name, sorted(entries)])
        elif all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n for v in listed):
            indices.append(["in", name])
    if not lists and not indices:
        return []
    steps = [["every", f, k] for f in shaping if any(w in f for w in _STEPS) for k in (1, 0)]
    below = [["below", f] for f in shaping if "dense" in f or f.startswith("first")]
    return [["first"], ["last"], *steps, *below, *indices, *lists]


def _lists_of(cls, values: Mapping[str, Any], features: Sequence[list], n: int) -> dict[str, list] | None:
    """The lists the features read, in the config transformers makes of ``values`` (its rule fills any left out)."""
    try:
        data = _make_config(cls, values).to_dict()
    except Exception:
        return None
    out = {name: data.get(name) for name in config_lists(list(features))}
    ok = all(isinstance(out[f[1]], list) and (f[0] == "in" or len(out[f[1]]) == n) for f in features if f[0] in ("list", "in"))
    return out if ok else None


def _probe(model_type: str, count: int, seed: int, per_layer: bool = True, split: bool = False,
           flip: Mapping[str, Any] | None = None, fix: bool = False, found: list[str] | None = None) -> _Probes:
    _require()
    cls = _config_class(model_type)
    overrides = {**BASE_OVERRIDES.get(model_type, ({}, ""))[0], **(flip or {})}
    nested = sorted(getattr(cls, "sub_configs", None) or {})
    if nested:
        raise SymparamsError(f"{model_type}'s config nests {', '.join(nested)}: learn reads models that top-level "
                             f"fields shape{_language_part(cls)}")
    try:
        fields = _fields_of(cls, overrides)
    except Exception as err:
        message = " ".join(str(err).split())[:200]
        raise SymparamsError(f"transformers cannot make a default {model_type} config: "
                             f"{type(err).__name__}: {message}") from None
    base: dict[str, Any] = _base(fields)
    base.update({k: v for k, v in overrides.items() if k not in base})
    layout = _try_build(cls, base)  # the first build also imports the model's code: the second is timed
    started = time.perf_counter()
    layout = _try_build(cls, base, fresh=True) if layout is not None else None
    took = time.perf_counter() - started
    if layout is not None and took > MAX_BUILD_SECONDS:
        raise SymparamsError(f"{model_type}: its reduced default config takes {took:.0f} s to build on meta "
                             f"(more than {MAX_BUILD_SECONDS} s); learning it needs dozens of builds")
    if layout is None:
        try:
            _build(cls, base)
        except Exception as err:
            message = " ".join(str(err).split())[:200]
            raise SymparamsError(f"transformers cannot build {model_type} from its default config: "
                                 f"{type(err).__name__}: {message}") from None
    assert layout is not None
    base_reading = read_layout(layout, split)
    shaping: list[str] = []
    deps: dict[tuple, set[str]] = {}
    untried: list[str] = []
    elsewhere: dict[frozenset, tuple[dict[str, Any], Reading]] = {}
    for name in fields.ints:
        hits = 0
        for new in _perturbations(base[name]):
            other = _try_build(cls, {**base, name: new})
            if other is None:
                continue
            try:
                other_reading = read_layout(other, split)
                changed = _changed(base_reading, other_reading)
            except NoForm:
                changed = {("kind", "?")}
            if changed and name not in shaping:
                shaping.append(name)
            for key in changed:
                deps.setdefault(key, set()).add(name)
            kinds = frozenset(k for k in changed if k[0] == "kind" and k not in base_reading.values)
            if kinds and kinds not in elsewhere:  # a kind of layer the default has none of (dense MLPs)
                elsewhere[kinds] = ({**base, name: new}, other_reading)
            hits += 1
            if hits == 2:
                break
        if hits == 0:
            untried.append(name)
    switches = []
    alike: dict[str, list[str]] = {}
    try:
        at_base = _make_config(cls, base).to_dict()
    except Exception as err:
        raise SymparamsError(f"transformers cannot make the reduced {model_type} config: {type(err).__name__}") from None
    free = []
    rope_types: dict[str, list[str]] = {}
    depth = next((base[f] for f in base if _role(f, fields.aliases, _LAYERS)), None)
    for name, default in fields.fixed.items():
        listed = at_base.get(name)
        table = _rope_tables(name, default)
        trials: list[Any] = [*table] if table else _switch_values(default) if not isinstance(default, list) else (
            [[listed[0]] * len(listed), [listed[-1]] * len(listed)]  # a per-layer pattern made uniform
            if isinstance(listed, list) and len(set(map(str, listed))) > 1 else _bumped(listed) or _other_kinds(listed))
        trials += _resized(listed, depth) if isinstance(default, list) else []
        tried = builds = 0
        outcomes = []
        for trial in trials:
            other = _try_build(cls, {**base, name: trial})
            outcomes.append(other is not None)
            if other is None:
                continue
            tried = builds = builds + 1
            try:
                shapes = bool(_changed(base_reading, read_layout(other, split)))
            except NoForm:
                shapes = True
            if shapes:
                switches.append(name)
                break
        else:
            if table:  # kept for what it says of the class (the registry reads it); free where every trial built alike
                tried = 0
                if builds == len(table):
                    free.append(name)
                elif _types_built(table, outcomes):
                    rope_types[name] = _types_built(table, outcomes)
        # Never varied (text, a table): kept at its value. A uniform per-layer list follows the depth, so is not.
        if not tried and _is_plain(default) and not isinstance(default, list):
            switches.append(name)
            if default in _activations():
                alike[name] = _same_shapes(cls, base, name, default, base_reading, split)
    # A whole number no probe could change is kept at its value too, if the probes used the default.
    for name in untried:
        if base[name] != fields.ints[name]:
            raise NoForm(f"{model_type}: {name} could not be varied, and the probes use {base[name]}, "
                         f"not its default {fields.ints[name]}")
        fields.fixed[name] = fields.ints[name]
        switches.append(name)
    # Modeling code reads some attributes a config class does not declare (Qwen2's head_dim, through
    # getattr): a config that sets one is refused, not miscounted.
    for name in sorted(set(CANONICAL) - set(fields.ints) - set(fields.fixed) - set(fields.aliases)):
        other = _try_build(cls, {**base, name: 2})
        try:
            unread = other is None or not _changed(base_reading, read_layout(other, split))
        except NoForm:
            unread = False
        if not unread:
            fields.fixed[name] = None
            switches.append(name)
    if not shaping:
        raise SymparamsError(f"{model_type}: no whole-number field of its config changes a parameter's shape; "
                             "a model of one size is not a family")
    probes = _Probes(cls, fields, base, base_reading, shaping, deps, switches, alike={k: v for k, v in alike.items() if v},
                     free=free, rope_types=rope_types)
    probes.layers = next((f for f in base if _role(f, fields.aliases, _LAYERS)), None)
    if per_layer and probes.layers:
        probes.features = _per_layer_features(fields, at_base, shaping, base[probes.layers])
        if probes.features:
            mixed = _mixed(probes)
            built = _try_build(cls, mixed)
            try:
                mixed_reading = read_layout(built, split) if built is not None else None
            except NoForm:
                mixed_reading = None
            if mixed_reading is not None:
                elsewhere[frozenset({k for k in mixed_reading.values if k[0] == "kind"})] = (mixed, mixed_reading)
    shaping_before = len(probes.shaping)
    _probe_elsewhere(probes, list(elsewhere.values())[:4], split, fix)
    if found is not None:
        found.extend(probes.shaping[shaping_before:])
    rng = random.Random(seed)
    failures = 0
    while len(probes.fits) < count and failures < 20 * count:
        strict = failures > 3 * count or rng.random() < 0.25
        values: dict[str, Any] = _expand(cls, _draw(rng, fields, base, shaping, strict))
        if probes.features and rng.random() < 0.75:  # the lists drawn at random: the kind of a layer follows them
            n = values[probes.layers]  # type: ignore[index]
            for f in probes.features:
                if f[0] == "list":
                    values[f[1]] = [rng.choice(f[2]) for _ in range(n)]
                elif f[0] == "in":
                    values[f[1]] = [i for i in range(n) if rng.random() < 0.3]
        built = _try_build(cls, values)
        if built is None:
            failures += 1
            continue
        probes.fits.append((values, read_layout(built, split), _total(built)))
        if probes.features:
            lists = _lists_of(cls, values, probes.features, values[probes.layers])  # type: ignore[index]
            if lists is not None:  # the lists as given, not as the config may rewrite them (gemma4's last layer)
                lists.update({name: values[name] for name in lists if name in values})
            probes.drawn.append(lists)
    if len(probes.fits) < count:
        raise SymparamsError(f"{model_type}: only {len(probes.fits)} of {count} probe configs build in transformers; "
                             f"the fields {', '.join(shaping)} cannot be drawn so that it accepts them")
    values, reading, _ = min(probes.fits, key=lambda fit: fit[2])  # those alike at the default, on a drawn probe
    for name, at_default in probes.alike.items():
        drawn = set(_same_shapes(cls, values, name, fields.fixed[name], reading, split))
        probes.alike[name] = [a for a in at_default if a in drawn]
    return probes


# ---- learning -------------------------------------------------------------------------------------------------


def _mixed(probes: _Probes) -> dict[str, Any]:
    """The default config with its per-layer lists giving every kind they name: every other layer listed."""
    n = probes.base[probes.layers]  # type: ignore[index]
    mixed: dict[str, Any] = dict(probes.base)
    for f in probes.features:
        if f[0] == "list":
            mixed[f[1]] = [f[2][i % len(f[2])] for i in range(n)]
        elif f[0] == "in":
            mixed[f[1]] = [i for i in range(n) if i % 2 == 0]
    return mixed


def _probe_elsewhere(probes: _Probes, points: Sequence[tuple[dict[str, Any], Reading]], split: bool, fix: bool) -> None:
    """Try every field again at configs that build a kind of layer the default config has none of.

    A field only one kind of layer reads shapes nothing in a default config without that
    kind: LFM2's default lists every layer as attention, so its convolution's kernel
    (``conv_L_cache``) and bias (``conv_bias``) changed nothing there; dots.llm1's has no
    dense layer, so their width (``intermediate_size``) changed nothing. Each was learned
    as the constant the probes held. The points are the default with its per-layer lists
    giving every kind they name, and the default with one whole number moved where that
    makes a new kind. A whole number that changes a shape there becomes a shaping field
    (or, with ``fix``, where its forms cannot be learned, a fixed one: a config that
    changes it is refused), and a switch that does a fixed field, learned again with its
    other value.
    """
    cls, fields = probes.cls, probes.fields
    for point, reading in points:
        new = {k for k in reading.values if k[0] == "kind"} - {k for k in probes.base_reading.values if k[0] == "kind"}
        if not new:
            continue
        for name in fields.ints:
            if name in probes.switches:
                continue
            hits = 0
            for value in _perturbations(point[name]):
                other = _try_build(cls, {**point, name: value})
                if other is None:
                    continue
                try:
                    changed = _changed(reading, read_layout(other, split))
                except NoForm:
                    changed = {("kind", "?")}
                if changed and name not in probes.shaping:
                    if fix and point[name] == fields.ints[name] == probes.base[name]:
                        fields.fixed[name] = fields.ints[name]
                        probes.switches.append(name)
                        break
                    probes.shaping.append(name)
                for key in changed:
                    if key not in probes.base_reading.values:
                        probes.deps.setdefault(key, set()).add(name)
                hits += 1
                if hits == 2:
                    break
        for name, default in fields.fixed.items():
            if name in probes.switches or not isinstance(default, bool):
                continue
            other = _try_build(cls, {**point, name: not default})
            try:
                shapes = other is not None and bool(_changed(reading, read_layout(other, split)))
            except NoForm:
                shapes = True
            if shapes:
                probes.switches.append(name)


def _popped(cls) -> dict[str, list]:
    """Keywords a config class's own code pops from what a config gives, beside its declared fields.

    LFM2's class sets ``intermediate_size`` from ``block_ff_dim`` and ``tie_word_embeddings``
    from ``tie_embedding`` where a config gives them (its first releases do); AXK1's makes its
    per-layer MLP kinds from ``first_k_dense_replace``. The config never keeps such a keyword,
    so no probe of its fields shows it: the class's code is read for them.

    Each keyword maps to ``[its default]`` where the code gives a plain one (a config that
    gives that value is the config that leaves it out), else to ``[]``.
    """
    import ast
    import inspect

    found: dict[str, list] = {}
    for klass in cls.__mro__:
        if not str(getattr(klass, "__module__", "")).startswith("transformers.models."):
            continue
        for attr in ("__init__", "__post_init__"):
            fn = klass.__dict__.get(attr)
            try:
                source = inspect.getsource(fn) if fn is not None else ""
            except (OSError, TypeError):
                source = ""
            for name, default in re.findall(r"kwargs\.pop\(\s*[\"'](\w+)[\"']\s*(?:,\s*([^(),]*?)\s*)?\)", source):
                try:
                    value = [ast.literal_eval(default)] if default else []
                except (ValueError, SyntaxError):
                    value = []
                found.setdefault(name, value if _is_plain(value[0] if value else None) else [])
            for name in re.findall(r"kwargs\.pop\(\s*[\"'](\w+)[\"']", source):
                found.setdefault(name, [])
            for name, value in _popped_by_pattern(source).items():
                found.setdefault(name, value if value and _is_plain(value[0]) else [])
    return dict(sorted(found.items()))


def _popped_by_pattern(source: str) -> dict[str, list]:
    """Keywords popped by a name made in a loop over literal names: Dots 3's class pops ``f"swa_{name}"`` for each
    name of a dict of defaults (the released checkpoint's aliases for its sliding layers' sizes). Each maps to
    ``[its default]`` where the loop gives a literal one, else ``[]``."""
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return {}
    found: dict[str, list] = {}
    for comp in ast.walk(tree):
        loops = comp.generators if isinstance(comp, (ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp)) \
            else [comp] if isinstance(comp, ast.For) else []
        for loop in loops:
            target = loop.target
            names = [target.id] if isinstance(target, ast.Name) else [
                t.id if isinstance(t, ast.Name) else "" for t in target.elts] if isinstance(target, ast.Tuple) else []
            pairs = _literal_pairs(loop.iter)
            if not names or pairs is None:
                continue
            for call in ast.walk(comp):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "pop"
                        and isinstance(call.func.value, ast.Name) and call.func.value.id == "kwargs" and call.args
                        and isinstance(call.args[0], ast.JoinedStr)):
                    continue
                for key, default in pairs:
                    bound = {names[0]: key, **({names[1]: default} if len(names) > 1 and names[1] else {})}
                    text = ""
                    for part in call.args[0].values:
                        if isinstance(part, ast.Constant) and isinstance(part.value, str):
                            text += part.value
                        elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) \
                                and isinstance(bound.get(part.value.id), str):
                            text += bound[part.value.id]
                        else:
                            text = ""
                            break
                    if not re.fullmatch(r"\w+", text):
                        continue
                    given = call.args[1] if len(call.args) > 1 else None
                    if isinstance(given, ast.Name) and given.id in bound and given.id != names[0]:
                        found.setdefault(text, [bound[given.id]])
                    else:
                        try:
                            found.setdefault(text, [ast.literal_eval(given)] if given is not None else [])
                        except ValueError:
                            found.setdefault(text, [])
    return found


def _literal_pairs(node: Any) -> list[tuple[Any, Any]] | None:
    """(key, value) of a literal a loop walks: a dict's ``.items()`` (or the dict, or its ``.keys()``: values None),
    a list, tuple or set of constants (values None); None for anything else."""
    import ast

    try:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
                and isinstance(node.func.value, ast.Dict) and node.func.attr in ("items", "keys"):
            node, values = node.func.value, node.func.attr == "items"
        elif isinstance(node, ast.Dict):
            values = False
        if isinstance(node, ast.Dict):
            keys = [k for k in node.keys if k is not None]
            if len(keys) != len(node.keys):  # a ** spread: its names are not in the source
                return None
            return [(ast.literal_eval(k), ast.literal_eval(v) if values else None) for k, v in zip(keys, node.values)]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [(ast.literal_eval(e), None) for e in node.elts]
    except ValueError:
        return None
    return None


def _legacy(p: _Probes, split: bool) -> tuple[dict[str, str], dict[str, list]]:
    """(popped keyword -> the field it stands for, popped keywords that shape the model otherwise -> [their default]
    where the code gives a plain one, else []).

    A keyword stands for a field where giving it a value builds what giving the field that
    value builds (and not what the default builds); one that changes the shapes in any other
    way is listed apart, for a config that gives it to be refused. It is tried at small values and, beside a
    whole-number default, at twice and half of it and one past it (Dots 3's ``swa_head_dim`` of 256 builds
    nothing at small values, and a larger model at 512); one with a plain default at none of which the class
    builds a model is listed apart too, so that a config giving another value is refused, as the class refuses it.
    """
    legacy: dict[str, str] = {}
    other: dict[str, list] = {}
    known = set(p.fields.ints) | set(p.fields.fixed) | set(p.fields.aliases)
    switches = [k for k, v in p.fields.fixed.items() if isinstance(v, bool)]
    popped = _popped(p.cls)
    for name in popped:
        if name in known:
            continue
        for field_name in [*p.fields.ints, *switches]:
            v0: Any = p.base.get(field_name, p.fields.fixed.get(field_name))
            for value in [not v0] if isinstance(v0, bool) else _perturbations(v0)[:3]:
                as_field = _try_build(p.cls, {**p.base, field_name: value})
                try:
                    field_reading = read_layout(as_field, split) if as_field is not None else None
                except NoForm:
                    field_reading = None
                if field_reading is None or not _changed(p.base_reading, field_reading):
                    continue  # a value the field's rounding or checks hide: the next one
                as_name = _try_build(p.cls, {**p.base, name: value})
                try:
                    if as_name is not None and not _changed(read_layout(as_name, split), field_reading):
                        legacy[name] = field_name
                except NoForm:
                    pass
                break
            if name in legacy:
                break
        if name in legacy:
            continue
        default = popped[name][0] if popped[name] else None
        tries: list[Any] = [1, 2, 3, 0, True, False]
        if type(default) is int and default > 0:
            tries += [v for v in (2 * default, default // 2, default + 1) if v not in (default, 0, 1, 2, 3)]
        builds = False
        for value in tries:
            built = _try_build(p.cls, {**p.base, name: value})
            builds = builds or built is not None
            try:
                shapes = built is not None and bool(_changed(p.base_reading, read_layout(built, split)))
            except NoForm:
                shapes = True
            if shapes:
                other[name] = popped[name]
                break
        else:
            if not builds and popped[name]:  # the class builds with its default alone (Dots 3's sliding heads)
                other[name] = popped[name]
    return legacy, other


def _derived_lists(p: _Probes, features: list) -> dict[str, dict]:
    """Per-layer lists the class derives from a list of layer indices, and that decide the layers when given.

    LFM2's class makes ``layer_types`` from ``full_attn_idxs`` (``full_attention`` at each
    index, ``conv`` elsewhere) when a config leaves it out, and builds from ``layer_types``
    when a config gives it. Such a list, given, is read as the indices it names; a list
    the class does not derive so stays fixed.
    """
    n = p.base[p.layers]  # type: ignore[index]
    out: dict[str, dict] = {}
    if n < 2:
        return out
    for source in (f[1] for f in features if f[0] == "in"):
        for name, default in p.fields.fixed.items():
            if not (isinstance(default, list) and all(isinstance(v, str) for v in default)):
                continue
            pairs = set()
            for picked in ([0], list(range(1, n, 2))):
                try:
                    made = _make_config(p.cls, {**p.base, source: picked}).to_dict().get(name)
                except Exception:
                    made = None
                if not (isinstance(made, list) and len(made) == n):
                    break
                inside = {made[i] for i in picked}
                outside = {made[i] for i in range(n) if i not in picked}
                if len(inside) != 1 or len(outside) != 1 or inside == outside:
                    break
                pairs.add((inside.pop(), outside.pop()))
            else:
                if len(pairs) != 1:
                    continue
                kind_in, kind_out = pairs.pop()
                listed = _try_build(p.cls, {**p.base, source: [0], name: [kind_out] * (n - 1) + [kind_in]})
                alone = _try_build(p.cls, {**p.base, source: [n - 1]})
                try:
                    same = listed is not None and alone is not None and not _changed(read_layout(listed),
                                                                                      read_layout(alone))
                except NoForm:
                    same = False
                if same:
                    out[name] = {"from": source, "in": kind_in, "out": kind_out}
    return out


def _deps_for(key: tuple, probes: _Probes) -> list[str]:
    found = probes.deps.get(key)
    if found:
        return sorted(found)
    present = key in probes.base_reading.values or key[0] == "kind"
    if not present and key[0] in ("kdim", "rep"):
        # a kind of layer only drawn per-layer lists make: its tensors follow the fields the same tensor follows in
        # the default's kinds of the stack (and the fit is still checked on every probe)
        stack = key[1].split(" | ")[0]
        alike = [k for k in probes.base_reading.values
                 if k[0] == key[0] and k[1].split(" | ")[0] == stack and k[2:] == key[2:]]
        same = [k for k in alike if _siblings(k[1], key[2]) == _siblings(key[1], key[2])]
        alike = same or alike  # the same tensor beside the same sibling modules (self_attn of one design)
        if alike:
            return sorted(set().union(*(probes.deps.get(k, set()) for k in alike)))
    return [] if present else list(probes.shaping)


def _siblings(kind: str, template: str) -> set[str]:
    """The templates of a kind of layer under the same first module as ``template`` (its ``self_attn``, its ``mlp``)."""
    head = template.split(".")[0]
    return {t for t in kind.split(" | ")[1].split() if t.split(".")[0] == head}


def _obs(key: tuple, sets: Sequence[tuple[dict[str, int], Reading, int]]) -> list[tuple[dict[str, int], int]]:
    out = []
    for env, reading, _ in sets:
        if key[0] == "kind":
            out.append((env, reading.values.get(key, 0)))
        elif key in reading.values:
            out.append((env, reading.values[key]))
    return out


def _fit_key(key: tuple, probes: _Probes, what: str) -> Node:
    """:func:`_fit_alone`; failing that, for a tensor of a layer kind, the form the same tensor of another kind of the
    stack has, where it holds on every probe (a kind fewer probes build gives too few points to fit its own)."""
    try:
        return _fit_alone(key, probes, what)
    except NoForm:
        if key[0] not in ("kdim", "rep"):
            raise
        obs = _obs(key, probes.fits)
        stack = key[1].split(" | ")[0]
        others = sorted({k for _, reading, _ in probes.fits for k in reading.values
                         if k[0] == key[0] and k[2:] == key[2:] and k[1] != key[1] and k[1].split(" | ")[0] == stack})
        for other in others:
            try:
                node = _fit_alone(other, probes, what)
            except NoForm:
                continue
            if _holds(node, obs):
                return node
        raise


def _fit_alone(key: tuple, probes: _Probes, what: str) -> Node:
    """:func:`_fit_once`, told apart from its rounding's near twins (:func:`_settled`), kept: a kind's form is also
    tried on the stack's other kinds."""
    if key not in probes.fitted:
        try:
            probes.fitted[key] = _settled(key, _fit_once(key, probes, what), probes, what)
        except NoForm as err:
            probes.fitted[key] = err
    found = probes.fitted[key]
    if isinstance(found, NoForm):
        raise found
    return found


def _twins(node: Node) -> list[Node]:
    """The forms that differ from ``node`` by one rounding of a fraction: a rational multiple floored, or a floored
    one left whole (``ceil(floor(2F/3) / m)`` and ``ceil((2F/3) / m)``)."""
    if not isinstance(node, list) or not node:
        return []
    out: list[Node] = []
    if node[0] == "mul" and any(isinstance(a, list) and a[:1] == ["rat"] for a in node[1:]):
        out.append(["floor", node])
    if node[0] == "floor" and isinstance(node[1], list) and node[1][:1] == ["mul"]:
        out.append(node[1])
    for i, arg in enumerate(node[1:], 1):
        if node[0] in ("field", "rat"):
            break
        out += [[*node[:i], twin, *node[i + 1:]] for twin in _twins(arg)]
    return out


def _settled(key: tuple, node: Node, probes: _Probes, what: str) -> Node:
    """``node``, or a near twin of it (:func:`_twins`) that also holds on every probe, where a config built to tell
    them apart says so.

    Random probes rarely land where such twins differ (2F/3 just above a multiple of m),
    so both fit; a config moved there is built, and the form that gives its shape kept.
    Where neither does, the quantity is refused.
    """
    obs = _obs(key, probes.fits)
    twins = [t for t in _twins(node) if t != node and _holds(t, obs)]
    for twin in twins:
        env = _apart(node, twin, [e for e, _ in obs])
        if env is None:
            continue
        built = _try_build(probes.cls, env)
        if built is None:
            continue
        try:
            seen = read_layout(built, probes.split).values.get(key, 0 if key[0] == "kind" else None)
        except NoForm:
            continue
        if seen == evaluate(twin, env):
            node = twin
        elif seen != evaluate(node, env):
            raise NoForm(f"{what}: neither {node} nor {twin} gives what transformers builds where they differ")
    return node


def _apart(a: Node, b: Node, envs: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """A probe's config with one field the forms read moved (up to 400 away) so that they differ, if one is found."""
    names = sorted(fields_in(a) | fields_in(b))
    for env in envs[:3]:
        for name in names:
            v0 = env.get(name)
            if not isinstance(v0, int) or isinstance(v0, bool):
                continue
            for step in range(1, 401):
                for value in (v0 + step, v0 - step):
                    if value < 1:
                        continue
                    moved = {**env, name: value}
                    try:
                        if evaluate(a, moved) != evaluate(b, moved):
                            return moved
                    except (SymparamsError, ZeroDivisionError, KeyError):
                        continue
    return None


def _fit_once(key: tuple, probes: _Probes, what: str) -> Node:
    """Fit one quantity over the fields it was seen to follow; failing that, over the fields that shape layer kinds.

    A one-field change from the default can miss a dependence (a count of dense layers
    does not move with the depth while the depth exceeds them), so a failed fit is
    tried once more with the fields that moved any kind's count before it is refused.
    """
    split = (2 * len(probes.fits)) // 3
    train, held = probes.fits[:split], probes.fits[split:]
    deps = _deps_for(key, probes)
    try:
        return fit_form(_obs(key, train), deps, what, _obs(key, held))
    except NoForm as first:
        structural = {f for k, fs in probes.deps.items() if k[0] == "kind" for f in fs}
        wider = sorted(set(deps) | structural)
        if wider == sorted(deps):
            raise
        try:
            return fit_form(_obs(key, train), wider, what, _obs(key, held))
        except NoForm:
            raise first from None


def _default_forms(probes: _Probes, rng: random.Random) -> dict[str, dict[str, Node]]:
    """What transformers makes of a field left out, and of a field set to null, as forms of the other fields.

    Qwen2's missing ``num_key_value_heads`` is 32 and its null is ``num_attention_heads``;
    Llama's missing or null ``head_dim`` is ``hidden_size // num_attention_heads``.
    A mode that transformers refuses, or leaves null for the model to decide, is absent; so
    is one that follows a field the model's shapes do not read when this one is given
    (xLSTM's missing ``num_blocks`` is ``num_hidden_layers``, Falcon-Mamba's missing
    ``intermediate_size`` is ``expand`` times the width): the family does not read that
    field, so a config must give this one.
    """
    cls, base = probes.cls, probes.base
    ints = probes.fields.ints
    outside = [f for f in ints if f not in probes.shaping]
    out: dict[str, dict[str, Node]] = {}
    for g in probes.shaping:
        others = [f for f in probes.shaping if f != g]
        out[g] = {}
        for mode in ("missing", "null"):
            given: dict[str, Any] = {} if mode == "missing" else {g: None}

            def value_of(values: Mapping[str, Any], g: str = g, given: dict[str, Any] = given) -> int | None:
                try:
                    got = _make_config(cls, {**values, **given}).to_dict().get(g)
                except Exception:
                    return None
                return got if isinstance(got, int) and not isinstance(got, bool) else None

            ref = value_of({})
            if ref is None or any(value_of({f: new}) not in (None, ref)
                                  for f in outside for new in _perturbations(ints[f])[:2]):
                continue
            moved = set()
            for f in others:
                for new in _perturbations(base[f])[:2]:
                    got = value_of({f: new})
                    if got is not None and got != ref:
                        moved.add(f)
            if not moved:
                out[g][mode] = ref
                continue
            samples = []
            for _ in range(400):
                values = _draw(rng, probes.fields, base, others, strict=rng.random() < 0.3)
                values.pop(g, None)
                got = value_of(values)
                if got is not None:
                    samples.append((values, got))
                if len(samples) >= 60:
                    break
            split = (2 * len(samples)) // 3
            what = f"the value of {g} when a config {'leaves it out' if mode == 'missing' else 'sets it to null'}"
            try:
                out[g][mode] = fit_form(samples[:split], sorted(moved), what, samples[split:])
            except NoForm:  # no simple form: a config must give the field, never a guess
                continue
    return out


# Each probe builds a model in transformers (tens of milliseconds to a second): past a few
# hundred, more probes only cost minutes and tell no form apart that fewer did not.
MIN_PROBES, MAX_PROBES = 6, 200
# A model whose reduced default config takes longer than this to build on meta is not learned.
MAX_BUILD_SECONDS = 10


def learn(model_type: str, probes: int = 36, seed: int = 0, variants: bool = True) -> LearnedFamily:
    """Learn ``model_type``'s parameter count from the models transformers builds for probe configs.

    ``probes`` is between 6 (a third are held out to check the fit) and 200, so that learning
    finishes in bounded time. With ``variants``, each true-or-false field that shapes the
    model (``tie_word_embeddings``, ``attention_bias``) is learned again with its other value,
    and each field left null that shapes it (``head_dim``) again with a number given, so a
    config that changes one of them is counted by what transformers builds for it; a
    variant that cannot be learned leaves that value refused.
    """
    with _learning(model_type, probes):
        return _learn_with_variants(model_type, probes, seed, variants)


def forms_only(model_type: str, probes: int = 36, seed: int = 0) -> LearnedFamily:
    """What :func:`learn` fits from the probes, before the checks that find what to refuse: the forms, defaults and
    per-layer rules alone, in less than half the time.

    For reading what the probes found; not a family to count files with, since it counts configs transformers
    builds no model from (nothing writes one to disk).
    """
    with _learning(model_type, probes):
        return _learn(model_type, probes, seed, {})


@contextlib.contextmanager
def _learning(model_type: str, probes: int) -> Iterator[None]:
    """Refuse a probe count out of bounds (learning must finish in bounded time), then hold the class's decimals
    in reach of every fit (``_CONSTANTS``), and transformers' log quiet, while learning."""
    if isinstance(probes, bool) or not isinstance(probes, int) or not MIN_PROBES <= probes <= MAX_PROBES:
        raise SymparamsError(f"probes must be a whole number from {MIN_PROBES} (a third of them are held out to "
                             f"check the fit) to {MAX_PROBES} (each builds a model), got {probes!r}")
    _require()
    from .verify import quiet

    held = _CONSTANTS.set(_decimals(model_type))
    try:
        with quiet():
            yield
    finally:
        _CONSTANTS.reset(held)


def _decimals(model_type: str) -> tuple[Fraction, ...]:
    """The class's default config's decimals from 1/20 to 64 that are not whole (see ``_CONSTANTS``), as written."""
    try:
        defaults = _config_class(model_type)().to_dict()
    except Exception:  # noqa: BLE001 - a class without a default config has no constants to offer
        return ()
    return tuple(sorted({Fraction(repr(v)) for v in defaults.values()
                         if type(v) is float and math.isfinite(v) and 0.05 <= v <= 64 and v != int(v)}))


def _learn_with_variants(model_type: str, probes: int, seed: int, variants: bool) -> LearnedFamily:
    """:func:`learn`'s work, with the class's decimals in reach of every fit (``_CONSTANTS``)."""
    family = _learn(model_type, probes, seed, {})
    if not variants:
        return _checked(family)
    learned = {}
    for name, value in family.fixed.items():
        if isinstance(value, bool) or value is None:
            try:  # a null field that shapes the model (head_dim) given a number: the probes then vary it
                other = _learn(model_type, probes, seed, {name: (not value) if isinstance(value, bool) else 2})
            except SymparamsError:
                continue
            if other.fixed.get(name) is (not value) if isinstance(value, bool) else name in other.fields:
                learned[name] = replace(other, made_tables=made_tables(other)).to_json()
    return _checked(replace(family, variant_data=learned))


def _checked(family: LearnedFamily) -> LearnedFamily:
    """The family with what its forms count and transformers builds no model from (or another) refused."""
    return replace(family, positive=zeros(family), signs=signs(family), divides=divisions(family), required=required(family),
                   not_null=nulls(family), lengths=lengths(family), rope_kinds=rope_kinds(family),
                   token_rows=token_rows(family), kinds_needed=kinds_needed(family), mirrors=mirrors(family),
                   same_parameters=same_parameters(family), relations=relations(family),
                   made_tables=made_tables(family))


# The names transformers' config classes give a model's width and its attention heads.
WIDTHS = ("hidden_size", "d_model", "n_embd", "embed_dim", "dim")
HEADS = ("num_attention_heads", "n_head", "n_heads", "num_heads", "decoder_attention_heads", "attention_heads")


def divisions(family: LearnedFamily) -> list[list]:
    """The [heads, width, the heads' default] triples transformers builds no model without the heads dividing
    the width (the heads need not shape any parameter: BERT's do not).

    Probes draw only buildable configs, so a width the heads do not divide was never seen: the forms count it
    where transformers' attention refuses it. At the smallest witness, the width or the heads moved so that the
    heads do not divide the width give no model, and the width on the next multiple gives one."""
    if (probing := _probing(family)) is None:
        return []
    cls, family = probing
    made = _make_config(cls, {})
    base = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])
    out = []
    for width in WIDTHS:
        for heads in HEADS:
            d, h = base.get(width), base.get(heads)
            if width not in family.fields or type(d) is not int or type(h) is not int:
                continue
            try:
                default = getattr(made, heads, None)
            except Exception:  # noqa: BLE001 - a per-layer attribute (heterogeneous configs) has no one value
                continue
            if type(default) is not int:
                continue
            seen = [(w["fields"].get(width), w["fields"].get(heads, default)) for w in family.witnesses]
            if h < 2 or d % h or any(type(a) is int and type(b) is int and b > 0 and a % b for a, b in seen):
                continue  # (transformers built a witness whose heads do not divide its width)
            offs = [{**base, width: d + 1}] + ([{**base, heads: h + 1}] if d % (h + 1) else [])
            if _try_build(cls, {**base, width: d + h}) is None:
                continue
            for off in offs:
                try:
                    family.count(off)
                except SymparamsError:
                    continue
                if _try_build(cls, off) is None:
                    out.append([heads, width, default])
                    break
    return out


def required(family: LearnedFamily) -> list[str]:
    """The fixed fields a config must give, to be refused where it leaves them out.

    Probes give every fixed field the value the family was learned with, and the forms read a field left out
    as that value; but transformers then takes the class's default, which may differ (Cohere Compass's empty
    rope table builds no model). Each fixed field a witness gives is left out of it: where transformers builds
    no model at one of them, or one the forms count otherwise, it is required.
    """
    def left_out(base: dict, name: str) -> dict | None:
        return {k: v for k, v in base.items() if k != name} if name in base else None

    return _broken(family, lambda fields: sorted(family.fixed), left_out)


def nulls(family: LearnedFamily) -> list[str]:
    """The fields a config may not set to null, to be refused there: fixed ones, and ones the forms do not read.

    The forms read a fixed field set to null as the value the family was learned with, as they read it left out,
    and a field they do not read not at all; transformers reads null as null, which a class may not build from (a
    head_dim left out is worked out, a null one reaches the rotary embedding; AFMoE's null
    global_attn_every_n_layers picks no layer kind). Each fixed field, and each field the class declares of a
    type that takes null and the forms do not read, is set to null at every witness: where transformers builds
    no model at one of them, or one the forms count otherwise, null is refused.
    """
    def names(fields: list) -> list[str]:
        read = {*family.fields, *family.aliases, *family.legacy, *family.unread}
        return sorted({*family.fixed, *(f.name for f in fields if f.name not in read and _takes_null(f.type))})

    return _broken(family, names, lambda base, name: {**base, name: None})


def lengths(family: LearnedFamily) -> dict[str, list]:
    """The per-layer lists a config may not give with fewer entries than layers, or more: {list: [the depth's
    field, ["fewer", "more"] or one of them]}.

    The forms read a per-layer list the class holds at one kind (Laguna's heads per layer) at any length, and
    a list no shape reads (Gemma 3n's activation sparsity) not at all; transformers indexes one entry per layer,
    and some classes check the length. At the smallest witness and the one building the most kinds of layer,
    each list of the class holding one entry per layer is given one entry fewer, and one more: where the forms
    count it and transformers builds no model, or another count, that length is refused. A whole number the
    class also takes as a list, one per layer, is tried as such a list.
    """
    import dataclasses

    if (probing := _probing(family)) is None:
        return {}
    cls, family = probing
    depth = next((f for f in family.fields if _role(f, family.aliases, _LAYERS)), None)
    if depth is None:
        return {}
    per_layer = {f.name for f in dataclasses.fields(cls) if f.name not in family.fields and _takes([1], f.type)}
    out: dict[str, list] = {}
    for base in _smallest_and_richest(family):
        layers = family.values(base).get(depth)
        try:
            made = _make_config(cls, base).to_dict()
        except Exception:  # noqa: BLE001 - a witness transformers no longer makes is the witness check's
            continue
        for name, listed in made.items():
            if type(listed) is int and name in per_layer and layers:
                listed = [listed] * layers  # one number, or one per layer (HunYuan MoE's moe_topk)
            if name.startswith("_") or not isinstance(listed, list) or len(listed) != layers or not layers:
                continue
            held = family.fixed.get(name)
            if isinstance(held, list) and held and all(v == held[0] for v in held):
                listed = [held[0]] * layers  # what the family reads at any depth (Laguna's heads per layer)
            for way, other in (("fewer", listed[:-1]), ("more", [*listed, listed[-1]])):
                if way not in out.get(name, [None, []])[1] and _miscounted(family, cls, {**base, name: other}):
                    out.setdefault(name, [depth, []])[1].append(way)
    return {name: [d, sorted(ways)] for name, (d, ways) in sorted(out.items())}


def mirrors(family: LearnedFamily) -> dict[str, str]:
    """The per-layer lists of numbers the class makes from a field when a file leaves them out: {list: field}
    (Laguna's ``num_attention_heads_per_layer``, each entry ``num_attention_heads``).

    The probes leave such a list out, so the forms read the field; the family holds the list the class made at
    its defaults, and a file that states one of that number in every entry passes as "one kind". Where, at every
    witness, the list the class makes holds the value of one field the forms read in every entry, a stated list
    must hold that field's value: one that does not is refused, never counted with the field.
    """
    import dataclasses

    if (probing := _probing(family)) is None:
        return {}
    cls, family = probing
    declared = {f.name: f.default for f in dataclasses.fields(cls)}
    out: dict[str, str] = {}
    for name, held in family.fixed.items():
        if declared.get(name, 0) is not None or not isinstance(held, list) or not held or not all(
                type(v) is int and v == held[0] for v in held):
            continue
        found = set(family.fields)
        for witness in family.witnesses:
            made = _make_config(cls, witness["fields"]).to_dict().get(name)
            values = family.values(witness["fields"])
            found = {f for f in found if isinstance(made, list) and made and all(v == values[f] for v in made)}
        if len(found) == 1:
            out[name] = found.pop()
    return out


def kinds_needed(family: LearnedFamily) -> dict[str, list[str]]:
    """The kinds of layer a per-layer list must name at least once: {list: [kinds]} (OLMo Hybrid's class wants an
    attention layer and a linear-attention one).

    Probes draw the lists at random, with every kind among their entries. At the smallest witness and the one
    building the most kinds of layer, each kind the list names is replaced by another in every entry: where the
    forms count it and transformers builds no model, or another count, the list must name that kind.
    """
    _require()
    features = [f for f in family.per_layer.get("features", []) if f[0] == "list" and len(f[2]) > 1]
    if not family.witnesses or not features:
        return {}
    cls = _config_class(family.model_type)
    family = _forms_only(family)
    out: dict[str, list[str]] = {}
    for base in _smallest_and_richest(family):
        made = _make_config(cls, base).to_dict()
        for _, name, entries in features:
            listed = base.get(name, made.get(name))
            if not isinstance(listed, list):
                continue
            for kind in entries:
                other = next(e for e in entries if e != kind)
                if kind in listed and kind not in out.get(name, []) and _miscounted(
                        family, cls, {**base, name: [other if e == kind else e for e in listed]}):
                    out.setdefault(name, []).append(kind)
    return {name: sorted(kinds) for name, kinds in sorted(out.items())}


def token_rows(family: LearnedFamily) -> list[list]:
    """The token ids a config may not give at or past a size of the model: [[token id, size field, the class's
    default id], ...].

    Embeddings take ``pad_token_id`` as a row (``padding_idx``): at the vocabulary's size or past it, or past
    the position table's (RoBERTa's positions pad with it too), torch builds no embedding. Probes never move token
    ids. At the smallest witness and the one building the most kinds of layer, each token id is set to 2 with each
    size the forms read set to 2: where transformers builds no model there, but builds one (of the forms' count)
    with the id at 1, and with the size at 3, the id is refused at that size or past it.
    """
    if (probing := _probing(family)) is None:
        return []
    cls, family = probing
    defaults = _make_config(cls, {}).to_dict()
    out: list[list] = []
    for base in _smallest_and_richest(family):
        tokens = [k for k, v in _make_config(cls, base).to_dict().items() if k.endswith("_token_id")
                  and (v is None or type(v) is int)]
        for token in tokens:
            for size in family.fields:
                rule = [token, size, defaults.get(token) if type(defaults.get(token)) is int else None]
                if rule in out:
                    continue
                at = {**base, token: 2, size: 2}
                try:
                    family.count(at)
                except SymparamsError:
                    continue
                if _try_build(cls, at) is None and _as_counted(family, cls, {**at, token: 1}) \
                        and _as_counted(family, cls, {**at, size: 3}):
                    out.append(rule)
    return sorted(out)


def rope_kinds(family: LearnedFamily) -> dict[str, Any]:
    """What a rope table stated by layer kind must hold for transformers to build the model, where the family
    takes any table (``free``): {"kinds": the kinds it must have a table for, "theta": the kinds whose table must
    give ``rope_theta``, "shares": the kinds whose ``partial_rotary_factor`` must be a number where given,
    "empty": whether an empty table builds, "flat": whether one table for all kinds does}.

    The family learned that the table shapes nothing; but Mellum's class, unlike Gemma 3's, fills in no kind a
    file leaves out, and its rotary embedding reads each kind its layers use, with its base and its share. At the
    witness building the most kinds of layer, the class's table is given with each kind left out, each kind's base
    left out, each kind's share null, and empty, and flat: what builds no model is refused. Empty where every one
    of them builds.
    """
    _require()
    table = family.fixed.get("rope_parameters")
    if "rope_parameters" not in family.free or not isinstance(table, dict) or not family.witnesses or not any(
            isinstance(v, dict) for v in table.values()):
        return {}
    cls = _config_class(family.model_type)
    base = _smallest_and_richest(family)[-1]
    stated = base.get("rope_parameters", table)

    def builds(rope: Any) -> bool:
        return _try_build(cls, {**base, "rope_parameters": rope}) is not None

    if not isinstance(stated, dict) or not builds(stated):
        return {}
    nested = {k: v for k, v in stated.items() if isinstance(v, dict)}
    out = {"kinds": sorted(k for k in nested if not builds({j: v for j, v in stated.items() if j != k})),
           "theta": sorted(k for k, v in nested.items() if "rope_theta" in v
                           and not builds({**stated, k: {a: b for a, b in v.items() if a != "rope_theta"}})),
           "shares": sorted(k for k, v in nested.items() if not builds({**stated, k: {**v, "partial_rotary_factor": None}})),
           "empty": builds({}), "flat": builds({"rope_type": "default", "rope_theta": 10000.0})}
    return out if out["kinds"] or out["theta"] or out["shares"] or not out["empty"] or not out["flat"] else {}


def made_tables(family: LearnedFamily) -> dict[str, dict]:
    """How the class makes each per-layer table of ``fixed`` it makes itself where a file leaves it out (Dots 3's
    ``per_layer_config``, Gemma 4 unified's), where that is the same whatever the fields: {table: {"attrs": the
    values its entries override, "kinds": {a kind of layer (its features, as JSON): the values every layer of that
    kind takes}, "tops": each value's default at the top level}}.

    transformers saves the table it made into every file, each entry holding only what differs from the top level
    (a value left out follows the file's own), so a file it saved states it beside fields away from the defaults
    the family was learned with. At every witness the class makes the table; a layer's values are its entry's,
    else the top level's. Where every layer of a kind takes the same values at every witness (or none of them has
    an entry), a stated table is the one the class makes exactly when each layer's values are these: the family
    counts it as left out, and refuses any other. A table whose values move with the fields is left out of this.
    """
    _require()
    names = [n for n, v in family.fixed.items() if isinstance(v, dict) and n not in family.free
             and not n.startswith("rope_")]
    features = family.per_layer.get("features", [])
    if not names or not features or not family.witnesses:
        return {}
    cls = _config_class(family.model_type)
    defaults = cls().to_dict()
    out = {}
    for name in names:
        made = [_make_config(cls, w["fields"]).to_dict() for w in family.witnesses]
        tables = [m.get(name) for m in made]
        if not all(isinstance(t, dict) and all(re.fullmatch(r"\d+", str(k)) and isinstance(v, dict)
                                               for k, v in t.items()) for t in tables):
            continue
        attrs = sorted({a for t in tables for entry in t.values() for a in entry})
        if not attrs or not all(a in defaults for a in attrs):
            continue
        kinds: dict[str, list] = {}
        for m, table in zip(made, tables):
            n = m.get(family.per_layer["length"])
            lists = {f: m.get(f) for f in config_lists(features)}
            if type(n) is not int or not all(isinstance(v, list) and len(v) == n for v in lists.values()):
                break
            entries = {int(k): v for k, v in table.items()}
            for i in range(n):
                key = json.dumps(list(layer_key(features, lists, m, i, n)))
                entry = entries.get(i)
                kinds.setdefault(key, []).append((entry is not None, {a: (entry or {}).get(a, m.get(a)) for a in attrs}))
        else:
            rule = {}
            for key, seen in kinds.items():
                values = [v for _, v in seen]
                if any(listed for listed, _ in seen) and any(v != values[0] for v in values):
                    break  # (a layer without an entry takes the top level's values: the kind's, or the rule fails)
                if any(listed for listed, _ in seen):
                    rule[key] = values[0]
            else:
                if rule and all(_is_plain(v) for r in rule.values() for v in r.values()):
                    out[name] = {"attrs": attrs, "kinds": rule, "tops": {a: defaults[a] for a in attrs}}
    return out


def relations(family: LearnedFamily) -> list[list]:
    """The pairs of whole-number fields the class builds no model without one at most the other, or dividing it:
    [[kind ("at_most" or "divides"), small, big, small's default, big's default], ...] (RecurrentGemma's key/value
    heads at most its heads; Zaya's dividing its heads); ``small`` is 2 for a field the class wants even (DiffLlama's
    key/value heads).

    Probes draw buildable configs only, so a class's check between two fields was never seen. At the smallest
    witness and the one building the most kinds of layer, each whole number is raised by one: where the forms count
    it and transformers builds no model, another field set to the raised value and one past it (at most), or to
    twice it and not one past that (dividing), says which rule fixes it; where none does, a field (not a head
    size, width or heads, whose rules are rope's and ``divides``'s) that builds at two and four more, and not at
    three or five, is wanted even. Each is also raised one past another field's value (at most 64): where
    transformers then builds no model, that field raised with it says the rule in the same way (Apertus's heads
    at most its width; Beam's key/value heads dividing its heads). Each whole number above 2 is also lowered to
    2: where transformers then builds no model, another lowered to 2 with it, and kept at 2 beside 3 (at most) or
    not (dividing), says which rule it breaks. A rule every witness keeps is kept.
    """
    if (probing := _probing(family)) is None:
        return []
    cls, family = probing
    defaults = _make_config(cls, {}).to_dict()
    out: list[list] = []

    def keep(kind: str, small: str, big: str, raised: dict | None = None, head: int | None = None) -> None:
        rule = [kind, small, big, *(defaults.get(n) if type(defaults.get(n)) is int else None for n in (small, big))]
        if raised is not None and head and "head_dim" not in (small, big) and \
                _as_counted(family, cls, {**raised, "head_dim": head}):
            rule.append("head_dim")  # (the heads past the width leave D // H no size only where no head_dim says one)
        if all(_keeps(rule, _make_config(cls, w["fields"]).to_dict()) for w in family.witnesses):
            out.append(rule)

    def fixing(raised: dict, small: str, big: str, x: int) -> str | None:
        """The rule ``big`` set to fit ``small`` raised to ``x`` shows: at most (x and x + 1 build), dividing
        (twice x builds, one past it not: dots.llm3's groups of at least two experts), or None."""
        if any(r[1:3] == [small, big] for r in out):
            return None
        if _as_counted(family, cls, {**raised, big: x}) and _as_counted(family, cls, {**raised, big: x + 1}):
            return "at_most"
        if _as_counted(family, cls, {**raised, big: 2 * x}) and \
                _as_counted(family, cls, {**raised, big: 2 * x + 1}) is False:
            return "divides"
        return None

    for base in _smallest_and_richest(family):
        try:
            made = _make_config(cls, base).to_dict()
        except Exception:  # noqa: BLE001 - a witness transformers no longer makes is the witness check's
            continue
        if not _as_counted(family, cls, base):
            continue
        ints = {k: v for k, v in made.items()
                if type(v) is int and v > 0 and not k.startswith("_") and not k.endswith("_token_id")}
        for small, v in ints.items():
            raised = {**base, small: v + 1}
            if not _miscounted(family, cls, raised):
                continue
            for big in ints:
                if big != small and big not in WIDTHS and (kind := fixing(raised, small, big, v + 1)):
                    keep(kind, small, big)
            even = ["divides", 2, small, None, defaults.get(small) if type(defaults.get(small)) is int else None]
            if v % 2 == 0 and even not in out and not any(r[1] == small for r in out) and not small.endswith(
                    "head_dim") and small not in (*WIDTHS, *HEADS) and all(  # (rope's, and the heads', rules)
                    _as_counted(family, cls, {**base, small: v + k}) is (k % 2 == 0) for k in (2, 3, 4, 5)) \
                    and all(_keeps(even, _make_config(cls, w["fields"]).to_dict()) for w in family.witnesses):
                out.append(even)  # a field the class wants even (DiffLlama's key/value heads, split in two)
        for small, v in ints.items():  # each raised past another's value: the heads past the width, say
            for u in sorted({w for w in ints.values() if v < w <= 64}):  # (a small model's sizes: quick to build)
                raised = {**base, small: u + 1}
                if not _miscounted(family, cls, raised) or not _as_counted(family, cls, {**base, small: u}):
                    continue
                for big, w in ints.items():
                    if w == u and big != small and (kind := fixing(raised, small, big, u + 1)):
                        keep(kind, small, big, raised, made.get("head_dim") or 4)
        for big, v in ints.items():  # each lowered to 2: a field it must stay at least (dots.llm3's indexer head size)
            if v <= 2 or big in WIDTHS or not _miscounted(family, cls, {**base, big: 2}):
                continue
            for small, w in ints.items():
                if small == big or w <= 2 or any(r[1:3] == [small, big] for r in out):
                    continue
                if _as_counted(family, cls, {**base, big: 2, small: 2}) and \
                        _as_counted(family, cls, {**base, big: 3, small: 2}):
                    keep("at_most", small, big)
                elif _as_counted(family, cls, {**base, big: 4, small: 2}) and \
                        _as_counted(family, cls, {**base, big: 3, small: 2}) is False:
                    keep("divides", small, big)
    return sorted(out, key=json.dumps)


def _keeps(rule: list, made: Mapping[str, Any]) -> bool:
    """Whether a config the class made keeps a relation (one of its fields not a whole number keeps it, and so does
    a config stating the field that voids it)."""
    if len(rule) == 6 and made.get(rule[5]) is not None:
        return True
    a, b = (n if type(n) is int else made.get(n) for n in rule[1:3])
    if type(a) is not int or type(b) is not int:
        return True
    return a <= b if rule[0] == "at_most" else a != 0 and b % a == 0


def same_parameters(family: LearnedFamily) -> list[str]:
    """The other model classes of the type (its masked LM's, say) that build its causal LM's parameters, by name and
    shape, at every witness of the family and of its variants: a config naming one in ``architectures`` is counted.

    Real files of encoders name the class they were trained as (``BertForMaskedLM``), whose head is the one
    ``BertLMHeadModel`` builds; a class that builds anything else (a pooler, a classifier) is still refused.
    """
    _require()
    from transformers.models.auto import modeling_auto

    from .config import CAUSAL_LM, CAUSAL_LM_CLASSES

    if not family.witnesses:
        return []
    cls = _config_class(family.model_type)
    named: set[str] = set()
    for table, mapping in vars(modeling_auto).items():
        if table.endswith("_MAPPING_NAMES") and table != "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES" and \
                isinstance(mapping, dict) and family.model_type in mapping:
            value = mapping[family.model_type]
            named.update(v for v in (value if isinstance(value, (tuple, list)) else (value,)) if isinstance(v, str))
    others = sorted(n for n in named if not n.endswith(CAUSAL_LM) and n not in CAUSAL_LM_CLASSES)
    configs = [w["fields"] for w in sorted(family.witnesses, key=lambda w: w["total"])]
    for name, variant in family.variants.items():
        flip = {name: variant.fixed[name]} if name in variant.fixed else {}  # (a null field given: one of its fields)
        configs += [{**w["fields"], **flip} for w in variant.witnesses]
    out = []
    for other in others:
        for config in configs:
            causal = _try_build(cls, config)
            if causal is None or _try_build(cls, config, other) != causal:
                break
        else:
            out.append(other)
    return out


def _probing(family: LearnedFamily) -> tuple[Any, LearnedFamily] | None:
    """What each check of a learned family probes with: transformers' config class and the family's forms alone;
    None for a family with no witness to start from."""
    _require()
    if not family.witnesses:
        return None
    return _config_class(family.model_type), _forms_only(family)


def _forms_only(family: LearnedFamily) -> LearnedFamily:
    """The family without the refusals learned beside its forms: what the forms alone count, which each check
    compares with transformers (so a check finds the same, whichever ran first)."""
    return replace(family, positive=[], divides=[], required=[], not_null=[], lengths={}, rope_kinds={}, token_rows=[],
                   kinds_needed={}, mirrors={}, relations=[])


def _as_counted(family: LearnedFamily, cls: Any, config: dict) -> bool | None:
    """Whether transformers builds ``config`` with the count the forms give it (None where the forms refuse it)."""
    try:
        ours = family.count(config)
    except SymparamsError:
        return None
    layout = _try_build(cls, config)
    return layout is not None and _total(layout) == ours


def _miscounted(family: LearnedFamily, cls: Any, config: dict) -> bool:
    """Whether the forms count ``config`` and transformers builds no model from it, or one of another count."""
    return _as_counted(family, cls, config) is False


def _smallest_and_richest(family: LearnedFamily) -> list[dict]:
    """The smallest witness, and the one building the most kinds of layer where that is another."""
    ranked = sorted(family.witnesses, key=lambda w: w["total"])

    def kinds(w: dict) -> int:
        return sum(1 for kind in family.kinds if evaluate(kind["count"], family.values(w["fields"])) > 0)

    richest = max(ranked, key=kinds)
    return [dict(ranked[0]["fields"]), *([dict(richest["fields"])] if richest is not ranked[0] else [])]


def _takes_null(annotation: Any) -> bool:
    """Whether a config field's annotation takes null (an annotation field_types does not keep is left to the build)."""
    return _takes(None, annotation)


def _takes_whole(annotation: Any) -> bool:
    """Whether a config field's annotation takes a whole number and not text (``dtype`` and untyped fields are
    checked for every model type, by field_types)."""
    return _takes(0, annotation) and not _takes("x", annotation)


def _takes(value: Any, annotation: Any) -> bool:
    from .families.field_types import fits
    from .families.field_types_source import encode

    try:
        return fits(value, encode(annotation))
    except TypeError:
        return value is None


def zeros(family: LearnedFamily) -> list[str]:
    """The fields whose learned forms do not hold at 0, to be refused there.

    Probes draw sizes from 1 up, so a class that reads 0 as "left out" (``head_dim``) or as "no
    experts", or cannot build at 0 at all, was never seen; and a whole-number field the forms do not
    read (BERT's heads, AFMoE's ``global_attn_every_n_layers``) was never moved. Each field, and each
    whole-number field the class declares, is set to 0 at every witness and at the class's defaults:
    where transformers builds no model at one of them, or one the forms count otherwise, 0 is refused.
    """
    def names(fields: list) -> list[str]:
        read = {*family.fields, *family.aliases, *family.legacy, *family.unread}
        return sorted({*family.fields, *(f.name for f in fields if f.name not in read and _takes_whole(f.type))})

    def zero(base: dict, name: str) -> dict | None:
        return None if base.get(name) == 0 else {**base, name: 0}

    return _broken(family, names, zero, defaults=True)


def signs(family: LearnedFamily) -> dict[str, str]:
    """The fields the forms do not read with which transformers builds no model at 0 ("positive") or below it
    ("non_negative"), where the field's type check lets the value through, to be refused there.

    Probes hold each such field at its default, so a value the class's code cannot take was never tried: OLMo
    hybrid takes the logarithm of ``linear_dt_min``, DiffLlama draws its lambdas with ``lambda_std_dev`` as a
    spread, CTRL makes ``n_positions`` sinusoids. Each field whose default is a decimal is set to 0.0, then to -1.0,
    and each whose default is a whole number (0 is :func:`zeros`' to refuse) to -1, at the smallest and richest
    witnesses and the class's defaults.
    """
    import dataclasses

    from .config import Config, parse_json
    from .families.field_types import check_types

    if (probing := _probing(family)) is None:
        return {}
    cls, family = probing
    bases = _smallest_and_richest(family) + ([{}] if _try_build(cls, {}) is not None else [])
    out = {}
    for f in dataclasses.fields(cls):
        if f.name in family.fields or type(f.default) not in (int, float) or not _takes(f.default, f.type):
            continue
        tries = ((0.0, "positive"), (-1.0, "non_negative")) if type(f.default) is float else ((-1, "non_negative"),)
        for value, rule in tries:
            try:
                check_types(Config(parse_json(json.dumps({"model_type": family.model_type, f.name: value}))))
            except SymparamsError:
                continue
            if any(_miscounted(family, cls, {**base, f.name: value}) for base in bases):
                out[f.name] = rule
                break
    return out


def _broken(family: LearnedFamily, names: Callable[[list], list[str]],
            change: Callable[[dict, str], dict | None], defaults: bool = False) -> list[str]:
    """The ``names`` (of the class's declared fields) for which ``change`` of some witness (and of the class's
    defaults, where they build a model) gives a config the forms count and transformers builds no model from, or
    one of another count: what ``zeros``, ``required`` and ``nulls`` refuse."""
    import dataclasses

    if (probing := _probing(family)) is None:
        return []
    cls, family = probing
    bases = [dict(w["fields"]) for w in sorted(family.witnesses, key=lambda w: w["total"])]
    if defaults and _try_build(cls, {}) is not None:  # (Cohere Compass's defaults build no model)
        bases.append({})
    out = []
    for name in names(list(dataclasses.fields(cls))):
        for base in bases:
            changed = change(base, name)
            if changed is not None and _miscounted(family, cls, changed):
                out.append(name)
                break
    return out


def _learn(model_type: str, probes: int, seed: int, flip: Mapping[str, Any]) -> LearnedFamily:
    """:func:`_learn_once`; where it finds no form, again with the fields only a kind of layer the default lacks reads
    held at their defaults (see :func:`_probe_elsewhere`)."""
    found: list[str] = []
    try:
        return _learn_once(model_type, probes, seed, flip, fix=False, found=found)
    except NoForm as first:
        if not found:
            raise
        try:
            return _learn_once(model_type, probes, seed, flip, fix=True, found=[])
        except NoForm:
            raise first from None


def _learn_once(model_type: str, probes: int, seed: int, flip: Mapping[str, Any], fix: bool,
                found: list[str]) -> LearnedFamily:
    """Learn from one set of probes; ``found`` gets the fields :func:`_probe_elsewhere` made shaping."""
    import transformers

    try:
        p = _probe(model_type, probes, seed, flip=flip, fix=fix, found=found)
        split = False
    except NoForm as err:  # one kind's layers differ in shape: a per-layer list may say which shape each has
        if "differs between layers of one kind" not in str(err):
            raise
        p, split = _probe(model_type, probes, seed, split=True, flip=flip, fix=fix, found=found), True
    per_layer = _layer_kinds_by_list(p) if p.features else None
    if p.features and per_layer is None:  # the lists do not decide the kinds: learned as before, the lists kept fixed
        if split:
            raise NoForm(f"{model_type}: the layers of one kind differ in shape, and no per-layer list decides which "
                         "shape a layer has")
        p = _probe(model_type, probes, seed, per_layer=False, flip=flip, fix=fix, found=found)
    p.split = split
    keys = set(p.base_reading.values)
    ranks = dict(p.base_reading.ranks)
    modules = dict(p.base_reading.modules)
    for _, reading, _ in p.fits:
        keys |= set(reading.values)
        for k, kind_of in reading.modules.items():
            modules.setdefault(k, kind_of)
        for k, r in reading.ranks.items():
            if ranks.setdefault(k, r) != r:
                raise NoForm(f"{model_type}: {k[-1]} changes its number of dimensions between configs")
    top = []
    for key in sorted(k for k in ranks if k[0] == "top"):
        name = key[1]
        shape = [_fit_key(("dim", name, i), p, f"dimension {i} of {name}") for i in range(ranks[key])]
        top.append({"name": name, "shape": shape, "module": modules.get(key, "other")})
    kinds = []
    every_kind = sorted({k[1] for k in keys if k[0] == "kind"})
    tallies: dict[str, dict] = {}
    tally_of: dict[str, str] = {}
    if per_layer is not None:
        tallies, tally_of = _name_tallies(per_layer, p)
    for kind in every_kind:
        stack = kind.split(" | ")[0]
        count = ["field", tally_of[kind]] if kind in tally_of else _fit_key(
            ("kind", kind), p, f"the number of {_kind_label(kind, every_kind)}")
        params = []
        for key in sorted(k for k in ranks if k[0] == "kind" and k[1] == kind):
            template = key[2]
            copies = _fit_key(("rep", kind, template), p, f"the copies of {stack}.{{i}}.{template}")
            shape = [_fit_key(("kdim", kind, template, i), p, f"dimension {i} of {stack}.{{i}}.{template}")
                     for i in range(ranks[key])]
            params.append({"name": template, "copies": copies, "shape": shape,
                           "module": modules.get(key, "other")})
        kinds.append({"stack": stack, "count": count, "parameters": params})
    _check_deeper(p, {kind: k["count"] for kind, k in zip(every_kind, kinds) if kind not in tally_of}, split, every_kind)
    defaults = _default_forms(p, random.Random(seed + 1))
    fields = {name: defaults[name] for name in p.shaping}
    fixed = {k: p.fields.fixed[k] for k in p.switches if not (per_layer and k in config_lists(p.features))}
    unplain = [k for k, v in fixed.items() if not _is_plain(v)]
    if unplain:
        raise NoForm(f"{model_type}: {unplain[0]} shapes the model but its default is not plain data")
    witnesses = [{"fields": env, "total": total} for env, _, total in p.fits[:: max(1, len(p.fits) // 6)]]
    layer_lists = {"length": p.layers, "features": per_layer[1]} if per_layer else {}
    if tallies:
        _missing_tallies(p, per_layer[1], tallies, random.Random(seed + 2))  # type: ignore[index]
        if any("missing" not in t for t in tallies.values()):  # a config must then give the lists: probes say them
            for (env, _, _), drawn in zip(p.fits, p.drawn):
                for name in config_lists(per_layer[1]):  # type: ignore[index]
                    env.setdefault(name, drawn[name])  # type: ignore[index, arg-type]
    derived = _derived_lists(p, per_layer[1]) if per_layer else {}
    legacy, unread = _legacy(p, split)
    family = LearnedFamily(model_type, transformers.__version__, fields, dict(p.fields.aliases), fixed, top, kinds,
                           witnesses, layer_lists, tallies, alike={k: v for k, v in p.alike.items() if v and k in fixed},
                           free=[k for k in p.free if k in fixed],
                           rope_types={k: v for k, v in p.rope_types.items() if k in fixed},
                           derived={k: v for k, v in derived.items() if k in fixed},
                           legacy={k: v for k, v in legacy.items() if v in fields or v in fixed}, unread=unread)
    for env, _, total in p.fits:
        if family.count(env) != total:
            raise NoForm(f"{model_type}: the learned form gives {family.count(env):,} for a probe transformers builds "
                         f"with {total:,} parameters")
    _check_coincidences(p, family)
    return family


def _check_coincidences(p: _Probes, family: LearnedFamily) -> None:
    """The form must also hold where two fields that size one linear map are equal.

    Random probes almost never draw them equal, and transformers often builds such a map
    only when they differ (RoFormer's and ELECTRA's ``embeddings_project``, from
    ``embedding_size`` to ``hidden_size``): a form learned without that case would count a
    module the model does not have. One meta build per pair settles it.
    """
    pairs: set[tuple[str, ...]] = set()
    for param in [*family.top, *(q for kind in family.kinds for q in kind["parameters"])]:
        shape = param["shape"]
        if param["module"] == "linear" and len(shape) == 2 and all(
                isinstance(d, list) and len(d) == 2 and d[0] == "field" for d in shape) and shape[0][1] != shape[1][1]:
            pairs.add(tuple(sorted((shape[0][1], shape[1][1]))))
    for (a, b) in sorted(pairs):
        if a not in p.base or b not in p.base:
            continue
        values: dict[str, Any] = {**p.base, b: p.base[a]}
        layout = _try_build(p.cls, values)
        if layout is None:
            continue
        try:
            want = family.count(values)
        except SymparamsError:
            continue
        if want != _total(layout):
            raise NoForm(f"{family.model_type}: where {a} equals {b}, transformers builds {_total(layout):,} "
                         f"parameters and the learned form gives {want:,} (a module between them is built only "
                         "when they differ)")


# Depths past the probes' (at most MAX_PROBE_LAYERS) at which a count of layers must still hold.
DEEPER = (2 * MAX_PROBE_LAYERS + 5, 100)


def _check_deeper(p: _Probes, counts: Mapping[str, Node], split: bool, every_kind: Sequence[str]) -> None:
    """A count of layers of a kind fitted on the probes' depths must hold on deeper models too.

    A rounding such as ``floor(19/23 * L)`` can fit every depth up to two dozen and miss the
    next ones (an every-sixth-layer pattern); two meta builds far deeper catch it, and the
    model type is refused rather than counted with a guess.
    """
    deep = {k: n for k, n in counts.items() if p.layers and p.layers in fields_in(n)}
    if not deep:
        return
    for depth in DEEPER:
        values: dict[str, Any] = dict(p.base)
        values[p.layers] = depth  # type: ignore[index]
        layout = _try_build(p.cls, values)
        if layout is None:
            continue
        reading = read_layout(layout, split)
        for kind, node in deep.items():
            got, want = reading.values.get(("kind", kind), 0), evaluate(node, values)
            if got != want:
                raise NoForm(f"the number of {_kind_label(kind, every_kind)} fits the probes up to "
                             f"{MAX_PROBE_LAYERS} layers but not a model of {depth} layers ({want} for {got})")


PerLayer = tuple[str, list[list], dict[tuple, str]]  # the stack, the features that decide its kinds, key -> kind


def _layer_kinds_by_list(p: _Probes) -> PerLayer | None:
    """The stack whose layers' kinds the features decide, the fewest features that do, and which values give which kind.

    Over every probe (lists drawn at random, or filled by the config's rule), the kind of
    layer ``i`` must be a function of its features (:func:`layer_key`); else None (a field
    such as ``first_k_dense_replace`` decides it too, and the lists stay fixed).
    """
    if not p.drawn or any(d is None for d in p.drawn):
        return None
    stacks: set[str] | None = None
    for env, reading, _ in p.fits:
        full = {s for s, kinds in reading.order.items() if len(kinds) == env[p.layers]}  # type: ignore[index]
        stacks = full if stacks is None else stacks & full
    if not stacks or len(stacks) != 1:
        return None
    (stack,) = stacks

    def kinds_by(features: list[list]) -> dict[tuple, str] | None:
        seen: dict[tuple, str] = {}
        for (env, reading, _), drawn in zip(p.fits, p.drawn):
            n = len(reading.order[stack])
            for i, kind in enumerate(reading.order[stack]):
                if any(f[0] == "every" and env[f[1]] <= 0 for f in features):
                    return None
                key = layer_key(features, drawn, env, i, n)  # type: ignore[arg-type]
                if seen.setdefault(key, kind) != kind:
                    return None
        return seen

    features = list(p.features)
    if kinds_by(features) is None:
        return None
    for f in list(features):  # index rules go first, so a list that decides the kinds is the one kept
        if kinds_by([g for g in features if g is not f]) is not None:
            features.remove(f)
    if not config_lists(features) and not any(f[0] == "every" for f in features):
        return None  # first or last layer only: a count of the fields says as much
    which = kinds_by(features)
    assert which is not None
    return stack, features, which


def _name_tallies(per_layer: PerLayer, p: _Probes) -> tuple[dict[str, dict], dict[str, str]]:
    """One tally per kind of the stack, named after the values its layers share (``L_full_attention_sparse``)."""
    _, features, which = per_layer
    by_kind: dict[str, list[tuple]] = {}
    for key, kind in sorted(which.items(), key=lambda kv: str(kv)):
        by_kind.setdefault(kind, []).append(key)
    taken = set(p.fields.ints) | set(p.fields.fixed)
    tallies: dict[str, dict] = {}
    tally_of: dict[str, str] = {}
    for i, (kind, keys) in enumerate(sorted(by_kind.items())):
        parts = []
        for j, f in enumerate(features):
            values = sorted({str(k[j]) for k in keys})
            if f[0] == "list":
                parts.append("_or_".join(re.sub(r"\W+", "", v) for v in values))
            elif len(values) == 1:
                label = f[0] if len(f) == 1 else f"{f[0]}_{f[1]}"
                parts.append(label if values[0] == "True" else f"not_{label}")
        name = "L_" + ("_".join(v for v in parts if v) or chr(ord("a") + i))
        while name in taken or name in tallies:
            name += "_"
        tallies[name] = {"match": [list(k) for k in keys]}
        tally_of[kind] = name
    return tallies, tally_of


def _missing_tallies(p: _Probes, features: list[list], tallies: dict[str, dict], rng: random.Random) -> None:
    """Each tally as a form of the fields, for a config that leaves the lists to transformers' rule.

    The rule is read from configs alone (no model is built), over depths up to 200, far past
    the probes': a form that only fits the first two dozen layers is caught. If any tally has
    no form, none gets one, and a config must give the lists.
    """
    which = {tuple(k): name for name, info in tallies.items() for k in info["match"]}
    layers = p.layers
    assert layers is not None
    if not config_lists(features) or any(isinstance(v, Cycle) for v in p.base.values()):
        return  # nothing a config can leave out, or transformers has no rule for it (the list was declared)

    def tally(values: Mapping[str, Any]) -> dict[str, int] | None:
        n = values[layers]
        lists = _lists_of(p.cls, values, features, n)
        if lists is None or any(f[0] == "every" and values[f[1]] <= 0 for f in features):
            return None
        out = {name: 0 for name in tallies}
        for i in range(n):
            key = layer_key(features, lists, values, i, n)
            if key not in which:
                raise NoForm(f"layer {i} is {key} by the rule of a config that leaves the lists out")
            out[which[key]] += 1
        return out

    try:
        ref = tally(p.base)
        if ref is None:
            return
        moved: dict[str, set[str]] = {name: set() for name in tallies}
        for f in p.shaping:
            for new in _perturbations(p.base[f])[:3]:
                got = tally({**p.base, f: new})
                for name in tallies:
                    if got is not None and got[name] != ref[name]:
                        moved[name].add(f)
        samples: list[tuple[dict[str, int], dict[str, int]]] = []
        for _ in range(600):
            values = _draw(rng, p.fields, p.base, p.shaping, strict=rng.random() < 0.3)
            if rng.random() < 0.5:
                values[layers] = rng.randint(1, 200)
            got = tally(values)
            if got is not None:
                samples.append((values, got))
            if len(samples) >= 120:
                break
        forms = {}
        split = (2 * len(samples)) // 3
        structural = {f for k, fs in p.deps.items() if k[0] == "kind" for f in fs}
        for name in tallies:
            obs = [(v, t[name]) for v, t in samples]
            deps = moved[name] | {layers}  # a count of the first layers does not move with a depth past them
            try:
                forms[name] = fit_form(obs[:split], sorted(deps), f"the layers {name} counts", obs[split:])
            except NoForm:
                forms[name] = fit_form(obs[:split], sorted(deps | structural), f"the layers {name} counts", obs[split:])
    except NoForm:
        return
    for name, form in forms.items():
        tallies[name]["missing"] = form


def _kind_label(kind: str, kinds: Sequence[str]) -> str:
    """A short name for a kind of layer: its stack and the parameters only it has (or that others have)."""
    stack, names = kind.split(" | ")[:2]
    mine = set(names.split())
    others = [set(k.split(" | ")[1].split()) for k in kinds if k != kind and k.split(" | ")[0] == stack]
    if not others:
        return f"{stack} layers"
    theirs: set[str] = set()
    for other in others:
        theirs |= other
    only = sorted(mine - theirs)
    if only:
        return f"{stack} layers with {', '.join(only[:2])}{', ...' if len(only) > 2 else ''}"
    lacking = sorted(theirs - mine)
    return f"{stack} layers without {', '.join(lacking[:2])}{', ...' if len(lacking) > 2 else ''}"


def _is_plain(value: Any) -> bool:
    """JSON-plain config values (a fixed field must be stored and compared exactly)."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False
