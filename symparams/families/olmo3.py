"""OLMo 3 (model_type ``olmo3``): OLMo 2's blocks, three in four of them attending through a sliding window.

transformers' ``Olmo3ForCausalLM`` (5.x) builds every layer as OLMo 2 does
(:func:`.olmo2.olmo2_block`); ``layer_types`` only decides which layers attend through a
window of ``sliding_window`` tokens (default: every layer but each fourth, whose
``(i + 1) % 4 == 0``). A window changes no weight, so the parameter count is OLMo 2's;
it caps the cache and the attention of the L_s sliding layers at W tokens, which the tree
says with two Repeats: L_s windowed blocks and L - L_s full ones. A null
``sliding_window`` builds the same weights and is read as no window: the sliding layers
count as full ones (transformers 5.x accepts the config and builds the model, though its
forward pass then stops, needing a window for the sliding-window mask).
"""

from __future__ import annotations

from dataclasses import replace

from sympy import Integer

from ..components import Module, Repeat
from ..components.composite import placed
from ..config import DERIVED, Config, Field, Fields
from ..spec import AtMost, Spec
from ..symbols import L, L_s, W
from . import _deepseek_heads as heads
from . import decoder
from ._deepseek_vocab import check_padding
from .layer_lists import LEGACY_NAMES
from .olmo2 import FIELDS as OLMO2_FIELDS
from .olmo2 import GROUPS, olmo2_block, olmo2_model
from .registry import Family
from .rope import check_layer_kinds

__all__ = ["FAMILY", "FIELDS", "from_config", "sliding_layers"]

KINDS = ("sliding_attention", "full_attention")

# transformers 5.x Olmo3Config: Olmo2Config's fields plus the window and the layer kinds
FIELDS = Fields(
    *OLMO2_FIELDS,
    Field("sliding_window", 4096, null=DERIVED),
    Field("layer_types", DERIVED, null=DERIVED, kind="any"),
    groups=GROUPS,
)


def sliding_layers(cfg: Config, layers: int, default) -> list[bool]:
    """Which of the L layers ``layer_types`` makes sliding (``default(i)`` says so when it is not given).

    transformers refuses a list whose length is not L; a kind other than sliding or full
    attention is refused here too, since OLMo 3 has rotary parameters for those two only.
    """
    kinds = cfg.get("layer_types")
    if kinds is DERIVED:
        return [bool(default(i)) for i in range(layers)]
    if not isinstance(kinds, list) or not all(isinstance(x, str) for x in kinds):
        raise cfg.error("layer_types", "expected a list of layer kinds")
    if len(kinds) != layers:
        raise cfg.error("layer_types", f"lists {len(kinds)} layers, but num_hidden_layers is {layers}")
    kinds = [LEGACY_NAMES.get(k, k) for k in kinds]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise cfg.error("layer_types", f"{unknown[0]!r} is not a layer kind {cfg.model_type} builds "
                                       f"(known: {', '.join(KINDS)})")
    return [k == "sliding_attention" for k in kinds]


def from_config(cfg: Config) -> Spec:
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    bias = cfg.get("attention_bias")
    window = cfg.get("sliding_window")
    pattern = sliding_layers(cfg, sizes.layers, lambda i: (i + 1) % 4 != 0)
    check_layer_kinds(cfg, {"sliding_attention" if x else "full_attention" for x in pattern}, {"full_attention": "rope_theta"})
    sliding = sum(pattern)
    if window is DERIVED:
        sliding = 0  # a null window: the "sliding" layers attend to everything
    full_block, sliding_block = olmo2_block(sizes.activation, bias), olmo2_block(sizes.activation, bias, window=W)
    layers: tuple[Module, ...]
    if sliding == 0:
        layers = (Repeat("layers", L, full_block),)
    elif sliding == sizes.layers:
        layers = (Repeat("sliding_layers", L, sliding_block),)
    else:
        layers = placed((Repeat("sliding_layers", L_s, sliding_block), Repeat("full_layers", L - L_s, full_block)),
                        ["sliding_layers" if x else "full_layers" for x in pattern])
    tree = olmo2_model("olmo3", "OLMo 3 decoder (sliding-window and full layers)", layers, sizes.tied)
    spec = decoder.decoder_spec("olmo3", tree, sizes)
    spec = heads.floored(spec) if floor else spec
    extra = {}
    if sliding:
        extra[W] = window
    if 0 < sliding < sizes.layers:
        extra[L_s] = sliding
    values = spec.values + tuple((s, Integer(v)) for s, v in extra.items())
    constraints = spec.constraints + ((AtMost(L_s, L, "the sliding layers are among the L layers"),)
                                      if L_s in extra else ())
    return replace(spec, values=values, constraints=constraints)


FAMILY = Family(
    name="olmo3",
    rotary="by-layer-kind",
    layer_lists="filled",
    summary="OLMo 3: OLMo 2's post-norm blocks, most of them attending through a sliding window",
    model_types=("olmo3",),
    fields=FIELDS,
    build=from_config,
    refused="a null head_dim; layer kinds other than sliding_attention and full_attention",
)
