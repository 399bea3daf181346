"""GPT-Neo (model_type ``gpt_neo``): GPT-2's block with global and local (sliding-window) attention layers.

transformers' ``GPTNeoForCausalLM`` (5.x): ``wte`` V x D and learned positions ``wpe`` P x D;
per block LayerNorm ``ln_1``, attention (q, k, v: D -> D without biases, ``out_proj`` D -> D
with one), LayerNorm ``ln_2``, the MLP (``c_fc`` D -> F, ``c_proj`` F -> D, with biases);
``ln_f``; the head, tied by default and without a bias. ``intermediate_size`` missing or
null is F = 4D.

``attention_types`` (default ``[[["global", "local"], 12]]``) lists the layer kinds in
runs, which the config expands to ``attention_layers``; a file that states ``attention_layers``
(as the released checkpoints do) has its own list set over that one, and the layers read it. A
local layer attends to the last ``window_size`` = W tokens. The kind changes no
weight: it caps the attention and the cache of the L_s local layers, which the tree
says with two Repeats (L - L_s global blocks, L_s local ones). transformers refuses a
list that does not give one kind per layer, a kind other than global or local, and a
width the heads do not divide.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from ._layernorm_config import ln_reading
from .activations import activation
from .registry import Family, Reading, by_layer, order

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "local_layers"]

# transformers 5.x GPTNeoConfig, with its attribute_map aliases
FIELDS = Fields(
    Field("vocab_size", 50257),
    Field("max_position_embeddings", 2048),
    Field("hidden_size", 2048),
    Field("num_layers", 24, aliases=("num_hidden_layers",)),
    Field("attention_types", DERIVED, null=DERIVED, kind="any", types=("list",)),
    Field("attention_layers", DERIVED, kind="any", types=("list",)),
    Field("num_heads", 16, aliases=("num_attention_heads",)),
    Field("intermediate_size", DERIVED, null=DERIVED),
    Field("window_size", 256),
    Field("activation_function", "gelu_new", kind="str"),
    Field("tie_word_embeddings", True, kind="bool"),
    groups={"wte": "embedding", "wpe": "embedding", "ln_1": "norm", "ln_2": "norm", "ln_f": "norm",
            "attn": "attention", "mlp": "mlp", "lm_head": "head"},
)


def local_layers(cfg: Config, layers: int) -> list[str]:
    """Each layer's kind (global or local), as transformers expands ``attention_types``: [[kinds, times], ...]."""
    runs = cfg.get("attention_types")
    if runs is DERIVED:
        runs = [[["global", "local"], 12]]
    kinds: list = []
    if not isinstance(runs, list):
        raise cfg.error("attention_types", "expected a list of [kinds, repeats] pairs")
    for run in runs:
        ok = (isinstance(run, list) and len(run) == 2 and isinstance(run[0], list)
              and isinstance(run[1], int) and not isinstance(run[1], bool) and run[1] >= 0)
        if not ok:
            raise cfg.error("attention_types", "expected pairs such as [[\"global\", \"local\"], 12]")
        if run[1] * len(run[0]) > 10**6:
            raise cfg.error("attention_types", "lists more layers than any model has")
        kinds.extend(run[0] * run[1])
    name = "attention_types"
    stated = cfg.get("attention_layers")
    if stated is not DERIVED:  # the file's own list, which GPTNeoConfig sets over the one it expands
        name, kinds = "attention_layers", stated
    if len(kinds) != layers:
        raise cfg.error(name, f"gives {len(kinds)} layer kinds for num_layers {layers}, which GPTNeoConfig refuses")
    unknown = sorted({repr(k) for k in kinds if k not in ("global", "local")})
    if unknown:
        raise cfg.error(name, f"{unknown[0]} is not a layer kind GPT-Neo builds (global, local)")
    return kinds


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and layer kinds, checked, with no tree built.

    The layers' shape is "global" or "local" where all are of one kind, else the
    layer-by-layer pattern (whether each is local), which places the two stacks.
    """
    width, heads, layers = cfg.get("hidden_size"), cfg.get("num_heads"), cfg.get("num_layers")
    if width % heads:
        raise cfg.error("num_heads", f"{heads} does not divide hidden_size {width}, which GPT-Neo's attention refuses")
    kinds = local_layers(cfg, layers)
    local = kinds.count("local")
    span = cfg.get("window_size")  # read for every config: GPTNeoConfig checks it even with no local layer
    values = {"V": cfg.get("vocab_size"), "P": cfg.get("max_position_embeddings"), "D": width, "L": layers, "H": heads}
    inner = cfg.get("intermediate_size")
    if inner is not DERIVED:
        values["F"] = inner
    act = activation(cfg, "activation_function", cfg.get("activation_function"))
    layout: str | tuple
    if local in (0, layers):
        layout = "local" if local else "global"
    else:
        layout = by_layer(tuple(k == "local" for k in kinds))
        values["L_s"] = local
    if local:
        values["W"] = span
    shape = (("tied", cfg.get("tie_word_embeddings")), ("activation", act), ("inner", inner is not DERIVED),
             ("layers", layout))
    return ln_reading("gpt_neo", shape, values)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import MLP, Embedding, Module, Repeat
    from ..components.composite import placed
    from ..components.normed_attention import NormedAttention
    from ..spec import AtMost, CachedOtherwise, Constraint
    from ..symbols import D, F, H, H_kv, L, L_s, P, T, V, W, d_h
    from .layernorm import block, layer_norm, lm_head, mha_spec, model

    shape = dict(r.shape)
    act, layout = shape["activation"], shape["layers"]

    def layer(window):
        attn = NormedAttention("attn", D, H, H_kv, d_h, out_bias=True, names=("q_proj", "k_proj", "v_proj", "out_proj"),
                               window=window)
        label = "Block(LayerNorm, " + ("local attention" if window is not None else "global attention") + ", LayerNorm, MLP)"
        return block("h", (layer_norm("ln_1"), attn, layer_norm("ln_2"),
                           MLP("mlp", D, F, gated=False, bias=True, activation=act, names=("c_fc", "c_proj"))), label)

    constraints: list[Constraint] = []
    stack: list[Module]
    if layout == "global":
        stack = [Repeat("blocks", L, layer(None))]
    elif layout == "local":
        stack = [Repeat("local_blocks", L, layer(W))]
    else:
        stack = list(placed((Repeat("global_blocks", L - L_s, layer(None)), Repeat("local_blocks", L_s, layer(W))),
                            ["local_blocks" if k else "global_blocks" for k in order(layout)]))
        constraints.append(AtMost(L_s, L, "the local layers are among the L layers"))
    tree = model("gpt_neo", (Embedding("wte", V, D), Embedding("wpe", P, D), *stack, layer_norm("ln_f"),
                             lm_head(shape["tied"])), "GPT-Neo")
    out = mha_spec("gpt_neo", tree, r, "GPT-Neo needs hidden_size divisible by num_heads", constraints)
    if layout != "global":
        # GPTNeoConfig names its local layers in attention_layers, which no cache class reads.
        out = replace(out, cached_otherwise=CachedOtherwise("keeps every token of a local layer, past its window of W",
                                                            ((W, T),)))
    return out


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="gpt_neo",
    rotary="none",
    summary="GPT-Neo: GPT-2's block, global and sliding-window local attention layers",
    model_types=("gpt_neo",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="attention_types (or a stated attention_layers, which wins) that do not give one global or local kind per "
            "layer; a width the heads do not divide",
)
