"""nanochat as transformers ships it (model_type ``nanochat``): the October 2025 layout.

``NanoChatForCausalLM``: parameter-free RMSNorms (before attention, before the MLP,
on q and k, and at the end), q/k/v/o sharing one ``attention_bias`` switch, a plain
ReLU^2 MLP ``fc1``/``fc2`` of ``intermediate_size`` without biases, and an LM head
untied unless ``tie_word_embeddings``. A missing ``num_key_value_heads`` means H;
``head_dim`` is not a NanoChat field but is honoured when present, else D / H; a null one fails in transformers and is refused.

Read this way, the guide's nanochat d20 (D = 1,280, H = 10, F = 5,120, V = 65,536)
counts the same 560,988,160 parameters as :mod:`symparams.families.nanochat`.
"""

from __future__ import annotations

from ..components import MLP
from ..config import REFUSE, Config
from ..spec import Spec
from ..symbols import D, F
from . import decoder
from .decoder import decoder_fields

__all__ = ["FIELDS", "from_config"]

# transformers 5.x NanoChatConfig
FIELDS = decoder_fields(
    vocab_size=50304, hidden_size=768, intermediate_size=8192, num_hidden_layers=12,
    num_attention_heads=6, head_dim_null=REFUSE, hidden_act="relu2", max_position_embeddings=2048, mlp_bias=None,
)


def from_config(cfg: Config) -> Spec:
    sizes = decoder.read_sizes(cfg, floor_head_dim=True, rope="given")
    attention_bias = cfg.get("attention_bias")
    mlp = MLP("mlp", D, F, gated=False, bias=False, activation=sizes.activation, names=("fc1", "fc2"))
    tree = decoder.pre_norm_decoder(
        "nanochat", "nanochat decoder (transformers)", mlp, tied=sizes.tied,
        attn=decoder.attention(qkv_bias=attention_bias, out_bias=attention_bias), norm_weight=False,
    )
    return decoder.decoder_spec("nanochat", tree, sizes)
