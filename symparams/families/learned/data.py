"""A learned family as data: the expressions of its dimensions, its fields, and reading it back safely.

This is the torch-free half of :mod:`symparams.learn`: a family file is JSON whose
expressions are nested lists (``["mul", ["field", "hidden_size"], 2]``), evaluated
exactly in rational arithmetic, never ``eval``-ed or parsed. A checksum and witness
configs (with the totals transformers built for them) are re-checked when a file is
read, so a corrupted or hand-edited file is refused, never miscounted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, partial
from typing import Any, Iterable, Mapping

import sympy

from ...config import CAUSAL_LM, as_loaded, short
from ...errors import SymparamsError
from ..layer_lists import LEGACY_NAMES

__all__ = [
    "FORMAT", "CANONICAL", "MODULE_KINDS", "Node", "LearnedFamily", "evaluate", "check_node", "to_sympy",
    "symbol_for", "loads", "load", "relation_text", "rope_type",
]

FORMAT = "symparams-learned-family/1"

# Config fields with a canonical symbol; any other field gets a symbol named after it.
CANONICAL: dict[str, str] = {
    "hidden_size": "D", "n_embd": "D", "d_model": "D", "n_embed": "D",
    "num_hidden_layers": "L", "n_layer": "L", "num_layers": "L", "n_layers": "L",
    "vocab_size": "V",
    "num_attention_heads": "H", "n_head": "H", "num_heads": "H", "n_heads": "H",
    "num_key_value_heads": "H_kv", "num_kv_heads": "H_kv", "n_head_kv": "H_kv", "multi_query_group_num": "H_kv",
    "head_dim": "d_h",
    "intermediate_size": "F", "n_inner": "F", "ffn_dim": "F", "ffn_hidden_size": "F",
    "num_local_experts": "E", "num_experts": "E", "n_routed_experts": "E",
    "num_experts_per_tok": "k",
    "max_position_embeddings": "P", "n_positions": "P",
    "moe_intermediate_size": "F_e", "shared_expert_intermediate_size": "F_s", "n_shared_experts": "E_s",
    "first_k_dense_replace": "L_d",
    "q_lora_rank": "r_q", "kv_lora_rank": "r_kv", "qk_nope_head_dim": "d_nope", "qk_rope_head_dim": "d_rope",
    "v_head_dim": "d_v",
}

# What kind of module holds a parameter (read from transformers when it was learned).
MODULE_KINDS = ("linear", "conv1d", "embedding", "norm", "other")

# ---- expressions: plain data, evaluated exactly -----------------------------------------------------

Node = Any  # int | ["field", name] | ["rat", p, q] | ["add"|"mul", *nodes] | ["div", a, b] | ["floor"|"ceil", a]

_OPS = {"field": 1, "rat": 2, "add": -1, "mul": -1, "div": 2, "floor": 1, "ceil": 1, "min": 2, "max": 2}


def evaluate(node: Node, env: Mapping[str, int | Fraction]) -> Fraction:
    """The exact value of an expression for field values ``env``."""
    if isinstance(node, bool):
        raise SymparamsError("a learned expression holds a boolean")
    if isinstance(node, int):
        return Fraction(node)
    op, args = node[0], node[1:]
    if op == "field":
        return Fraction(env[args[0]])
    if op == "rat":
        return Fraction(args[0], args[1])
    values = [evaluate(a, env) for a in args]
    if op == "add":
        return sum(values, Fraction(0))
    if op == "mul":
        out = Fraction(1)
        for v in values:
            out *= v
        return out
    if op == "div":
        if values[1] == 0:
            raise SymparamsError("a learned dimension divides by a field that is zero")
        return values[0] / values[1]
    if op == "floor":
        return Fraction(values[0].numerator // values[0].denominator)
    if op == "ceil":
        return Fraction(-((-values[0].numerator) // values[0].denominator))
    if op == "min":
        return min(values)
    if op == "max":
        return max(values)
    raise SymparamsError(f"unknown operation {op!r} in a learned expression")


def check_node(node: Node, fields: Iterable[str], depth: int = 0) -> None:
    """Refuse anything but the expression grammar over the declared fields."""
    if depth > 32:
        raise SymparamsError("a learned expression is nested too deeply")
    if isinstance(node, bool) or not isinstance(node, (int, list)):
        raise SymparamsError(f"a learned expression holds {type(node).__name__}, not a number or an operation")
    if isinstance(node, int):
        return
    if not node or node[0] not in _OPS:
        raise SymparamsError(f"unknown operation {str(node[:1])[:40]} in a learned expression")
    op, args = node[0], node[1:]
    arity = _OPS[op]
    if (arity >= 0 and len(args) != arity) or (arity < 0 and not args):
        raise SymparamsError(f"operation {op!r} with {len(args)} arguments in a learned expression")
    if op == "field":
        if args[0] not in set(fields):
            raise SymparamsError(f"a learned expression names {str(args[0])[:40]!r}, not a field of the family")
        return
    if op == "rat":
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in args) or args[1] <= 0:
            raise SymparamsError("a learned rational is not two integers with a positive denominator")
        return
    for a in args:
        check_node(a, fields, depth + 1)


def to_sympy(node: Node, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """The expression as SymPy, each field as its symbol (built from the tree, never parsed)."""
    if isinstance(node, int):
        return sympy.Integer(node)
    op, args = node[0], node[1:]
    if op == "field":
        return symbols[args[0]]
    if op == "rat":
        return sympy.Rational(args[0], args[1])
    parts = [to_sympy(a, symbols) for a in args]
    if op == "add":
        return sympy.Add(*parts)
    if op == "mul":
        return sympy.Mul(*parts)
    if op == "div":
        return parts[0] / parts[1]
    if op == "floor":
        return sympy.floor(parts[0])
    if op == "min":
        return sympy.Min(*parts)
    if op == "max":
        return sympy.Max(*parts)
    return sympy.ceiling(parts[0])


def symbol_for(name: str) -> sympy.Symbol:
    """The canonical symbol of a standard field, else a positive integer symbol named after the field."""
    from ...symbols import SYMBOLS

    canonical = CANONICAL.get(name)
    if canonical is not None:
        return SYMBOLS[canonical]
    return sympy.Symbol(name, positive=True, integer=True)


# ---- the learned family ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnedFamily:
    """A model type's parameter count as data: fields, forms of every parameter, layer kinds, witnesses."""

    model_type: str
    transformers: str
    fields: dict[str, dict]  # name -> {"missing": Node, "null": Node}; a mode transformers refuses is absent
    aliases: dict[str, str]
    fixed: dict[str, Any]
    top: list[dict]  # {"name", "shape": [Node], "module": one of MODULE_KINDS}
    kinds: list[dict]  # {"stack", "count": Node, "parameters": [{"name", "copies", "shape", "module"}]}
    witnesses: list[dict]  # {"fields": {...}, "total": int}
    # Layers counted by what decides each one's kind: {"length": field, "features": [see layer_key]}, or {}.
    per_layer: dict = field(default_factory=dict)
    # name -> {"match": [[value of each feature, ...], ...], "missing": Node (when the config leaves the lists out)}
    tallies: dict = field(default_factory=dict)
    # A true-or-false field of ``fixed`` -> the family learned with its other value; a null one -> the family learned
    # with it given as a whole number (as JSON, read when first used).
    variant_data: dict = field(default_factory=dict)
    # A fixed activation -> the other activations with which transformers builds the same shapes.
    alike: dict = field(default_factory=dict)
    # Fixed fields that build the same shapes whatever their value (a RoPE table tried with another base, scaling and
    # rotary share): a config may set any value; the learned one says how the class keeps them (flat, by layer kind).
    free: list = field(default_factory=list)
    # A fixed flat RoPE table -> the rope types with which every trial built the same shapes, where the class refused
    # the others (RecurrentGemma's rotary embedding takes the default type alone): a config may state a table of one
    # of them, with its own base and scaling; a table of another type is refused.
    rope_types: dict = field(default_factory=dict)
    # A per-layer list of ``fixed`` the class derives from a list of layer indices (a "in" feature), and builds from
    # when given -> {"from": that feature's list, "in": the kind at its indices, "out": the kind elsewhere}.
    derived: dict = field(default_factory=dict)
    # Keywords the class's code reads in place of a field (LFM2's ``block_ff_dim`` for ``intermediate_size``) -> that
    # field: given, they stand for it; and keywords its code reads that shape the model otherwise, refused when given.
    legacy: dict = field(default_factory=dict)
    unread: dict = field(default_factory=dict)  # keyword -> [the value the class takes where it is left out], or []
    # Fields refused at 0, read by the forms or not: there transformers builds no model, or one the forms (learned
    # from 1 up) count otherwise.
    positive: list = field(default_factory=list)
    # Fields the forms do not read -> "positive" (refused at 0 and below) or "non_negative" (refused below 0): there
    # transformers builds no model (OLMo hybrid's linear_dt_min, whose logarithm it takes; CTRL's n_positions).
    signs: dict = field(default_factory=dict)
    # [heads, width, the heads' default]: transformers builds no model unless the heads divide the width (BERT).
    divides: list = field(default_factory=list)
    # Fixed fields a config must give: left out, the class takes a default that builds no model, or one the forms
    # count otherwise (Cohere Compass's empty rope table).
    required: list = field(default_factory=list)
    # Fields a config may not set to null, fixed or not read by the forms: transformers then builds no model, or one
    # the forms count otherwise (a head_dim learned left out, which the class's rotary embedding cannot take as null).
    not_null: list = field(default_factory=list)
    # Per-layer lists a config may not give with fewer entries than layers, or more -> [the depth's field, ["fewer",
    # "more"] or one]: transformers then builds no model, or one the forms (which read a list of one kind at any
    # length, and a list no shape reads not at all) count otherwise.
    lengths: dict = field(default_factory=dict)
    # What a rope table the config states by layer kind must hold, where the family takes any table ("free"):
    # {"kinds": [...], "theta": [...], "empty": bool, "flat": bool} (see symparams.learn.rope_kinds).
    rope_kinds: dict = field(default_factory=dict)
    # [token id, size field, the class's default id]: an id at that size or past it builds no model (an embedding's
    # padding row past its rows).
    token_rows: list = field(default_factory=list)
    # Per-layer list -> the kinds of layer it must name at least once (its class builds no model otherwise).
    kinds_needed: dict = field(default_factory=dict)
    # Per-layer list of numbers -> the field the class makes each entry from when it is left out: a stated list must
    # hold that field's value (the forms read the field).
    mirrors: dict = field(default_factory=dict)
    # [kind, small, big, small's default, big's default(, unless)]: two whole-number fields the class builds no model
    # without ``small`` at most ``big`` ("at_most": RecurrentGemma's key/value heads) or dividing it ("divides"),
    # unless the config states the field ``unless`` names (Apertus's heads past its width, with a head_dim stated).
    relations: list = field(default_factory=list)
    # Other model classes of the type that build its causal LM's parameters (a masked LM's): a config naming one in
    # ``architectures`` is counted as the causal LM.
    same_parameters: list = field(default_factory=list)
    # A per-layer table of ``fixed`` the class makes alike from any fields -> {"attrs", "kinds", "tops"}: a stated
    # table is counted as left out where each layer's values are the ones the class makes (symparams.learn.made_tables).
    made_tables: dict = field(default_factory=dict)

    # -- data --
    def to_json(self) -> dict:
        body = {
            "format": FORMAT, "model_type": self.model_type, "transformers": self.transformers,
            "fields": self.fields, "aliases": self.aliases, "fixed": self.fixed,
            "parameters": self.top, "layers": self.kinds, "witnesses": self.witnesses,
        }
        if self.tallies:  # absent otherwise, so files learned before per-layer lists keep their checksums
            body.update(per_layer=self.per_layer, tallies=self.tallies)
        optional = {key: getattr(self, name) for key, name in _OPTIONAL.items() if key not in ("per_layer", "tallies")}
        body.update({key: value for key, value in optional.items() if value})  # absent when empty, as files were
        return {**body, "checksum": _checksum(body)}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n"

    # -- symbols and closed form --
    @property
    def names(self) -> list[str]:
        """What expressions may read: the config's whole-number fields, then the tallies of per-layer lists."""
        return [*self.fields, *self.tallies]

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        return {name: symbol_for(name) for name in self.names}

    def closed_form(self) -> sympy.Expr:
        """The parameter count in the fields' symbols."""
        syms = self.symbols
        total: sympy.Expr = sympy.Integer(0)
        for p in self.top:
            total += sympy.Mul(*(to_sympy(d, syms) for d in p["shape"]))
        for kind in self.kinds:
            per_layer = sympy.Add(*(to_sympy(p["copies"], syms) * sympy.Mul(*(to_sympy(d, syms) for d in p["shape"]))
                                    for p in kind["parameters"]))
            total += to_sympy(kind["count"], syms) * per_layer
        return sympy.expand(total)

    # -- reading a config --
    @cached_property
    def variants(self) -> dict[str, LearnedFamily]:
        """The families learned with one fixed field changed, by that field (checked as they are read)."""
        return {name: _family(body, f"the {self.model_type} family learned with {name} changed", variant_of=(self, name))
                for name, body in self.variant_data.items()}

    def _given(self, config: Mapping[str, Any], name: str) -> tuple[bool, Any]:
        for key in (name, *(a for a, t in self.aliases.items() if t == name)):
            if key in config:
                return True, config[key]
        return False, None

    def _changed(self, config: Mapping[str, Any], source: str) -> list[str]:
        """The fixed fields the config sets to another value than this family was learned with."""
        out = []
        for name, learned in self.fixed.items():
            if name in self.free or name in self.mirrors:  # (a mirrored list is checked against its field)
                continue
            present, value = self._given(config, name)
            value = as_loaded(value)
            if name in self.rope_types and rope_type(value) in self.rope_types[name]:
                continue
            if present and isinstance(learned, bool) and not isinstance(value, bool):
                raise SymparamsError(f"{source}: {name} must be true or false, not {json.dumps(value, default=str)[:40]}")
            if present and value is not None and value != learned and value not in self.alike.get(name, ()) \
                    and not _one_kind(value, learned):
                out.append(name)
        return out

    def _made_tables(self, config: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, Any]]:
        """(the config without the stated per-layer tables the class makes alike from any fields, given beside the
        per-layer lists that say each layer's kind; those tables): each is checked once the fields are read."""
        lists = config_lists(self.per_layer.get("features", []))
        made = {}
        for name in self.made_tables:
            present, table = self._given(config, name)
            if present and table is not None and all(isinstance(self._given(config, f)[1], list) for f in lists):
                made[name] = table
        if not made:
            return config, made
        dropped = {n for name in made for n in (name, *(a for a, t in self.aliases.items() if t == name))}
        return {k: v for k, v in config.items() if k not in dropped}, made

    def _check_made_table(self, config: Mapping[str, Any], values: Mapping[str, int], name: str, table: Any,
                          source: str) -> None:
        """Refuse a stated per-layer table unless every layer's values in it (its entry's, else the top level's)
        are the ones the class makes for this config: the forms count the layers the class makes."""
        rule = self.made_tables[name]
        features = self.per_layer["features"]
        n = values[self.per_layer["length"]]
        lists = {f: self._given(config, f)[1] for f in config_lists(features)}
        if not isinstance(table, dict):
            raise SymparamsError(f"{source}: {name} is {json.dumps(table, default=str)[:40]}, not an object of layer "
                                 "overrides")
        entries: dict[int, dict] = {}
        for key, entry in table.items():
            index = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 9 else -1
            if not 0 <= index < n or not isinstance(entry, dict):
                raise SymparamsError(f"{source}: {name}: {json.dumps(key)[:20]}: {json.dumps(entry, default=str)[:40]} "
                                     f"is not the overrides of one of the {n} layers")
            if index in entries:
                raise SymparamsError(f"{source}: {name}: layer {index} is given twice")
            odd = sorted(set(entry) - set(rule["attrs"]))
            if odd:
                raise SymparamsError(f"{source}: {name}: layer {index} overrides {odd[0]}, which the learned "
                                     f"{self.model_type} family never saw its class override")
            entries[index] = entry

        def top(attr: str) -> Any:
            if attr in values:
                return values[attr]
            present, value = self._given(config, attr)
            if present and value is not None:
                return as_loaded(value)
            return self.fixed.get(attr, rule["tops"][attr])

        tops = {a: top(a) for a in rule["attrs"]}
        if any(not isinstance(v, list) or len(v) != n for v in lists.values()):
            return  # (the per-layer lists' own checks refuse them)
        for i in range(n):
            expected = rule["kinds"].get(json.dumps(list(layer_key(features, lists, values, i, n))), tops)
            entry = entries.get(i, {})
            for attr in rule["attrs"]:
                stated = as_loaded(entry.get(attr, tops[attr]))
                if stated != expected[attr] or type(stated) is not type(expected[attr]):
                    raise SymparamsError(
                        f"{source}: {name}: layer {i} takes {attr} = {json.dumps(stated, default=str)[:20]} where "
                        f"transformers' {self.model_type} class makes {json.dumps(expected[attr], default=str)[:20]} "
                        "for this config; the learned family counts the layers its class makes: leave the table out, "
                        "or state the one the class makes")

    def _check_per_layer_tables(self, config: Mapping[str, Any], source: str) -> None:
        """Refuse a stated per-layer table (Dots 3's ``per_layer_config``) beside fields away from their defaults.

        The family was learned with the table left out, which its class then makes from defaults of its own (Dots 3's
        sliding layers: ``q_lora_rank`` 1024). A file states the table as transformers saves it, each layer's entry
        holding only what differs from the top level, so a key it leaves out takes the file's top-level value: with
        the fields at their defaults the two agree, with any changed the layers can differ from the learned forms."""
        for name, learned in self.fixed.items():
            present, value = self._given(config, name)
            if not isinstance(learned, dict) or name in self.free or name.startswith("rope_") or not present \
                    or value is None:  # a null table is null, not a table (``not_null`` says whether it builds)
                continue
            moved = sorted(f for f, modes in self.fields.items()
                           if self._given(config, f)[0] and as_loaded(self._given(config, f)[1]) != modes.get("missing"))
            if moved:
                raise SymparamsError(f"{source}: {name} is given beside {moved[0]} = "
                                     f"{json.dumps(as_loaded(self._given(config, moved[0])[1]), default=str)[:40]}; the "
                                     f"learned {self.model_type} family was read with {name} left out, which its class "
                                     "then makes from its own defaults, and a table that is given takes the top-level "
                                     f"values its entries leave out: leave {name} out, or learn again with these values")

    def for_config(self, config: Mapping[str, Any], source: str = "config") -> LearnedFamily:
        """This family, or the variant learned with the one fixed field the config changes (flips, or gives)."""
        changed = self._changed(config, source)
        if not changed:
            return self
        if len(changed) == 1 and changed[0] in self.variant_data:
            return self.variants[changed[0]].for_config(config, source)
        learned = ", ".join(f"{name} = {json.dumps(self.fixed[name])[:40]}" for name in changed)
        if len(changed) > 1 and all(name in self.variant_data for name in changed):
            raise SymparamsError(f"{source}: {', '.join(changed)}: the learned {self.model_type} family was read with "
                                 f"{learned}, and with each of these changed alone; this config changes them together, "
                                 "which it cannot count")
        name = next(n for n in changed if n not in self.variant_data) if len(changed) > 1 else changed[0]
        value = as_loaded(self._given(config, name)[1])
        raise SymparamsError(f"{source}: {name}: the learned {self.model_type} family was read with "
                             f"{json.dumps(self.fixed[name])[:40]}; this config sets {json.dumps(value, default=str)[:40]}, "
                             f"which it cannot count (learn again with that value)")

    def values(self, config: Mapping[str, Any], source: str = "config") -> dict[str, int]:
        """The family's field values for a config: given, else what transformers makes of it missing or null."""
        return self.read(config, source)[1]

    def read(self, config: Mapping[str, Any], source: str = "config") -> tuple[LearnedFamily, dict[str, int]]:
        """(the family or variant that counts the config, its field values): the fixed fields are read once."""
        for key, value in config.items():
            if isinstance(value, dict) and isinstance(value.get("model_type"), str):
                raise SymparamsError(f"{source}: {key}: the learned {self.model_type} family reads top-level fields; "
                                     f"this config nests a {str(value['model_type'])[:40]} config it cannot count")
        config = self._unlegacy(config, source)
        for name in sorted({*self.fields, *self.fixed}):
            keys = [k for k in (name, *(a for a, t in self.aliases.items() if t == name)) if k in config]
            if len({json.dumps(config[k], default=str, sort_keys=True) for k in keys}) > 1:
                shown = ", ".join(f"{k}={str(config[k])[:20]}" for k in keys)
                raise SymparamsError(f"{source}: field {name!r}: conflicting values for the same field ({shown})")
        for name in self.positive:
            present, value = self._given(config, name)
            if present and type(value) is int and value == 0:
                raise SymparamsError(f"{source}: {name} is 0; the learned {self.model_type} family counts it from 1 up "
                                     "(at 0 transformers builds no model, or one its learned forms do not count)")
        for name, rule in self.signs.items():
            present, value = self._given(config, name)
            if present and _below(value, rule):
                bound = "above 0" if rule == "positive" else "0 or above"
                raise SymparamsError(f"{source}: {name} is {short(value)}; transformers builds no {self.model_type} "
                                     f"model unless it is {bound}")
        for name in self.required:
            if not self._given(config, name)[0]:
                raise SymparamsError(f"{source}: {name} is left out; transformers' {self.model_type} class then takes "
                                     "its default, with which it builds no model or another count than the learned "
                                     "family's: give it")
        for name in self.not_null:
            present, value = self._given(config, name)
            if present and value is None:
                raise SymparamsError(f"{source}: {name} is null; transformers then builds no {self.model_type} model, "
                                     "or another count than the learned family's: give a value or leave it out")
        self._check_rope(config, source)
        config, stated = self._underived(config, source)
        config, made = self._made_tables(config)
        self._check_per_layer_tables(config, source)
        family = self.for_config(config, source)
        values = family._values(config, source)
        for name in self.positive:
            if values.get(name) == 0:  # given as 0 it was refused above: worked out from the other fields
                raise SymparamsError(f"{source}: {name} is not given, and transformers' {self.model_type} class works "
                                     "it out as 0 from the other fields; it builds no model then (give it)")
        for name, table in made.items():
            self._check_made_table(config, values, name, table, source)
        for heads, width, default in self.divides:
            present, given = self._given(config, heads)
            h = given if present else default
            if type(h) is int and h >= 0 and (h == 0 or values[width] % h):
                raise SymparamsError(f"{source}: {heads} ({h}) does not divide {width} ({values[width]}); "
                                     f"transformers builds no {self.model_type} model then")
        for name, (depth, refused) in self.lengths.items():
            present, listed = self._given(config, name)
            if present and isinstance(listed, list) and depth in values and (
                    ("fewer" in refused and len(listed) < values[depth])
                    or ("more" in refused and len(listed) > values[depth])):
                raise SymparamsError(f"{source}: {name} lists {len(listed)} entries for {values[depth]} layers "
                                     f"({depth}); transformers builds no {self.model_type} model then, or another "
                                     "count than the learned family's")
        for name, target in self.mirrors.items():
            present, listed = self._given(config, name)
            if present and isinstance(listed, list) and target in values and any(v != values[target] for v in listed):
                raise SymparamsError(f"{source}: {name} holds other values than {target} ({values[target]}); the "
                                     f"learned {self.model_type} family counts every layer with {target}, which "
                                     "transformers reads only where the list is left out")
        for name, kinds in self.kinds_needed.items():
            present, listed = self._given(config, name)
            missing = [k for k in kinds if isinstance(listed, list) and k not in listed]
            if present and missing:
                raise SymparamsError(f"{source}: {name} names no {missing[0]} layer; transformers' {self.model_type} "
                                     "class wants at least one, and builds no model")
        for token, size, default in self.token_rows:
            present, given = self._given(config, token)
            row = given if present else default
            if type(row) is int and size in values and row >= values[size]:
                raise SymparamsError(f"{source}: {token} {row} is not below {size} ({values[size]}); transformers' "
                                     f"{self.model_type} model takes it as a row of a table that size, and builds "
                                     "no model")
        for kind, small, big, *defaults in self.relations:
            if len(defaults) == 3 and self._given(config, defaults.pop())[1] is not None:
                continue
            a, b = (n if type(n) is int else values[n] if n in values else given if present else default
                    for n, (present, given), default in zip((small, big), (self._given(config, str(small)),
                                                                           self._given(config, big)), defaults))
            if type(a) is int and type(b) is int and (a > b if kind == "at_most" else a == 0 or b % a):
                raise SymparamsError(f"{source}: {relation_text([kind, small, big], a, b)}; transformers builds no "
                                     f"{self.model_type} model then")
        length = str(self.per_layer.get("length"))
        for name, entries in stated.items():
            if entries != values.get(length):
                raise SymparamsError(f"{source}: {name} lists {entries} layers for {values.get(length)} ({length}); "
                                     "transformers refuses a list that is not one entry per layer")
        return family, values

    def _check_rope(self, config: Mapping[str, Any], source: str) -> None:
        """Refuse a stated rope table the class builds no model from (``rope_kinds``)."""
        rules, stated = self.rope_kinds, config.get("rope_parameters")
        if not rules or not isinstance(stated, dict):
            return
        where = f"{source}: rope_parameters"
        held = ", ".join(sorted({*rules["kinds"], *rules["theta"]})) or "each kind"
        if not stated and not rules["empty"]:
            raise SymparamsError(f"{where} is empty; transformers' {self.model_type} class keeps one table per kind of "
                                 f"layer ({held}) and builds no model without them")
        if stated and not any(isinstance(v, dict) for v in stated.values()) and not rules["flat"]:
            raise SymparamsError(f"{where} holds one table, not one per kind of layer ({held}); transformers builds "
                                 f"no {self.model_type} model from it")
        if any(isinstance(v, dict) for v in stated.values()):
            for kind in rules["kinds"]:
                if not isinstance(stated.get(kind), dict):
                    raise SymparamsError(f"{where} has no table for its {kind} layers; transformers' "
                                         f"{self.model_type} class fills none in, and builds no model")
            for kind in rules["theta"]:
                if isinstance(stated.get(kind), dict) and "rope_theta" not in stated[kind]:
                    raise SymparamsError(f"{where}: {kind} gives no rope_theta; transformers' {self.model_type} "
                                         "class fills none in, and builds no model")
            for kind in rules.get("shares", ()):
                share = stated[kind].get("partial_rotary_factor", 1) if isinstance(stated.get(kind), dict) else 1
                if not _a_share(share):
                    raise SymparamsError(f"{where}: {kind}: partial_rotary_factor is {json.dumps(share, default=str)[:40]}"
                                         f"; transformers' {self.model_type} rotary embedding computes with it, and "
                                         "builds no model")

    def _unlegacy(self, config: Mapping[str, Any], source: str) -> Mapping[str, Any]:
        """The config with each legacy keyword it gives read as the field it stands for (the keyword wins, as the
        class's code sets the field from it); a keyword the family does not follow is refused."""
        for name, default in self.unread.items():
            if name in config and default and config[name] == default[0] and type(config[name]) is type(default[0]):
                config = {k: v for k, v in config.items() if k != name}  # the value the class takes without it
            elif name in config:
                raise SymparamsError(f"{source}: {name}: {self.model_type}'s config class reads it to shape the model, "
                                     "which the learned family does not follow; leave it out")
        for name, target in self.legacy.items():
            if name not in config:
                continue
            value = config[name]
            if value is None:
                raise SymparamsError(f"{source}: {name} is null; {self.model_type}'s config class then sets {target} "
                                     "to null, which transformers refuses")
            config = {k: v for k, v in config.items() if k not in (name, target) and self.aliases.get(k) != target}
            config[target] = value
        return config

    def _underived(self, config: Mapping[str, Any], source: str) -> tuple[Mapping[str, Any], dict[str, int]]:
        """The config with each derived list it gives read as the indices it names (see ``derived``), and how many
        entries each held."""
        stated: dict[str, int] = {}
        for name, rule in self.derived.items():
            present, value = self._given(config, name)
            if not present:
                continue
            config = {k: v for k, v in config.items() if k != name and self.aliases.get(k) != name}
            if value is None:
                continue
            kinds = (rule["in"], rule["out"])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SymparamsError(f"{source}: {name} must list one kind of layer per layer, not {str(value)[:40]}")
            odd = [v for v in value if LEGACY_NAMES.get(v, v) not in kinds][:1]
            if odd:
                raise SymparamsError(f"{source}: {name} holds {json.dumps(odd[0])[:40]}, a kind of layer the learned "
                                     f"{self.model_type} family never saw ({', '.join(kinds)})")
            config[rule["from"]] = [i for i, v in enumerate(value) if LEGACY_NAMES.get(v, v) == rule["in"]]
            stated[name] = len(value)
        return config, stated

    def _values(self, config: Mapping[str, Any], source: str) -> dict[str, int]:
        given = partial(self._given, config)
        out: dict[str, int] = {}
        pending: dict[str, Node] = {}
        for name, info in self.fields.items():
            present, value = given(name)
            mode = "missing" if not present else "null" if value is None else None
            if mode is None:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise SymparamsError(f"{source}: {name} must be a whole number >= 0, not {str(value)[:40]}")
                out[name] = value
            elif mode not in info:
                raise SymparamsError(f"{source}: {name}: the learned {self.model_type} family has no value for "
                                     f"{name} {'left out' if mode == 'missing' else 'set to null'}; give it")
            else:
                pending[name] = info[mode]
        while pending:
            ready = {n: f for n, f in pending.items() if fields_in(f) <= set(out)}
            if not ready:
                raise SymparamsError(f"{source}: the defaults of {', '.join(pending)} depend on each other")
            for name, form in ready.items():
                value = evaluate(form, out)
                if value.denominator != 1 or value < 0:
                    raise SymparamsError(f"{source}: {name} is derived from other fields as {value}, not a whole number")
                out[name] = int(value)
                del pending[name]
        if self.tallies:
            out.update(self._tally(config, out, given, source))
        return out

    def _tally(self, config: Mapping[str, Any], env: Mapping[str, int], given: Any, source: str) -> dict[str, int]:
        """How many layers each tally's features pick out, or its form of the fields where the config leaves the lists out."""
        features = self.per_layer["features"]
        lists = config_lists(features)
        got = {name: given(name) for name in lists}
        absent = [name for name, (present, value) in got.items() if not present or value is None]
        if lists and len(absent) == len(lists):
            out = {}
            for name, info in self.tallies.items():
                if "missing" not in info:
                    raise SymparamsError(f"{source}: {lists[0]}: the learned {self.model_type} family counts layers "
                                         f"by {', '.join(lists)}, and this config leaves them out; give them")
                value = evaluate(info["missing"], env)
                if value.denominator != 1 or value < 0:
                    raise SymparamsError(f"{source}: the layers counted by {', '.join(lists)} come out {value}")
                out[name] = int(value)
            return out
        if absent:
            raise SymparamsError(f"{source}: {absent[0]}: the learned {self.model_type} family counts layers by "
                                 f"{', '.join(lists)} together; this config gives {', '.join(sorted(set(lists) - set(absent)))} "
                                 f"but not {', '.join(absent)}")
        length = env[self.per_layer["length"]]
        for feature in features:
            if feature[0] == "list":
                value, known = got[feature[1]][1], feature[2]
                if not isinstance(value, list) or len(value) != length:
                    shown = f"{len(value)} entries" if isinstance(value, list) else str(value)[:40]
                    raise SymparamsError(f"{source}: {feature[1]} must list one entry per layer ({length}), not {shown}")
                odd = [v for v in value if isinstance(v, bool) or v not in known][:1]
                if odd:
                    raise SymparamsError(f"{source}: {feature[1]} holds {json.dumps(odd[0], default=str)[:40]}, a kind "
                                         f"of layer the learned {self.model_type} family never saw "
                                         f"({', '.join(map(str, known))})")
            elif feature[0] == "in":
                value = got[feature[1]][1]
                if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
                    raise SymparamsError(f"{source}: {feature[1]} must list layer indices, not {str(value)[:40]}")
            elif feature[0] == "every" and env[feature[1]] <= 0:
                raise SymparamsError(f"{source}: {feature[1]} must be at least 1, not {env[feature[1]]}")
        given_lists = {name: value for name, (_, value) in got.items()}
        which = {tuple(key): name for name, info in self.tallies.items() for key in info["match"]}
        out = {name: 0 for name in self.tallies}
        for i in range(length):
            key = layer_key(features, given_lists, env, i, length)
            if key not in which:
                raise SymparamsError(f"{source}: layer {i} is {', '.join(map(str, key))} in "
                                     f"{', '.join(feature_label(f) for f in features)}: the learned {self.model_type} "
                                     "family never saw that layer built")
            out[which[key]] += 1
        return out

    def rows(self, config: Mapping[str, Any], source: str = "config") -> list[tuple[str, int]]:
        """(parameter template, count) for every parameter of the config's model, layers summed over their kind."""
        family, env = self.read(config, source)

        def whole(node: Node, what: str) -> int:
            value = evaluate(node, env)
            if value.denominator != 1 or value < 0:
                raise SymparamsError(f"{source}: {what} comes out {value}, not a whole number: "
                                     "transformers cannot build this config")
            return int(value)

        out: list[tuple[str, int]] = []
        for p in family.top:
            n = 1
            for i, d in enumerate(p["shape"]):
                n *= whole(d, f"dimension {i} of {p['name']}")
            out.append((p["name"], n))
        for kind in family.kinds:
            layers = whole(kind["count"], f"the number of {kind['stack']} layers of a kind")
            for p in kind["parameters"]:
                n = layers * whole(p["copies"], f"the copies of {p['name']}")
                if n:
                    for i, d in enumerate(p["shape"]):
                        n *= whole(d, f"dimension {i} of {p['name']}")
                out.append((f"{kind['stack']}.{{i}}.{p['name']}", n))
        return out

    def count(self, config: Mapping[str, Any], source: str = "config") -> int:
        """The exact parameter count of the model a config describes."""
        return sum(n for _, n in self.rows(config, source))


def _one_kind(value: Any, learned: Any) -> bool:
    """Whether a per-layer list holds the one kind the family was learned with in every entry, at any depth."""
    return (isinstance(learned, list) and bool(learned) and len({json.dumps(v) for v in learned}) == 1
            and isinstance(value, list) and bool(value) and all(v == learned[0] for v in value))


def _a_share(value: Any) -> bool:
    """Whether a rotary embedding can compute ``int(head_dim * share)`` with ``value``: a finite number (true and
    false included, as Python multiplies by them)."""
    value = as_loaded(value)
    return isinstance(value, (int, float)) and math.isfinite(value)


def fields_in(node: Node) -> set[str]:
    """The config fields an expression reads."""
    if isinstance(node, int):
        return set()
    if node[0] == "field":
        return {node[1]}
    if node[0] == "rat":
        return set()
    return set().union(*(fields_in(a) for a in node[1:]))


def _checksum(body: Mapping[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def loads(text: str, source: str = "learned family") -> LearnedFamily:
    """Read a learned family, refusing one whose checksum, grammar or witnesses do not hold."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise SymparamsError(f"{source}: not JSON ({err})") from None
    return _family(data, source)


def relation_text(rule: list, a: int | None = None, b: int | None = None) -> str:
    """A broken relation (``LearnedFamily.relations``) in words, with the values that break it where given."""
    kind, small, big = rule[:3]

    def named(name: Any, value: int | None) -> str:
        return f"{name}" if value is None else f"{name} ({value})"

    if kind == "at_most":
        return f"{named(small, a)} exceeds {named(big, b)}"
    return f"{named(big, b)} is odd" if small == 2 else f"{named(small, a)} does not divide {named(big, b)}"


SIGNS = ("positive", "non_negative")


def rope_type(table: Any) -> str | None:
    """The rope type of a flat RoPE table (its ``rope_type``, or the legacy ``type``; "default" where it names
    none), or None for anything else: a table by layer kind (or with a null entry), or a value that is no table."""
    if not isinstance(table, dict) or any(isinstance(v, dict) or v is None for v in table.values()):
        return None
    found = table.get("rope_type", table.get("type", "default"))
    return found if isinstance(found, str) else None


def _below(value: Any, rule: str) -> bool:
    """Whether a JSON number, as transformers holds it (1e-400 is 0.0 there), breaks a sign rule of :data:`SIGNS`.
    NaN and values of other types (checked by the field's type) break neither."""
    held = as_loaded(value)
    if isinstance(held, bool) or not isinstance(held, (int, float)):
        return False
    return held <= 0 if rule == "positive" else held < 0


# The keys a file may leave out -> the LearnedFamily field each is read into (a list or an object, its default empty).
_OPTIONAL: dict[str, str] = {
    "per_layer": "per_layer", "tallies": "tallies", "variants": "variant_data", "same_shapes": "alike", "free": "free",
    "derived": "derived", "legacy": "legacy", "unread": "unread", "positive": "positive", "signs": "signs",
    "divides": "divides", "required": "required", "not_null": "not_null", "lengths": "lengths", "rope_kinds": "rope_kinds",
    "token_rows": "token_rows", "kinds_needed": "kinds_needed", "mirrors": "mirrors",
    "same_parameters": "same_parameters", "relations": "relations", "rope_types": "rope_types",
    "made_tables": "made_tables",
}


def _family(data: Any, source: str, variant_of: tuple[LearnedFamily, str] | None = None) -> LearnedFamily:
    """A learned family from its JSON data, checked: its checksum, grammar, witnesses, and what a variant flips."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SymparamsError(f"{source}: not a learned family (format {FORMAT!r} expected)")
    body = {k: v for k, v in data.items() if k != "checksum"}
    if data.get("checksum") != _checksum(body):
        raise SymparamsError(f"{source}: checksum does not match: the file was changed after it was learned")
    empty: dict[str, Any] = {f.name: f.default_factory() for f in dataclasses.fields(LearnedFamily)  # type: ignore[misc,operator]
                             if f.name in _OPTIONAL.values()}
    for key, name in _OPTIONAL.items():
        if key in data and not isinstance(data[key], type(empty[name])):
            raise SymparamsError(f"{source}: {key} is not a {'list' if isinstance(empty[name], list) else 'JSON object'}")
    try:
        family = LearnedFamily(
            model_type=str(data["model_type"]), transformers=str(data["transformers"]), fields=dict(data["fields"]),
            aliases=dict(data["aliases"]), fixed=dict(data["fixed"]), top=list(data["parameters"]),
            kinds=list(data["layers"]), witnesses=list(data["witnesses"]),
            **{name: type(empty[name])(data.get(key, empty[name])) for key, name in _OPTIONAL.items()},
        )
        if not all(isinstance(name, str) and name in family.fixed for name in family.required):
            raise SymparamsError(f"{source}: required holds something other than the family's fixed fields")
        if not all(isinstance(name, str) and name not in family.fields for name in family.not_null):
            raise SymparamsError(f"{source}: not_null holds something other than fields the forms do not read")
        if not all(isinstance(name, str) and isinstance(rule, list) and len(rule) == 2 and rule[0] in family.fields
                   and isinstance(rule[1], list) and rule[1] and set(rule[1]) <= {"fewer", "more"}
                   for name, rule in family.lengths.items()):
            raise SymparamsError(f"{source}: lengths holds something other than lists, each with a depth field and "
                                 "the lengths refused")
        if not all(isinstance(rule, list) and len(rule) == 3 and isinstance(rule[0], str) and rule[1] in family.fields
                   and (rule[2] is None or type(rule[2]) is int) for rule in family.token_rows):
            raise SymparamsError(f"{source}: token_rows holds something other than [token id, a size field, a default]")
        lists = config_lists(family.per_layer.get("features", []))
        if not all(name in lists and isinstance(kinds, list) and all(isinstance(k, str) for k in kinds)
                   for name, kinds in family.kinds_needed.items()):
            raise SymparamsError(f"{source}: kinds_needed holds something other than per-layer lists the family reads "
                                 "and kinds of layer")
        if not all(name in family.fixed and target in family.fields for name, target in family.mirrors.items()):
            raise SymparamsError(f"{source}: mirrors holds something other than fixed lists and fields the forms read")
        if not all(isinstance(name, str) and name.isidentifier() and not name.endswith(CAUSAL_LM)
                   for name in family.same_parameters):
            raise SymparamsError(f"{source}: same_parameters holds something other than the names of model classes")
        if not all(isinstance(rule, list) and len(rule) in (5, 6) and rule[0] in ("at_most", "divides")
                   and (isinstance(rule[1], str) or rule[1:2] == [2] and rule[0] == "divides") and isinstance(rule[2], str)
                   and all(d is None or type(d) is int for d in rule[3:5]) and all(isinstance(u, str) for u in rule[5:])
                   for rule in family.relations):
            raise SymparamsError(f"{source}: relations holds something other than [at_most or divides, two fields, "
                                 "their defaults, and perhaps the field that voids it]")
        rope = family.rope_kinds
        if rope and not ("rope_parameters" in family.free and set(rope) - {"shares"} == {"kinds", "theta", "empty", "flat"}
                         and all(isinstance(rope[k], list) and all(isinstance(n, str) for n in rope[k])
                                 for k in ("kinds", "theta", "shares") if k in rope)
                         and all(isinstance(rope[k], bool) for k in ("empty", "flat"))):
            raise SymparamsError(f"{source}: rope_kinds holds something other than the kinds a free rope table "
                                 "must hold")
        if not all(isinstance(name, str) for name in family.positive):
            raise SymparamsError(f"{source}: positive holds something other than field names")
        if not all(isinstance(name, str) and rule in SIGNS for name, rule in family.signs.items()):
            raise SymparamsError(f"{source}: signs holds something other than field names, each {' or '.join(SIGNS)}")
        if not all(isinstance(rule, list) and len(rule) == 3 and isinstance(rule[0], str) and rule[1] in family.fields
                   and type(rule[2]) is int for rule in family.divides):
            raise SymparamsError(f"{source}: divides holds something other than [heads, a width field, a default]")
        for name, target in family.legacy.items():
            if not isinstance(name, str) or (target not in family.fields and target not in family.fixed):
                raise SymparamsError(f"{source}: legacy holds {str(name)[:40]}, not a keyword for a field of the family")
        if not all(isinstance(d, list) and len(d) <= 1 for d in family.unread.values()):
            raise SymparamsError(f"{source}: unread holds something other than keywords and their defaults")
        sources = [f[1] for f in family.per_layer.get("features", []) if isinstance(f, list) and f[:1] == ["in"]]
        for name, rule in family.derived.items():
            if (not isinstance(family.fixed.get(name), list) or not isinstance(rule, dict) or rule.get("from") not in sources
                    or not all(isinstance(rule.get(k), str) for k in ("in", "out"))):
                raise SymparamsError(f"{source}: derived holds {str(name)[:40]}, not a fixed list made from a list of "
                                     "layer indices the family reads")
        for name in family.free:
            if name not in family.fixed or not isinstance(family.fixed[name], dict):
                raise SymparamsError(f"{source}: free holds {str(name)[:40]}, not a fixed table")
        for name, types in family.rope_types.items():
            if name not in family.fixed or rope_type(family.fixed[name]) is None or name in family.free \
                    or not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
                raise SymparamsError(f"{source}: rope_types holds {str(name)[:40]}, not a fixed flat rope table and "
                                     "the rope types it builds alike with")
        for name, rule in family.made_tables.items():
            if not (isinstance(family.fixed.get(name), dict) and isinstance(rule, dict)
                    and set(rule) == {"attrs", "kinds", "tops"} and isinstance(rule["attrs"], list) and rule["attrs"]
                    and all(isinstance(a, str) for a in rule["attrs"])
                    and isinstance(rule["tops"], dict) and set(rule["tops"]) == set(rule["attrs"])
                    and isinstance(rule["kinds"], dict) and rule["kinds"]
                    and all(isinstance(v, dict) and set(v) == set(rule["attrs"]) for v in rule["kinds"].values())):
                raise SymparamsError(f"{source}: made_tables holds {str(name)[:40]}, not a fixed per-layer table and "
                                     "the values each kind of layer takes in it")
        for name, values in family.alike.items():
            if name not in family.fixed or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise SymparamsError(f"{source}: same_shapes holds {str(name)[:40]}, not a fixed field with text values")
        _check_variants(family, source, variant_of)
        names = list(family.fields)
        _check_tallies(family, source)
        for info in family.fields.values():
            if not isinstance(info, dict) or set(info) - {"missing", "null"}:
                raise SymparamsError(f"{source}: a field holds {str(info)[:60]}, not its missing and null forms")
            for form in info.values():
                check_node(form, names)
        for p in [*family.top, *(q for kind in family.kinds for q in kind["parameters"])]:
            if p.get("module", "other") not in MODULE_KINDS:
                raise SymparamsError(f"{source}: {str(p['name'])[:60]} is held by a module of unknown kind "
                                     f"{str(p.get('module'))[:40]!r}")
            if not isinstance(p["name"], str) or not isinstance(p["shape"], list):
                raise SymparamsError(f"{source}: a parameter's name or shape is broken")
        for p in family.top:
            for d in p["shape"]:
                check_node(d, names)
        for kind in family.kinds:
            check_node(kind["count"], family.names)
            for p in kind["parameters"]:
                check_node(p["copies"], names)
                for d in p["shape"]:
                    check_node(d, names)
        for w in family.witnesses:
            if family.count(w["fields"], source) != w["total"]:
                raise SymparamsError(f"{source}: a witness config no longer gives the total transformers built")
    except (KeyError, TypeError, AttributeError) as err:
        raise SymparamsError(f"{source}: a learned family's structure is broken ({type(err).__name__}: {err})") from None
    return family


def _check_variants(family: LearnedFamily, source: str, variant_of: tuple[LearnedFamily, str] | None) -> None:
    """A family's variants each flip one of its true-or-false fields or give one of its null ones; a variant is of the
    same model, and has none."""
    if variant_of is not None:
        base, name = variant_of
        was = base.fixed.get(name)
        changed = family.fixed.get(name) is (not was) if isinstance(was, bool) else (
            name in base.fixed and was is None and name in family.fields and name not in family.fixed)
        if family.variant_data or family.model_type != base.model_type or not changed:
            raise SymparamsError(f"{source}: not the {base.model_type} family with {str(name)[:40]} changed")
        return
    for name in family.variant_data:
        if name not in family.fixed or not (isinstance(family.fixed[name], bool) or family.fixed[name] is None):
            raise SymparamsError(f"{source}: a variant changes {str(name)[:40]}, not a true-or-false or null field of "
                                 "the family")


FEATURES = {"list": 3, "in": 2, "every": 3, "below": 2, "first": 1, "last": 1}


def config_lists(features: list) -> list[str]:
    """The config fields a layer's features read: per-layer lists and lists of layer indices."""
    return [f[1] for f in features if f[0] in ("list", "in")]


def layer_key(features: list, lists: Mapping[str, Any], env: Mapping[str, Any], i: int, n: int) -> tuple:
    """What decides the kind of layer ``i`` of ``n``: its entry of each list, or whether an index rule holds for it.

    ``["list", F, entries]``: ``F[i]``; ``["in", F]``: ``i in F``; ``["every", F, k]``:
    ``(i + k) % F == 0`` (Qwen-MoE's ``decoder_sparse_step``); ``["below", F]``: ``i < F`` (the
    first F layers dense); ``["first"]``, ``["last"]``.
    """
    out: list[Any] = []
    for f in features:
        if f[0] == "list":
            out.append(lists[f[1]][i])
        elif f[0] == "in":
            out.append(i in lists[f[1]])
        elif f[0] == "every":
            out.append((i + f[2]) % env[f[1]] == 0)
        elif f[0] == "below":
            out.append(i < env[f[1]])
        else:
            out.append(i == 0 if f[0] == "first" else i == n - 1)
    return tuple(out)


def feature_label(f: list) -> str:
    return {"list": lambda: f[1], "in": lambda: f"index in {f[1]}", "every": lambda: f"(index + {f[2]}) % {f[1]} == 0",
            "below": lambda: f"index below {f[1]}", "first": lambda: "first layer", "last": lambda: "last layer"}[f[0]]()


def _check_tallies(family: LearnedFamily, source: str) -> None:
    """Layer features and their tallies: declared config lists, entries seen, each kind of layer in one tally."""
    if not family.tallies:
        if family.per_layer:
            raise SymparamsError(f"{source}: per-layer features without tallies")
        return
    features = family.per_layer["features"]
    if family.per_layer["length"] not in family.fields or not isinstance(features, list) or not features:
        raise SymparamsError(f"{source}: the per-layer features are broken")
    for f in features:
        if not isinstance(f, list) or not f or f[0] not in FEATURES or len(f) != FEATURES[f[0]] or (
                f[0] == "every" and (f[1] not in family.fields or f[2] not in (0, 1))) or (
                f[0] == "below" and f[1] not in family.fields) or (
                f[0] == "list" and not (isinstance(f[2], list) and all(isinstance(v, str) for v in f[2]))):
            raise SymparamsError(f"{source}: a per-layer feature is broken: {str(f)[:60]}")
    lists = config_lists(features)
    clash = (set(family.tallies) | set(lists)) & (set(family.fields) | set(family.fixed))
    if clash or set(family.tallies) & set(lists):
        raise SymparamsError(f"{source}: {sorted(clash)[0] if clash else 'a tally'} is both a tally or list and a field")
    seen: set[tuple] = set()
    for name, info in family.tallies.items():
        if not isinstance(info, dict) or set(info) - {"match", "missing"} or not info.get("match"):
            raise SymparamsError(f"{source}: the tally {str(name)[:40]} is broken")
        for key in info["match"]:
            ok = isinstance(key, list) and len(key) == len(features) and tuple(key) not in seen and all(
                v in f[2] if f[0] == "list" else isinstance(v, bool) for v, f in zip(key, features))
            if not ok:
                raise SymparamsError(f"{source}: the tally {str(name)[:40]} matches {str(key)[:60]}, not one value "
                                     "of each feature, or one another tally matches too")
            seen.add(tuple(key))
        if "missing" in info:
            check_node(info["missing"], list(family.fields))


def load(path: str) -> LearnedFamily:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(4 * 1024 * 1024)
    except OSError as err:
        raise SymparamsError(f"{path}: cannot read: {err.strerror or err}") from None
    return loads(text, path)
