"""What DeepSeek-V2, V3 and V3.2 share: latent attention, dense layers first, then shared-expert MoE.

transformers 5.x builds all three the same way (``modeling_deepseek_v2.py``,
``modeling_deepseek_v3.py``, ``modeling_deepseek_v32.py``):

* ``embed_tokens`` V x D; a final RMSNorm; ``lm_head`` D -> V, tied if asked;
* every block: RMSNorm, :class:`~symparams.components.mla.MLA` attention, RMSNorm, and
  either a dense gated MLP of ``intermediate_size`` F (the first ``first_k_dense_replace``
  = L_d layers) or a mixture of experts (the other L - L_d);
* the mixture: a router ``gate`` (an E x D weight, no bias), E routed gated experts of
  ``moe_intermediate_size`` F_e stored fused (``gate_up_proj`` E x 2F_e x D and
  ``down_proj`` E x D x F_e: the same 3*D*F_e per expert), and the ``n_shared_experts``
  = E_s shared experts built as *one* gated MLP of hidden E_s*F_e, which every token
  passes through beside its k routed experts.

Per-layer variation is two ``Repeat`` nodes (L_d dense blocks, L - L_d MoE blocks), so the
closed form stays a polynomial in L and L_d. Where every layer is of one kind the other
Repeat is left out rather than given a count of zero.

Not counted, because transformers does not count them either: DeepSeek-V3's router
``e_score_correction_bias`` (E values per MoE layer) is a buffer, not a parameter; the
multi-token-prediction module (``num_nextn_predict_layers``) is not built.

A config is read (:func:`read_shape`, :func:`reading`) with no SymPy, to a reading whose
shape holds the layers' kinds and the router as plain data; :func:`build` makes the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..config import DERIVED, Config
from ._deepseek_vocab import check_padding
from ._moe_config import dense_of, layout, moe_values, norm_topk_field, renorm
from .activations import activation
from .registry import Reading
from .rope import NUMBER, check_rope_head_dim, is_number, malformed, rope_table, rope_type

if TYPE_CHECKING:
    from sympy import Expr

    from ..components import Block, Module, MoE
    from ..components.routing import Routing
    from ..spec import Constraint, Spec

__all__ = [
    "GROUPS", "Shape", "read_shape", "reading", "build", "NOTES", "BUFFER", "shared_expert_moe", "dense_then_moe",
    "sigmoid_routing", "routing_of", "ROUTER_FIELDS", "check_mscale_factor",
]

GROUPS = {
    "embed_tokens": "embedding", "self_attn": "attention", "q_a_layernorm": "norm", "kv_a_layernorm": "norm",
    "mlp": "mlp", "input_layernorm": "norm", "post_attention_layernorm": "norm", "norm": "norm", "lm_head": "head",
}

NOTES = (
    "the multi-token-prediction layers (num_nextn_predict_layers) are not built by transformers and not counted",
)
# DeepSeek-V3's, V3.2's and GLM-4.5's router
BUFFER = ("the router's e_score_correction_bias (E values per MoE layer) is a buffer in transformers, not a "
          "parameter, and is not counted")


@dataclass(frozen=True)
class Shape:
    """The sizes of one DeepSeek config after transformers' defaults."""

    vocab: int
    width: int
    layers: int
    heads: int
    hidden: int
    q_rank: int | None
    kv_rank: int
    nope: int
    rope: int
    v_dim: int
    experts: int
    top_k: int
    expert_hidden: int
    shared: int
    dense: int
    tied: bool
    activation: str
    attention_bias: bool
    dense_at: tuple[bool, ...] = ()  # layer by layer, whether it is dense (empty: the first ``dense``)


def check_mscale_factor(cfg: Config) -> None:
    """Refuse a scaled rope table with ``mscale_all_dim`` whose ``factor`` is not a number, or, with a factor above
    1, whose ``mscale_all_dim`` is not one: DeepSeek's attention scales its softmax by YaRN's mscale there
    (``yarn_apply_mscale``) as the model is built, comparing the factor with 1 and then multiplying by
    ``0.1 * mscale_all_dim * log(factor)``."""
    name, table = rope_table(cfg)
    if not (isinstance(table, dict) and rope_type(table) != "default" and table.get("mscale_all_dim")):
        return
    why = " beside mscale_all_dim (DeepSeek's attention scales by YaRN's mscale with it)"
    factor: Any = table.get("factor")
    scale = table["mscale_all_dim"]
    if not is_number(factor):
        raise malformed(cfg, name, "factor", factor, NUMBER, why)
    if factor > 1 and not is_number(scale):
        raise malformed(cfg, name, "mscale_all_dim", scale, NUMBER, " (DeepSeek's attention scales by YaRN's mscale "
                                                                    "with it)")


def read_shape(cfg: Config, dense: int | None = None, dense_at: tuple[bool, ...] = (), stated_head: bool = False) -> Shape:
    """Read a DeepSeek config through its family's field table.

    ``dense`` is the number of dense layers where the family says it another way
    (V3.2's ``mlp_layer_types``); otherwise ``first_k_dense_replace``, capped at L as
    transformers' ``layer_idx >= first_k_dense_replace`` caps it. The class's ``head_dim``,
    which its RoPE validation and rotary embedding read, is ``qk_rope_head_dim``; with
    ``stated_head`` a ``head_dim`` the file states replaces it (V3's class declares no such
    field, so the file's value is set after its own). ``num_key_value_heads`` shapes nothing,
    but 0 is refused: the attention divides the heads by it.
    """
    check_mscale_factor(cfg)
    if type(cfg.data.get("num_key_value_heads")) is int and cfg.data["num_key_value_heads"] == 0:
        raise cfg.error("num_key_value_heads", "is 0; no shape reads it, but transformers divides the heads by it "
                                               "when it builds the attention, and cannot")
    layers = cfg.get("num_hidden_layers")
    q_rank = cfg.get("q_lora_rank")
    freq = cfg.get("moe_layer_freq")
    if freq != 1:
        raise cfg.error("moe_layer_freq", f"{freq} is not supported: transformers ignores it and builds a mixture "
                                          "of experts in every layer after first_k_dense_replace, unlike DeepSeek's code")
    if dense is None:
        dense = min(cfg.get("first_k_dense_replace"), layers)
    experts = cfg.strict("n_routed_experts", used=dense < layers)
    top_k = cfg.get("num_experts_per_tok")
    if top_k is DERIVED:  # transformers' None: the model builds, but its router cannot pick experts
        if dense < layers:
            said = "is null" if cfg.is_null("num_experts_per_tok") else f"is not given ({cfg.model_type}'s default is None)"
            raise cfg.error("num_experts_per_tok", f"{said}; transformers then builds a router that cannot pick "
                                                   "experts, so the experts per token must be stated")
        top_k = 1  # no mixture-of-experts layer reads it
    elif experts is not None and top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds n_routed_experts {experts}")
    act = cfg.get("hidden_act")
    vocab = cfg.get("vocab_size")
    check_padding(cfg, vocab)
    rope = cfg.get("qk_rope_head_dim")
    if not (stated_head and cfg.data.get("head_dim") is not None):
        check_rope_head_dim(cfg, rope, "qk_rope_head_dim")
    return Shape(
        vocab=vocab,
        width=cfg.get("hidden_size"),
        layers=layers,
        heads=cfg.get("num_attention_heads"),
        hidden=cfg.get("intermediate_size"),
        q_rank=None if q_rank is DERIVED else q_rank,
        kv_rank=cfg.get("kv_lora_rank"),
        nope=cfg.get("qk_nope_head_dim"),
        rope=rope,
        v_dim=cfg.get("v_head_dim"),
        experts=0 if experts is None else experts,  # None only where no layer has experts
        top_k=top_k,
        expert_hidden=cfg.get("moe_intermediate_size"),
        shared=cfg.get("n_shared_experts"),
        dense=dense,
        tied=cfg.get("tie_word_embeddings"),
        activation=activation(cfg, "hidden_act", act),
        attention_bias=cfg.get("attention_bias"),
        dense_at=dense_at,
    )


def sigmoid_routing(cfg: Config) -> tuple:
    """DeepSeek-V3's router (GLM-4.5's too): sigmoid scores, group-limited choice with a correction bias."""
    return ("sigmoid_group", renorm(cfg), None, None)


def routing_of(plain: tuple) -> Routing:
    """The router a reading's shape holds as (kind, renorm, groups, experts picked per group)."""
    from sympy import Integer

    from ..components.routing import Routing

    kind, renorms, groups, group_k = plain
    return Routing(kind=kind, renorm=renorms, groups=None if groups is None else Integer(groups),
                   group_k=None if group_k is None else Integer(group_k))


ROUTER_FIELDS = (norm_topk_field(True, null_ok=True),)


def reading(family: str, shape: Shape, routing: tuple, notes: tuple[str, ...] = (), values: dict[str, int] | None = None,
            mtp: bool = True, **switches: Any) -> Reading:
    """The plain-data reading of a DeepSeek config: its switches, layers' kinds and router (``routing``, as
    :func:`routing_of` reads it) as its shape; its sizes, then ``values`` (symbols of the family's own) as values.
    ``mtp``: the family's checkpoints have multi-token-prediction layers transformers does not build (a note says so)."""
    kinds = layout(shape.dense, shape.layers, shape.dense_at)
    plain = [("tied", shape.tied), ("activation", shape.activation), ("attention_bias", shape.attention_bias),
             ("q_lora", shape.q_rank is not None), ("sdpa_math", shape.nope + shape.rope != shape.v_dim),
             ("layout", kinds), ("shared", bool(shape.shared)), ("routing", routing), *switches.items()]
    out = {"V": shape.vocab, "D": shape.width, "L": shape.layers, "H": shape.heads}
    if shape.q_rank is not None:
        out["r_q"] = shape.q_rank
    out.update(r_kv=shape.kv_rank, d_nope=shape.nope, d_rope=shape.rope, d_v=shape.v_dim)
    out.update(moe_values(kinds, hidden=shape.hidden, dense=shape.dense, expert_hidden=shape.expert_hidden,
                          experts=shape.experts, top_k=shape.top_k, shared=shape.shared))
    out.update(values or {})
    return Reading(tuple(plain), tuple(out.items()), f"{family} (D={shape.width}, L={shape.layers})",
                   (NOTES if mtp else ()) + notes)


def shared_expert_moe(activation: str, shared: bool, mlp_bias: bool = False, routing: Routing | None = None) -> MoE:
    """Router ``gate`` (E x D), E routed experts of F_e (fused in transformers, no biases), one shared MLP of E_s*F_e.

    ``n_shared_experts`` = 0 still builds the shared MLP, with no weights (and, under
    ``mlp_bias``, the D biases of its down projection), as transformers does. ``routing``
    is Mixtral's where not given.
    """
    from sympy import Integer

    from ..components import MLP, Linear, MoE
    from ..components.routing import MIXTRAL
    from ..symbols import D, E, E_s, F_e, k

    expert = MLP("expert", D, F_e, gated=True, activation=activation, names=("gate", "up", "down"))
    hidden = E_s * F_e if shared else Integer(0)
    shared_mlp = MLP("shared_experts", D, hidden, gated=True, bias=mlp_bias, activation=activation,
                     names=("gate_proj", "up_proj", "down_proj"))
    return MoE("mlp", Linear("gate", D, E, group="mlp"), expert, E, k, shared=shared_mlp,
               routing=MIXTRAL if routing is None else routing)


def dense_then_moe(block: Callable[[Module], Block], dense_mlp: Module, moe: MoE, dense: int, layers: int,
                   where: Sequence[bool] = ()) -> tuple[list[Module], set, list[Constraint]]:
    """The layer stack: L_d blocks with ``dense_mlp``, then L - L_d with ``moe``.

    ``where`` says layer by layer which is dense (default: the first L_d); the Repeats carry
    those layer indices, so pipeline stages hold their own layers' kinds.

    Returns the Repeats, the symbols they use beyond the block's (L_d, and whether F or
    the experts' symbols appear), and the constraints. A stack of one kind only is one
    Repeat of L, with no L_d.
    """
    from ..components import Repeat
    from ..components.composite import placed
    from ..spec import AtMost
    from ..symbols import E, F, F_e, L, L_d, k

    if dense == layers:
        return [Repeat("dense_layers", L, block(dense_mlp))], {F}, []
    stack: list[Module] = []
    used: set = {F_e, E, k}
    constraints: list[Constraint] = [AtMost(k, E, "a token picks k of the E routed experts")]
    if dense:
        stack.append(Repeat("dense_layers", L_d, block(dense_mlp)))
        used |= {F, L_d}
        constraints.append(AtMost(L_d, L, "the dense layers are among the L layers"))
    stack.append(Repeat("moe_layers", L - L_d if dense else L, block(moe)))
    kinds = ["dense_layers" if d else "moe_layers" for d in (where or [i < dense for i in range(layers)])]
    return list(placed(stack, kinds)), used, constraints


def build(r: Reading, family: str, label: str, *, attention_extras: tuple[Module, ...] = (),
          topk: Expr | None = None) -> Spec:
    """The Spec of a DeepSeek decoder read to ``r``: L_d dense blocks, then L - L_d mixture-of-experts blocks.

    ``attention_extras`` are nodes stored in each block's ``self_attn`` beside the latent
    attention (V3.2's indexer), ``topk`` the keys its sparse attention keeps per query.
    """
    from sympy import Integer

    from ..components import MLP, Block, Embedding, Linear, Model, Norm
    from ..components.mla import MLA
    from ..spec import Spec
    from ..symbols import SYMBOLS, D, F, H, V, d_nope, d_rope, d_v, r_kv, r_q

    shape, values = dict(r.shape), dict(r.values)
    mlp_bias = shape.get("mlp_bias", False)
    attn: Module = MLA("self_attn", D, H, r_q if shape["q_lora"] else None, r_kv, d_nope, d_rope, d_v,
                       bias=shape["attention_bias"], topk=topk, extras=attention_extras, sdpa_math=shape["sdpa_math"])

    def rms(name: str) -> Norm:
        return Norm(name, D, kind="rms", weight=True)

    def block(mlp: Module) -> Block:
        return Block("layer", (rms("input_layernorm"), attn, rms("post_attention_layernorm"), mlp),
                     label="pre-norm decoder block")

    dense_mlp = MLP("mlp", D, F, gated=True, bias=mlp_bias, activation=shape["activation"],
                    names=("gate_proj", "up_proj", "down_proj"))
    moe = shared_expert_moe(shape["activation"], shape["shared"], mlp_bias, routing_of(shape["routing"]))
    dense, where = dense_of(shape["layout"], values)
    layers, _, constraints = dense_then_moe(block, dense_mlp, moe, dense, values["L"], where)
    tree = Model(
        family,
        (Embedding("embed_tokens", V, D), *layers, rms("norm"), Linear("lm_head", D, V, tied=shape["tied"], group="head")),
        label=label,
    )
    return Spec(
        name=r.name,
        family=family,
        tree=tree,
        values=tuple((SYMBOLS[n], Integer(v)) for n, v in r.values),
        constraints=tuple(constraints),
        notes=r.notes,
    )
