"""Gemma 4 text (model_type ``gemma4_text``): Gemma 3's block, with per-layer embeddings, wider full-attention
heads, layers that reuse another layer's keys and values, and an optional expert block beside each MLP.

transformers 5.x ``Gemma4ForCausalLM``. Every layer is Gemma 3's sandwich of four RMSNorms of D
around attention (q/k/o projections with RMSNorm over each query and key head; the value norm has
no weight) and a GeGLU MLP of F, then, where ``hidden_size_per_layer_input`` = D_p is not 0, a
per-layer input path: ``per_layer_input_gate`` D -> D_p, ``per_layer_projection`` D_p -> D and a
norm of D. The model holds the per-layer embeddings themselves, one table of V_p rows and L*D_p
columns (``embed_tokens_per_layer``), a projection D -> L*D_p and a norm of D_p, beside the token
table. A ``layer_scalar`` per layer is a buffer, not a parameter.

Layers are sliding-window (``sliding_window`` W) or full attention as ``layer_types`` lists them
(five to one by default; transformers makes the last layer full whatever the list says). The
full-attention layers take their own head size and key/value heads from ``per_layer_config``
(written by transformers when it saves a config; without one, from ``global_head_dim``, 512 by
default, and, only where ``attention_k_eq_v``, ``num_global_key_value_heads``): d_g and H_g in the
closed form. ``attention_k_eq_v`` also drops the full-attention layers' value projection, the
keys standing in for the values.

The last ``num_kv_shared_layers`` layers make no keys or values (no k/v projection, no key norm,
no cache): each attends to those the last earlier layer of its kind made, so every kind among
them must have such a layer (transformers refuses the config otherwise). Of those layers, L_rs
are sliding and L_rf full. ``use_double_wide_mlp`` doubles their MLP's hidden size.

``enable_moe_block`` adds a mixture of E experts of hidden size F_e beside the dense MLP, k per
token (``num_experts``, ``top_k_experts``, ``moe_intermediate_size``): a router D -> E with a
learned scale of D and one of E, fused experts (E x 2F_e x D and E x D x F_e) and three more
norms of D.

What is not modelled is refused: ``per_layer_config`` beyond a head size and key/value heads
that differ for the full-attention layers alike, layer kinds other than the two, a
bidirectional encoder (``use_bidirectional_attention: "all"``). The saved tensors of shared or
key-as-value attention are not measured, so training activations are refused; the weights,
FLOPs and KV cache are read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT, Config, Field, Fields, short
from ._gemma_family import GEMMA_GROUPS
from ._layered_config import check_padding, read_activation
from .layer_kinds import FULL, SLIDING
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

GROUPS = {
    **GEMMA_GROUPS, "embed_tokens_per_layer": "embedding", "per_layer_model_projection": "other",
    "per_layer_projection_norm": "norm", "per_layer_input_gate": "other", "per_layer_projection": "other",
    "post_per_layer_input_norm": "norm", "router": "mlp", "experts": "mlp", "post_feedforward_layernorm_1": "norm",
    "post_feedforward_layernorm_2": "norm", "pre_feedforward_layernorm_2": "norm",
}

# transformers 5.x Gemma4TextConfig; global_head_dim, num_global_key_value_heads and per_layer_config are
# keywords its __post_init__ reads, not declared fields.
FIELDS = Fields(
    Field("vocab_size", 262_144),
    Field("hidden_size", 2304),
    Field("intermediate_size", 9216),
    Field("num_hidden_layers", 30),
    Field("num_attention_heads", 8),
    Field("num_key_value_heads", 4),
    Field("head_dim", 256),
    Field("hidden_activation", "gelu_pytorch_tanh", kind="str"),
    Field("max_position_embeddings", 131_072),
    Field("tie_word_embeddings", True, kind="bool"),
    Field("attention_bias", False, kind="bool"),
    Field("sliding_window", 512),
    Field("vocab_size_per_layer_input", 262_144),
    Field("hidden_size_per_layer_input", 256, minimum=0),
    Field("attention_k_eq_v", False, kind="bool"),
    Field("num_kv_shared_layers", 0, minimum=0),
    Field("enable_moe_block", False, kind="bool"),
    Field("use_double_wide_mlp", False, kind="bool"),
    Field("num_experts", None, null=DEFAULT, minimum=0),
    Field("top_k_experts", None, null=DEFAULT, minimum=0),
    Field("moe_intermediate_size", None, null=DEFAULT, minimum=0),
    Field("global_head_dim", 512, sized=True),
    Field("num_global_key_value_heads", None, null=DEFAULT, sized=True),
    groups=GROUPS,
)
PATTERN = 6  # the class's default: every sixth layer full
KINDS = (SLIDING, FULL)
LEGACY = {"attention": FULL}  # transformers' older name, renamed as the config is made
OVERRIDES = ("head_dim", "num_key_value_heads")
_INDEX = re.compile(r"\s*[+-]?[0-9]+\s*")
NO_PRODUCER = ("every layer reuses keys and values that no layer makes (num_kv_shared_layers is the depth): "
               "transformers builds this model, but it cannot run")


def _layer_types(cfg: Config, layers: int) -> list[str]:
    """Each layer's kind, as transformers' ``__post_init__`` leaves them: the file's list or five sliding
    layers to one full, and the last layer full either way. The older name ``"attention"`` is kept: the class
    renames it to full attention only after it has given the full-attention layers their overrides."""
    stated = cfg.data.get("layer_types")
    if stated is None:
        kinds = [SLIDING if (i + 1) % PATTERN else FULL for i in range(layers)]
    else:
        if not isinstance(stated, list) or len(stated) != layers:
            raise cfg.error("layer_types", f"is {short(stated)}, not a list of {layers} layer kinds (one per layer); "
                                           "transformers refuses it")
        odd = next((k for k in stated if k not in KINDS and k not in LEGACY), None)
        if odd is not None:
            raise cfg.error("layer_types", f"holds {short(odd)}; gemma4_text layers are modelled as "
                                           f"{SLIDING!r} or {FULL!r} only")
        kinds = list(stated)
    if kinds:
        kinds[-1] = FULL
    return kinds


def _shared(cfg: Config, kinds: list[str]) -> tuple[list[bool], tuple[str, ...]]:
    """Which layers reuse another's keys and values (transformers' ``kv_sharing_modes``), and a note."""
    layers = len(kinds)
    shared = cfg.get("num_kv_shared_layers")
    if shared > layers:
        raise cfg.error("num_kv_shared_layers", f"{shared} is more than the {layers} layers")
    if shared == layers:
        return [True] * layers, (NO_PRODUCER,)
    first = layers - shared
    if set(kinds[:first]) != set(kinds):
        missing = sorted(set(kinds) - set(kinds[:first]))
        raise cfg.error("num_kv_shared_layers", f"{shared} leaves no earlier {' or '.join(missing)} layer to make the "
                                                "keys and values its shared layers reuse; transformers refuses it")
    return [i >= first for i in range(layers)], ()


def _overrides(cfg: Config, kinds: list[str], globals_: dict[str, int], stated: list[str]) -> dict[str, dict[str, int]]:
    """The per-layer overrides by layer kind (empty where none), as transformers reads ``per_layer_config``.

    Without one, its ``__post_init__`` gives every full-attention layer ``global_head_dim`` and, where
    ``attention_k_eq_v``, ``num_global_key_value_heads``. Overrides equal to the global value are dropped,
    as transformers drops them; the layers of one kind must then agree, as its rotary embedding requires.
    """
    layers = len(kinds)
    by_layer: dict[int, dict[str, Any]] = {}
    cfg.read.add("per_layer_config")
    if "per_layer_config" not in cfg.data:
        override: dict[str, Any] = {"head_dim": cfg.get("global_head_dim")}
        kv = cfg.get("num_global_key_value_heads")
        if cfg.get("attention_k_eq_v") and kv is not None:
            override["num_key_value_heads"] = kv
        by_layer = {i: dict(override) for i, kind in enumerate(stated) if kind == FULL}
    else:
        for name in ("global_head_dim", "num_global_key_value_heads"):  # popped and left unused, null or not
            cfg.read.add(name)
            if cfg.data.get(name) is not None:
                cfg.get(name)
        table = cfg.data["per_layer_config"]
        if table is not None and not isinstance(table, dict):
            raise cfg.error("per_layer_config", f"is {short(table)}, not an object of layer overrides")
        for key, value in (table or {}).items():
            if not _INDEX.fullmatch(key):
                raise cfg.error("per_layer_config", f"key {short(key)} is not a layer index")
            index = int(key) if len(key.strip().lstrip("+-")) <= 18 else layers  # (past any layer, and int()'s digits)
            if not 0 <= index < layers:
                raise cfg.error("per_layer_config", f"key {short(key)} is not a layer index in [0, {layers})")
            if index in by_layer:
                raise cfg.error("per_layer_config", f"layer {index} is given twice")
            if not isinstance(value, dict) or any(name not in OVERRIDES for name in value):
                raise cfg.error("per_layer_config", f"layer {index}: {short(value)}; gemma4_text layers are modelled "
                                                    "with only head_dim and num_key_value_heads overridden")
            for name, size in value.items():
                if type(size) is not int or size < 1:
                    raise cfg.error("per_layer_config", f"layer {index}: {name} is {short(size)}, not a whole number "
                                                        "of at least 1")
            by_layer[index] = dict(value)
    found: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        seen = [{n: v for n, v in by_layer.get(i, {}).items() if v != globals_[n]}
                for i, k in enumerate(kinds) if k == kind]
        if any(s != seen[0] for s in seen):
            raise cfg.error("per_layer_config", f"the {kind} layers differ from one another; gemma4_text is modelled "
                                                "with the layers of one kind alike (as its rotary embedding needs)")
        found[kind] = seen[0] if seen else {}
    if found[SLIDING]:
        raise cfg.error("per_layer_config", f"overrides the {SLIDING} layers; gemma4_text is modelled with only the "
                                            "full-attention layers' head size and key/value heads differing")
    return found


def _check_rope(cfg: Config, heads: dict[str, int]) -> None:
    """Each kind of layer the model has needs its own table of rope parameters with a base (KeyError in
    transformers otherwise), in ``rope_scaling`` where the file names it (it replaces ``rope_parameters``,
    and a null one builds nothing); a table is validated as transformers validates it, and computed as its rotary
    embedding computes it, at that kind's head size (``heads``), with the table's share, else the top level's.

    Proportional RoPE (the full-attention layers' default) rotates int(share * head // 2) pairs: a negative
    number, or more than torch can hold, builds no model.
    """
    from .rope import (
        check_table,
        is_number,
        refuse_dynamic_two,
        refuse_negative_width,
        refuse_odd_yarn,
        refuse_unpaired_factors,
        refuse_yarn_base,
        rope_type,
    )

    name = "rope_scaling" if "rope_scaling" in cfg.data else "rope_parameters"  # the older name wins, null or not
    table = cfg.data.get(name)
    if table is None and name == "rope_parameters":
        return
    if not isinstance(table, dict):
        raise cfg.error(name, f"is {short(table)}, not an object of rope parameters by layer kind")
    top = cfg.data.get("partial_rotary_factor")
    for kind, head in sorted(heads.items()):
        if kind not in table:
            raise cfg.error(name, f"has no table for its {kind} layers; transformers cannot build them")
        entry = table[kind]
        if entry is None:
            continue
        if not isinstance(entry, dict) or "rope_theta" not in entry:
            raise cfg.error(name, f"{kind}: {short(entry)} is not a table of rope parameters with a "
                                               "rope_theta; transformers cannot build it")
        where = f" for its {kind} layers"
        check_table(cfg, name, entry, where=where)
        kind_type = rope_type(entry)
        share: Any = entry["partial_rotary_factor"] if "partial_rotary_factor" in entry else 1 if top is None else top
        if isinstance(share, bool):
            share = int(share)
        if not is_number(share):  # the top level's, merged into the table as transformers standardises it
            raise cfg.error("partial_rotary_factor", f"is {short(share)}; the rope table of the {kind} layers takes "
                                                     "it, and transformers cannot compute with it")
        if kind_type != "default":
            refuse_negative_width(cfg, name, head, share, where=where, kind=kind_type)
            if kind_type == "yarn":
                refuse_odd_yarn(cfg, name, head, share, where=where)
                refuse_yarn_base(cfg, name, entry["rope_theta"], where=where)
            if kind_type == "dynamic":
                refuse_dynamic_two(cfg, name, head, share, where=where)
            if kind_type == "longrope" and isinstance(entry.get("short_factor"), list):
                refuse_unpaired_factors(cfg, name, head, share, entry["short_factor"])


def read(cfg: Config) -> Reading:
    """The config read to plain data: sizes, layer kinds, shared layers, overrides and options, checked."""
    bidirectional = cfg.data.get("use_bidirectional_attention")
    cfg.read.add("use_bidirectional_attention")
    if bidirectional == "all":
        raise cfg.error("use_bidirectional_attention", '"all" makes every token attend both ways (an encoder, with '
                                                       "a halved window); only causal language models are modelled")
    if bidirectional not in (None, "vision"):
        raise cfg.error("use_bidirectional_attention", f'is {short(bidirectional)}; transformers takes "all", '
                                                       '"vision" or null')
    layers = cfg.get("num_hidden_layers")
    width, heads, kv_heads = cfg.get("hidden_size"), cfg.get("num_attention_heads"), cfg.get("num_key_value_heads")
    head_dim, vocab = cfg.get("head_dim"), cfg.get("vocab_size")
    act = read_activation(cfg, "hidden_activation")
    stated = _layer_types(cfg, layers)
    kinds = [LEGACY.get(kind, kind) for kind in stated]
    shared, notes = _shared(cfg, kinds)
    full = _overrides(cfg, kinds, {"head_dim": head_dim, "num_key_value_heads": kv_heads}, stated)[FULL]
    for name, value in (("num_key_value_heads", kv_heads), ("per_layer_config", full.get("num_key_value_heads"))):
        if value is not None and heads % value:
            raise cfg.error(name, f"{value} key/value heads do not divide num_attention_heads {heads}")
    _check_rope(cfg, {kind: full.get("head_dim", head_dim) if kind == FULL else head_dim for kind in set(kinds)})
    per_layer = cfg.get("hidden_size_per_layer_input")
    values: dict[str, int] = {"V": vocab, "D": width, "L": layers, "H": heads, "H_kv": kv_heads, "d_h": head_dim,
                              "F": cfg.get("intermediate_size")}
    sliding = kinds.count(SLIDING)
    window, per_vocab = cfg.get("sliding_window"), cfg.get("vocab_size_per_layer_input")
    listed = cfg.data.get("layer_types") is not None  # else the counts follow L, as relations
    reused = [k for k, s in zip(kinds, shared) if s]
    if sliding:
        values["W"] = window
    if listed:
        if sliding:
            values["L_s"] = sliding
        if reused.count(SLIDING):
            values["L_rs"] = reused.count(SLIDING)
        if reused.count(FULL):
            values["L_rf"] = reused.count(FULL)
    if "head_dim" in full:
        values["d_g"] = full["head_dim"]
    if "num_key_value_heads" in full:
        values["H_g"] = full["num_key_value_heads"]
    if per_layer:
        values["D_p"], values["V_p"] = per_layer, per_vocab
    moe = cfg.get("enable_moe_block")
    experts = {n: cfg.get(n) for n in ("num_experts", "moe_intermediate_size", "top_k_experts")}
    if moe:
        for name, value in experts.items():
            said = cfg.shown(name) if value is not None else "null" if cfg.is_null(name) else "not given"
            if value is None and name == "top_k_experts":
                raise cfg.error(name, f"is {said}; transformers then builds a router that cannot pick experts, "
                                      "so the experts per token must be stated")
            if value is None or value < 1:
                raise cfg.error(name, f"is {said}; enable_moe_block needs a whole number of at least 1 to build the "
                                      "experts")
        values["E"], values["F_e"], values["k"] = experts.values()
        if values["k"] > values["E"]:
            raise cfg.error("top_k_experts", f"{values['k']} exceeds num_experts {values['E']}")
    double_wide = cfg.get("use_double_wide_mlp")
    check_padding(cfg, 0, vocab)
    if per_layer:
        check_padding(cfg, 0, values["V_p"])
    layout = "".join(("S" if s else "s") if k == SLIDING else ("F" if s else "f") for k, s in zip(kinds, shared))
    shape = (("layout", by_layer(layout)), ("activation", act), ("tied", cfg.get("tie_word_embeddings")),
             ("bias", cfg.get("attention_bias")), ("k_eq_v", cfg.get("attention_k_eq_v")),
             ("double_wide", double_wide and bool(reused)), ("moe", moe),
             ("full_head", "d_g" in values), ("full_kv", "H_g" in values), ("per_layer", bool(per_layer)),
             ("listed", listed), ("shared", 0 if listed else len(reused)))
    return Reading(shape, tuple(values.items()), f"gemma4_text (D={width}, L={layers})", notes)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from sympy import Integer, ceiling, floor

    from ..components import MLP, Block, Embedding, Linear, Model, Module, MoE, Norm, Parameter, Repeat
    from ..components.composite import placed
    from ..components.decoder_attention import DecoderAttention
    from ..components.routing import Routing
    from ..spec import AtMost, Constraint, Divides, Spec
    from ..symbols import SYMBOLS, D, D_p, E, F, F_e, H, H_g, H_kv, L, L_rf, L_rs, L_s, V, V_p, W, d_g, d_h, k
    from .activations import ACTIVATIONS
    from .decoder import LLAMA_ATTENTION, LLAMA_MLP

    shape = dict(r.shape)
    layout, act = order(shape["layout"]), shape["activation"]
    learned = ACTIVATIONS.get(act, 0)

    def norm(name: str, dim=D) -> Norm:
        return Norm(name, dim, "rms", weight=True)

    def activation(group: str) -> tuple[Module, ...]:
        return (Parameter("act_fn", (Integer(learned),), group=group),) if learned else ()

    def layer(kind: str) -> Block:
        sliding, reused = kind in "sS", kind in "SF"
        head = d_h if sliding or not shape["full_head"] else d_g
        kv = H_kv if sliding or not shape["full_kv"] else H_g
        attn = DecoderAttention("self_attn", D, H, kv, head, qkv_bias=shape["bias"], out_bias=shape["bias"],
                                names=LLAMA_ATTENTION, qk_norm=True, window=W if sliding else None,
                                kv_shared=reused, value_is_key=shape["k_eq_v"] and not sliding)
        hidden = 2 * F if shape["double_wide"] and reused else F
        mlp = MLP("mlp", D, hidden, gated=True, activation=act, names=LLAMA_MLP)
        parts: list[Module] = [norm("input_layernorm"), attn, norm("post_attention_layernorm"),
                               norm("pre_feedforward_layernorm"), mlp, *activation("mlp")]
        if shape["moe"]:
            expert = MLP("expert", D, F_e, gated=True, activation=act, names=("gate_proj", "up_proj", "down_proj"))
            extras = (Parameter("router.scale", (D,), group="mlp"), Parameter("router.per_expert_scale", (E,), group="mlp"),
                      *activation("mlp"))
            parts += [norm("post_feedforward_layernorm_1"), norm("pre_feedforward_layernorm_2"),
                      MoE("moe", Linear("router.proj", D, E, group="mlp"), expert, E, k, extras=extras,
                          routing=Routing("softmax_topk", renorm=True)),
                      norm("post_feedforward_layernorm_2")]
        parts.append(norm("post_feedforward_layernorm"))
        if shape["per_layer"]:
            parts += [*activation("other"), Linear("per_layer_input_gate", D, D_p, group="other"),
                      Linear("per_layer_projection", D_p, D, group="other"), norm("post_per_layer_input_norm")]
        what = f"{'sliding-window' if sliding else 'full-attention'} layer{', keys and values reused' if reused else ''}"
        return Block("layer", tuple(parts), label=f"Gemma 4 {what}")

    names = {"s": "sliding_layers", "f": "full_layers", "S": "shared_sliding_layers", "F": "shared_full_layers"}
    present = set(layout)
    own = {L_s: bool(present & set("sS")), L_rs: "S" in present, L_rf: "F" in present}
    counts = {"s": L_s - L_rs, "f": L - L_s - L_rf, "S": L_rs, "F": L_rf}
    counts = {c: n.subs({sym: 0 for sym, used in own.items() if not used}) for c, n in counts.items()}
    stack: list[Module] = [Repeat(names[c], counts[c], layer(c)) for c in dict.fromkeys(layout)]
    stack = list(placed(stack, [names[c] for c in layout]))
    parts: list[Module] = [Embedding("embed_tokens", V, D)]
    if shape["per_layer"]:
        parts += [Embedding("embed_tokens_per_layer", V_p, L * D_p), Linear("per_layer_model_projection", D, L * D_p,
                                                                             group="other"),
                  norm("per_layer_projection_norm", D_p)]
    parts += [*stack, norm("norm"), Linear("lm_head", D, V, tied=shape["tied"], group="head")]
    tree = Model("gemma4_text", tuple(parts), label="Gemma 4 decoder (text)")
    values = dict(r.values)
    rules: list[Constraint] = [Divides(H_kv, H, "each key/value head serves H/H_kv query heads")]
    if shape["full_kv"]:
        rules.append(Divides(H_g, H, "each full-attention key/value head serves H/H_g query heads"))
    relations = {}
    if not shape["listed"]:
        # transformers' default layout: every sixth layer full and the last one full, the last `shared` reusing
        n = shape["shared"]
        full = ceiling(L / PATTERN)
        reused_full = full - floor((L - n) / PATTERN) if n else Integer(0)
        found = {L_s: L - full, L_rs: n - reused_full, L_rf: reused_full}
        relations = {sym: expr for sym, expr in found.items() if own[sym]}
        every = {c: n_.subs(found) for c, n_ in {"s": L_s - L_rs, "f": L - L_s - L_rf, "S": L_rs, "F": L_rf}.items()}
        for c, count in every.items():  # another depth may lay the layers out otherwise: not this tree
            if c not in present:
                rules.append(AtMost(count, Integer(0), f"a depth with {names[c]} has another layout"))
        if n:
            rules.append(AtMost(Integer(n), L, "the layers reusing keys and values are some of the L layers"))
    for c in dict.fromkeys(layout):
        rules.append(AtMost(Integer(1), counts[c], f"a depth without {names[c]} has another layout"))
    if shape["moe"]:
        rules.append(AtMost(k, E, "a token picks k of the E experts"))
    return Spec(
        name=r.name,
        family="gemma4_text",
        tree=tree,
        values=tuple((SYMBOLS[n], Integer(v)) for n, v in values.items()),
        relations=tuple(relations.items()),
        constraints=tuple(rules),
        notes=r.notes,
        kept=tuple(relations),
    )


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="gemma4_text",
    rotary="by-layer-kind",
    layer_lists="filled",
    summary="Gemma 4 (text): Gemma 3's block with per-layer embeddings, wider full-attention heads, "
            "KV-shared layers and an optional expert block",
    model_types=("gemma4_text",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused='per_layer_config beyond the full-attention layers\' head_dim and num_key_value_heads; layer kinds '
            'other than sliding and full; use_bidirectional_attention: "all"; training activations',
)
