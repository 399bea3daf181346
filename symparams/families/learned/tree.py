"""A learned family read as a module tree, so every reading that needs only weights works unchanged.

Each module transformers built becomes the leaf its kind says: a ``Linear`` (GPT-2's
``Conv1D`` with its weight transposed), an ``Embedding``, a ``Norm``, else bare
``Parameter`` tensors; the stacks of layers become ``Repeat`` nodes, one per kind of layer,
and repeated modules inside a layer (``experts.{j}``) nested ``Repeat`` nodes. Names come
from the module names. Counts, breakdowns, memory for weights, gradients and optimizer
states, and matmul FLOPs follow from the leaves; what needs the architecture's semantics
(KV cache, attention FLOPs, activations) is refused. Experts stacked in tensors of E rows
first, beside a router of E rows, are used k at a time (k the config's
``num_experts_per_tok``, where its class declares that field, as top-k routing sends each
token); experts kept otherwise, or no such k, leave the parameters one token uses refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import sympy
from sympy import Expr

from ...components import Embedding, Linear, Norm, Parameter
from ...components.base import Module
from ...components.composite import Composite, Model, Repeat
from ...errors import SymparamsError
from ...spec import AtMost, Constraint, Spec
from ..field_types import table as field_types
from .data import LearnedFamily, Node, fields_in, symbol_for, to_sympy

__all__ = ["build_spec", "LearnedModel", "group_of"]

SEMANTIC = "it knows the parameter shapes transformers builds, not the architecture's semantics"


def _refusal(model_type: str, what: str) -> SymparamsError:
    return SymparamsError(f"{model_type}: a learned family does not give {what} ({SEMANTIC})")


class _Refusing:
    """Readings a learned tree refuses at every composite: they need what only a hand-written family knows."""

    model_type: str
    routing: str

    def attention_flops(self, T: Expr, causal: bool = False) -> Expr:
        raise _refusal(self.model_type, "attention FLOPs")

    def softmax_flops(self, T: Expr) -> Expr:
        raise _refusal(self.model_type, "softmax FLOPs")

    def cache_elements(self, T: Expr) -> Expr:
        raise _refusal(self.model_type, "a KV cache")

    def activation_bytes(self, T: Expr, saving: Any = None) -> Expr:
        raise _refusal(self.model_type, "activation memory")

    def activation_shared(self, T: Expr, saving: Any = None) -> dict:
        raise _refusal(self.model_type, "activation memory")

    def input_width(self) -> Expr:
        raise _refusal(self.model_type, "activation memory")

    def _per_token(self, reading: str) -> Expr:
        if self.routing:
            what = {"active": "the parameters one token uses", "matmul": "matmul FLOPs"}.get(reading, f"{reading} weights")
            raise SymparamsError(f"{self.model_type}: a learned family does not give {what}: it does not know "
                                 f"{self.routing}")
        return Module._used(self, reading)  # type: ignore[arg-type]

    def active(self) -> Expr:
        return self._per_token("active")

    def matmul(self) -> Expr:
        return self._per_token("matmul")

    def onehot(self) -> Expr:
        return self._per_token("onehot")

    def palm(self) -> Expr:
        return self._per_token("palm")


@dataclass(frozen=True)
class LearnedModel(_Refusing, Model):
    """The root of a learned family's tree."""

    model_type: str = ""
    routing: str = ""


@dataclass(frozen=True)
class LearnedGroup(_Refusing, Composite):
    """A module of a learned family that holds others."""

    model_type: str = ""
    routing: str = ""
    holder = True

    def describe(self, fmt: Any = str) -> str:
        return self.label or "modules"


@dataclass(frozen=True)
class Stacked(Parameter):
    """A tensor of experts' weights stacked E first (``experts.gate_up_proj``), of which a token uses ``used`` (k/E),
    or a router's E x D weight (all of it): a matrix a token multiplies, or a bias (``matrix`` false) it adds."""

    used: Expr = sympy.Integer(1)
    matrix: bool = True

    def active(self) -> Expr:
        return self.used * self.params()

    def matmul(self) -> Expr:
        return self.used * self.params() if self.matrix else sympy.Integer(0)

    def describe(self, fmt: Any = str) -> str:
        share = "" if self.used == 1 else f", {fmt(self.used)} of it per token"
        return f"Parameter({', '.join(fmt(s) for s in self.shape)}{share})"


@dataclass(frozen=True)
class LearnedRepeat(_Refusing, Repeat):
    """A stack of one kind of layer, or repeated modules in a layer."""

    model_type: str = ""
    routing: str = ""


_GROUP_WORDS = (
    ("attention", ("attn", "attention", "q_proj", "k_proj", "v_proj", "o_proj", "qkv")),
    ("mlp", ("mlp", "ffn", "feed_forward", "experts", "expert", "moe", "gate_proj", "up_proj", "down_proj", "fc1", "fc2",
             "intermediate", ".output.dense", ".ff.")),  # (BERT's intermediate and output, after its attention's)
)


def _group(path: str, kind: str) -> str:
    """A leaf's group, named from its module path (the breakdown's groups, not semantics)."""
    if kind == "embedding":
        return "embedding"
    if kind == "norm":
        return "norm"
    lowered = path.lower()
    if any(w in lowered for w in ("lm_head", "predictions", "lm_loss")) or lowered.endswith(("head", "output")):
        return "head"
    for group, words in _GROUP_WORDS:
        if any(w in lowered for w in words):
            return group
    return "other"


class _Builder:
    """Turns the family's parameters into leaves, sizes given by a config's field values."""

    def __init__(self, family: LearnedFamily, env: Mapping[str, int], top_k: int | None = None):
        self.family = family
        used: set[str] = set()
        for node in self._nodes():
            used |= fields_in(node)
        self.symbols: dict[str, sympy.Symbol] = {}
        taken: set[sympy.Symbol] = set()
        for name in family.names:
            if name not in used or env[name] == 0:
                continue
            sym = symbol_for(name)
            if sym in taken:
                sym = sympy.Symbol(name, positive=True, integer=True)
            taken.add(sym)
            self.symbols[name] = sym
        self.zero = {name: 0 for name in family.names if name not in self.symbols}
        values = [(self.symbols[n], sympy.Integer(env[n])) for n in self.symbols]
        experts = [n for n in self.symbols if symbol_for(n) == sympy.Symbol("E", positive=True, integer=True)]
        # The routed experts: E (a field the shapes read) and k, the config's num_experts_per_tok, 1 <= k <= E.
        self.experts: Expr | None = None
        self.top_k: Expr | None = None
        if len(experts) == 1:
            self.experts = self.symbols[experts[0]]
            if top_k is not None and 1 <= top_k <= env[experts[0]]:
                self.top_k = sympy.Symbol("k", positive=True, integer=True)
                values.append((self.top_k, sympy.Integer(top_k)))
        self.values = tuple(values)
        self.routing = ""

    def _nodes(self):
        for p in self.family.top:
            yield from p["shape"]
        for kind in self.family.kinds:
            yield kind["count"]
            for p in kind["parameters"]:
                yield p["copies"]
                yield from p["shape"]

    def expr(self, node: Node) -> Expr:
        symbols: dict[str, Any] = {**{n: sympy.Integer(0) for n in self.zero}, **self.symbols}
        return to_sympy(node, symbols)

    def leaves(self, path: str, shown: str, params: list[dict]) -> list[Module]:
        """The leaves of one module's parameters (``weight`` and ``bias`` of one layer make one leaf)."""
        kind = params[0].get("module", "other")
        by_name = {p["name"].rpartition(".")[2]: [self.expr(d) for d in p["shape"]] for p in params}
        group = _group(params[0]["_full"].rpartition(".")[0], kind)
        weight, bias = by_name.get("weight"), by_name.get("bias")
        plain = set(by_name) <= {"weight", "bias"} and weight is not None
        if plain and kind == "embedding" and weight is not None and len(weight) == 2 and bias is None:
            return [Embedding(shown, weight[0], weight[1])]
        if plain and kind in ("linear", "conv1d") and weight is not None and len(weight) == 2:
            d_out, d_in = weight if kind == "linear" else weight[::-1]
            if bias is None or (len(bias) == 1 and sympy.expand(bias[0] - d_out) == 0):
                return [Linear(shown, d_in, d_out, bias=bias is not None, group=group)]
        if kind == "norm" and set(by_name) <= {"weight", "bias"} and len({str(v) for v in by_name.values()}) == 1 \
                and all(len(v) == 1 for v in by_name.values()):
            dim = next(iter(by_name.values()))[0]
            return [Norm(shown, dim, kind="layer" if bias is not None else "norm", weight=weight is not None,
                         bias=bias is not None)]
        out: list[Module] = []
        for name, shape in by_name.items():
            routed = self._routed(path, name, shape, kind)
            if routed is not None:
                out.append(routed)
                continue
            if len(shape) >= 2 and not self.routing:
                self.routing = (f"the use per token of {path}.{name}, held by a module that is not a linear layer, "
                                "an embedding or a norm")
            out.append(Parameter(name, tuple(shape), group=group))
        return out

    def _routed(self, path: str, name: str, shape: list[Expr], kind: str) -> Module | None:
        """The experts' stacked tensors (E first: weights a token multiplies k of, biases it adds k of) and the
        router's E x D weight (every token multiplies it), where the config gives k; else None."""
        if self.experts is None or len(shape) < 2 or kind != "other" or sympy.expand(shape[0] - self.experts) != 0:
            return None
        where = path.lower().rpartition(".")[2]
        width = self.symbols.get("hidden_size")
        if self.top_k is None:
            if "expert" in where and not self.routing:
                self.routing = ("how many of the E experts a token uses: it reads num_experts_per_tok, from 1 to E, "
                                "where the config class declares it and the config gives it")
            return None
        if "expert" in where and "shared" not in where:
            return Stacked(name, tuple(shape), group="mlp", used=self.top_k / self.experts, matrix=len(shape) == 3)
        if where in ("gate", "router") and len(shape) == 2 and width is not None and shape[1] == width:
            return Stacked(name, tuple(shape), group="mlp")
        return None

    def insert(self, trie: dict, params: list[dict], prefix: tuple[str, ...] = ()) -> None:
        """File parameters by their dotted module names; ``#`` (repeated modules) keeps its copies in the key."""
        for p in params:
            at = trie
            for seg in [*prefix, *p["name"].split(".")[:-1]]:
                if seg == "#":
                    seg = "#" + json.dumps(p.get("copies", 1))
                at = at.setdefault(seg, {})
            at.setdefault(("leaf",), []).append(p)

    def node(self, key: str, trie: dict, path: str) -> list[Module]:
        """The modules at one name: its own leaves, its submodules, its stacks of layers."""
        mt = self.family.model_type
        repeated = key.startswith("#")
        shown = "each" if repeated else key
        parts: list[Module] = []
        for sub, value in trie.items():
            if sub == ("leaf",):
                parts.extend(self.leaves(path, shown, value))
            elif isinstance(sub, tuple):
                parts.append(self.stack(value["kinds"], sub[1], f"{path}.{sub[1]}"))
            else:
                parts.extend(self.node(sub, value, f"{path}.{sub}" if path else sub))
        if repeated:
            if "expert" in path.lower() and not self.routing:
                self.routing = "which of the experts a token uses"
            child = parts[0] if len(parts) == 1 else LearnedGroup(shown, tuple(parts), group=_common(parts), model_type=mt)
            return [LearnedRepeat("copies", self.expr(json.loads(key[1:])), child, group=child.group, model_type=mt)]
        if len(parts) == 1 and list(trie) == [("leaf",)] and parts[0].name == shown:
            return parts
        return [LearnedGroup(shown, tuple(parts), group=_common(parts), model_type=mt)]

    def stack(self, kinds: list[dict], name: str, path: str) -> Module:
        """A stack of layers: one Repeat for each kind of layer it holds."""
        mt = self.family.model_type
        out: list[Module] = []
        for i, kind in enumerate(kinds):
            trie: dict = {}
            self.insert(trie, kind["parameters"])
            layer = [m for key, value in trie.items() for m in (
                self.leaves(path, "layer", value) if key == ("leaf",) else self.node(key, value, f"{path}.{{i}}.{key}"))]
            block = LearnedGroup("layer", tuple(layer), group=_common(layer), model_type=mt, label=f"{path}.{{i}}")
            shown = name if len(kinds) == 1 else f"{name}_{chr(ord('a') + i) if i < 26 else i}"
            out.append(LearnedRepeat(shown, self.expr(kind["count"]), block, model_type=mt))
        return out[0] if len(out) == 1 else LearnedGroup(name, tuple(out), model_type=mt)


def _common(parts: list[Module]) -> str:
    groups = {p.group for p in parts}
    return groups.pop() if len(groups) == 1 else "other"


@dataclass(frozen=True)
class _ReadAgain(Constraint):
    """The learned family's reading of the config with the values set on its Spec: every refusal the family makes of
    a config (a width its heads do not divide, a padding id at the vocabulary's size) holds for values set later.

    The family's rules live on the config's fields, some of which are no symbol of the count (BERT's heads), so
    a value set afterwards (``--set D=1000``) is written into the config and the config read again.
    """

    family: LearnedFamily = field(compare=False, hash=False)
    config: Mapping[str, Any] = field(compare=False, hash=False)
    read: Callable[[dict, str], Any] = field(compare=False, hash=False)  # every check a config of the family passes
    fields: tuple[tuple[str, sympy.Symbol, int], ...] = ()  # (field, its symbol, the config's value)

    def check(self, env: Mapping[sympy.Symbol, Expr]) -> None:
        changed = {name: env[sym] for name, sym, was in self.fields if sym in env and env[sym] != was}
        if not changed:
            return
        shown = ", ".join(f"{sym}={env[sym]}" for name, sym, _ in self.fields if name in changed)
        for name, value in changed.items():
            if name in self.family.tallies:
                raise SymparamsError(f"{name} counts the layers of a kind the config's per-layer list names; set that "
                                     "list in the config, not the count")
            if not value.is_Integer:
                raise SymparamsError(f"{name} = {value} is not a whole number")
        config = {k: v for k, v in self.config.items() if k not in changed and self.family.aliases.get(k) not in changed}
        self.read({**config, **{name: int(v) for name, v in changed.items()}}, f"with {shown}")


def build_spec(family: LearnedFamily, config: Mapping[str, Any], source: str, name: str,
               read: Callable[[dict, str], Any] | None = None) -> Spec:
    """The Spec of the model ``config`` describes, read by the learned ``family`` (or its variant the config flips).

    ``read`` makes every check a config of the family passes (its registry's, beside the family's own); values set
    on the Spec later are checked by it, in the config they would make (the family's own checks without it)."""
    top = family
    family, env = family.read(config, source)
    expected = sum(n for _, n in family.rows(config, source))  # every dimension whole, or refused here by name
    top_k = config.get("num_experts_per_tok")
    declared = "num_experts_per_tok" in field_types().get(family.model_type, {}).get("fields", {})
    b = _Builder(family, env, top_k if declared and type(top_k) is int else None)
    trie: dict = {}
    b.insert(trie, [{**p, "_full": p["name"]} for p in family.top])
    for kind in family.kinds:
        kind = {**kind, "parameters": [{**p, "_full": f"{kind['stack']}.{{i}}.{p['name']}"} for p in kind["parameters"]]}
        at = trie
        segments = kind["stack"].split(".")
        for seg in segments[:-1]:
            at = at.setdefault(seg, {})
        at.setdefault(("stack", segments[-1]), {}).setdefault("kinds", []).append(kind)
    parts = _root(b, trie)
    parts = _tied_head(family, parts, b)
    root = LearnedModel(family.model_type, tuple(parts), model_type=family.model_type, routing=b.routing,
                        label=f"learned {family.model_type}")
    again = _ReadAgain(top, dict(config), read or top.rows, tuple((n, sym, env[n]) for n, sym in b.symbols.items()))
    picks = (AtMost(b.top_k, b.experts, "a token picks k of the E routed experts"),) if b.top_k is not None else ()
    spec = Spec(name=name, tree=root, values=b.values, constraints=(again, *picks))
    if spec.total != expected:  # pragma: no cover - the tree holds every row of the file
        raise SymparamsError(f"{source}: the learned {family.model_type} tree counts {spec.total:,}, "
                             f"its file {expected:,}: refused rather than give either")
    return spec


def _root(b: _Builder, trie: dict) -> list[Module]:
    out: list[Module] = []
    for key, value in trie.items():
        if key == ("leaf",):
            out.extend(b.leaves("", "model", value))
        elif isinstance(key, tuple):
            out.append(b.stack(value["kinds"], key[1], key[1]))
        else:
            out.extend(b.node(key, value, key))
    return out


def _tied_head(family: LearnedFamily, parts: list[Module], b: _Builder) -> list[Module]:
    """A head tied to the token embedding stores nothing but multiplies: shown as a tied Linear."""
    if family.fixed.get("tie_word_embeddings") is not True:
        return parts
    names = [p["name"] for p in family.top]
    if any("lm_head" in n or n.startswith("head.") for n in names):
        return parts
    vocab = [p for p in family.top if p.get("module") == "embedding" and fields_in(p["shape"][0]) & {"vocab_size"}]
    if len(vocab) != 1:
        return parts
    rows, dim = (b.expr(d) for d in vocab[0]["shape"])
    return [*parts, Linear("lm_head", dim, rows, tied=True, group="head")]


_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


def group_of(family: LearnedFamily, param_name: str) -> str:
    """The tree group of one of transformers' parameter names, as the learned tree assigns it (for verify)."""
    m = _INDEX.search(param_name)
    if m is None:
        tops = [p for f in (family, *family.variants.values()) for p in f.top]
        full, kinds = param_name, [p.get("module", "other") for p in tops if p["name"] == param_name]
    else:
        stack = param_name[:m.start()]
        template = _INDEX.sub(".#", "." + param_name[m.end() + 1:])[1:]
        full = f"{stack}.{{i}}.{template}"
        kinds = [p.get("module", "other") for f in (family, *family.variants.values()) for k in f.kinds if k["stack"] == stack
                 for p in k["parameters"] if p["name"] in (template, param_name[m.end() + 1:])]
    return _group(full.rpartition(".")[0], kinds[0] if kinds else "other")
