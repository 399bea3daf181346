"""OLMo (model_type ``olmo``): the Llama layout with LayerNorms that learn nothing.

transformers' ``OlmoForCausalLM`` (5.x): ``OlmoLayerNorm`` is ``F.layer_norm`` with neither
weight nor bias (the OLMo paper's "non-parametric layer norm"), before attention, before
the MLP and at the end, so norms add no parameters. ``attention_bias`` puts a bias on q,
k, v and o; the SwiGLU MLP has none; ``clip_qkv`` clamps activations and holds no
weights. ``head_dim`` is honoured when a config.json carries one, as for OLMo 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import REFUSE, Config
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding, pad_field
from .decoder_sizes import decoder_fields, reading, sizes_of
from .registry import Family, Reading

if TYPE_CHECKING:
    from ..components import Norm
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build"]

# transformers 5.x OlmoConfig
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
    num_attention_heads=32, head_dim_null=REFUSE, max_position_embeddings=2048, mlp_bias=None,
    extra=(pad_field(1),),
)


def _norm(name: str) -> Norm:
    from ..components import Norm
    from ..symbols import D

    return Norm(name, D, kind="layer", weight=False, bias=False)


def read(cfg: Config) -> Reading:
    """The config's sizes and switches, checked, with no tree built."""
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    return heads.floored_reading(reading("olmo", sizes, attention_bias=cfg.get("attention_bias")), floor)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from ..components import Block, Embedding, Linear, Model, Repeat
    from ..symbols import D, L, V
    from . import decoder

    shape, sizes = dict(r.shape), sizes_of(r)
    bias = shape["attention_bias"]
    block = Block("layer", (_norm("input_layernorm"), decoder.attention(qkv_bias=bias, out_bias=bias),
                            _norm("post_attention_layernorm"), decoder.gated_mlp(sizes.activation)),
                  label="pre-norm decoder block (non-parametric LayerNorm)")
    tree = Model("olmo", (Embedding("embed_tokens", V, D), Repeat("layers", L, block), _norm("norm"),
                          Linear("lm_head", D, V, tied=sizes.tied, group="head")), label="OLMo decoder")
    spec = decoder.decoder_spec("olmo", tree, sizes)
    return heads.floored(spec) if shape["floored"] else spec


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="olmo",
    summary="OLMo: the Llama layout with non-parametric LayerNorms",
    model_types=("olmo",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim (transformers cannot build it)",
)
