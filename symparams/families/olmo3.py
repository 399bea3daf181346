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

from typing import TYPE_CHECKING

from ..config import DERIVED, Config, Field, Fields
from . import _deepseek_heads as heads
from ._deepseek_vocab import check_padding
from .decoder_sizes import reading, sizes_of
from .layer_kinds import Layers, layers_of
from .layer_lists import LEGACY_NAMES
from .olmo2 import FIELDS as OLMO2_FIELDS
from .olmo2 import GROUPS, olmo2_block, olmo2_model
from .registry import Family, Reading
from .rope import check_layer_kinds, refuse_unmerged_scaling

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILY", "FIELDS", "from_config", "read", "build", "sliding_layers"]

KINDS = ("sliding_attention", "full_attention")

# transformers 5.x Olmo3Config: Olmo2Config's fields plus the window and the layer kinds
FIELDS = Fields(
    *OLMO2_FIELDS,
    Field("sliding_window", 4096, null=DERIVED),
    Field("layer_types", DERIVED, null=DERIVED, kind="any", types=("list",)),
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


def read(cfg: Config) -> Reading:
    """The config's sizes, switches and sliding layers, checked, with no tree built.

    The sliding layers' count is a value, L_s, even where transformers derives them from
    the default pattern, and their layer-by-layer pattern places them in the tree.
    """
    sizes, floor = heads.read_sizes(cfg)
    check_padding(cfg, sizes.vocab)
    bias = cfg.get("attention_bias")
    window = cfg.get("sliding_window")
    pattern = sliding_layers(cfg, sizes.layers, lambda i: (i + 1) % 4 != 0)
    refuse_unmerged_scaling(cfg)
    check_layer_kinds(cfg, {"sliding_attention" if x else "full_attention" for x in pattern}, {"full_attention": "rope_theta"},
                      sizes.head_dim)
    sliding = sum(pattern) if window is not DERIVED else 0  # a null window: the "sliding" layers attend to everything
    kinds = Layers(sizes.layers, sliding, window if sliding else None, pattern=tuple(pattern))
    return heads.floored_reading(reading("olmo3", sizes, kinds, attention_bias=bias), floor)


def build(r: Reading) -> Spec:
    """The tree of a Reading: its shape alone chooses the tree, its values are the symbols'."""
    from dataclasses import replace

    from sympy import Integer

    from ..components import Module, Repeat
    from ..components.composite import placed
    from ..spec import AtMost
    from ..symbols import SYMBOLS, L, L_s, W
    from . import decoder

    shape, values, sizes = dict(r.shape), dict(r.values), sizes_of(r)
    kinds, bias = layers_of(shape["layers"], values), shape["attention_bias"]
    full_block, sliding_block = olmo2_block(sizes.activation, bias), olmo2_block(sizes.activation, bias, window=W)
    layers: tuple[Module, ...]
    if kinds.mixed:
        layers = placed((Repeat("sliding_layers", L_s, sliding_block), Repeat("full_layers", L - L_s, full_block)),
                        ["sliding_layers" if x else "full_layers" for x in kinds.pattern])
    elif kinds.all_sliding:
        layers = (Repeat("sliding_layers", L, sliding_block),)
    else:
        layers = (Repeat("layers", L, full_block),)
    tree = olmo2_model("olmo3", "OLMo 3 decoder (sliding-window and full layers)", layers, sizes.tied)
    spec = decoder.decoder_spec("olmo3", tree, sizes)
    spec = heads.floored(spec) if shape["floored"] else spec
    extra = tuple((SYMBOLS[n], Integer(v)) for n, v in kinds.values().items())
    constraints = spec.constraints + ((AtMost(L_s, L, "the sliding layers are among the L layers"),)
                                      if kinds.mixed else ())
    return replace(spec, values=spec.values + extra, constraints=constraints)


def from_config(cfg: Config) -> Spec:
    return build(read(cfg))


FAMILY = Family(
    name="olmo3",
    rotary="by-layer-kind",
    layer_lists="filled",
    summary="OLMo 3: OLMo 2's post-norm blocks, most of them attending through a sliding window",
    model_types=("olmo3",),
    fields=FIELDS,
    build=from_config,
    read=read,
    refused="a null head_dim; layer kinds other than sliding_attention and full_attention",
)
