"""nanochat as transformers ships it (model_type ``nanochat``): the October 2025 layout.

``NanoChatForCausalLM``: parameter-free RMSNorms (on the embedding, before attention, before
the MLP, on q and k after the rotary embedding, and at the end), q/k/v/o sharing one
``attention_bias`` switch, a plain ReLU^2 MLP ``fc1``/``fc2`` of ``intermediate_size``
without biases, and an LM head untied unless ``tie_word_embeddings``, its logits soft-capped
at ``final_logit_softcapping`` (15; null: none). A missing ``num_key_value_heads`` means H;
``head_dim`` is not a NanoChat field but is honoured when present, else D / H; a null one fails in transformers and is refused.

Read this way, the guide's nanochat d20 (D = 1,280, H = 10, F = 5,120, V = 65,536)
counts the same 560,988,160 parameters as :mod:`symparams.families.nanochat`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import DERIVED, REFUSE, Config, Field
from ._layered_config import check_padding
from .decoder_sizes import decoder_fields, read_sizes, reading, sizes_of
from .registry import Reading

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FIELDS", "from_config", "read", "build"]

# transformers 5.x NanoChatConfig
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=768, intermediate_size=8192, num_hidden_layers=12,
    num_attention_heads=6, head_dim_null=REFUSE, hidden_act="relu2", max_position_embeddings=2048, mlp_bias=None,
    extra=(Field("final_logit_softcapping", 15.0, null=DERIVED, kind="number", types=("float",)),),
)


def read(cfg: Config) -> Reading:
    """The config's sizes and bias switch, checked, with no tree built."""
    sizes = read_sizes(cfg, floor_head_dim=True, rope="given")
    check_padding(cfg, 1, sizes.vocab)
    return reading("nanochat", sizes, attention_bias=cfg.get("attention_bias"),
                   logit_softcap=cfg.get("final_logit_softcapping") not in (None, DERIVED))


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from ..components import MLP, Norm
    from ..components.decoder_attention import DecoderAttention
    from ..symbols import D, F, H, H_kv, d_h
    from . import decoder

    shape = dict(r.shape)
    bias = shape["attention_bias"]
    mlp = MLP("mlp", D, F, gated=False, bias=False, activation=shape["activation"], names=("fc1", "fc2"))
    attn = DecoderAttention("self_attn", D, H, H_kv, d_h, qkv_bias=bias, out_bias=bias, names=decoder.LLAMA_ATTENTION,
                            qk_norm=True, qk_norm_weight=False)
    tree = decoder.pre_norm_decoder("nanochat", "nanochat decoder (transformers)", mlp, tied=shape["tied"], attn=attn,
                                    norm_weight=False)
    embed, *rest = tree.parts
    tree = replace(tree, parts=(embed, Norm("norm_embed", D), *rest), logit_softcap=shape["logit_softcap"])
    return decoder.decoder_spec("nanochat", tree, sizes_of(r))


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))
