"""JetMoE (model_type ``jetmoe``): a mixture of attention heads and a mixture of MLP experts in every block.

transformers' ``JetMoeForCausalLM`` (5.x): ``embed_tokens``; per block an RMSNorm, the
attention mixture :class:`~symparams.components.moa.MixtureOfAttention` (E query/output
experts of H_kv*d_h, k per token, shared ``kv_proj`` and an output bias of D), an RMSNorm
and the MLP mixture (a ``router`` D -> E, E experts with ``input_linear`` D -> 2F, gate and
up in one, and ``output_linear`` F -> D, k per token, plus an output bias of D); a final
RMSNorm; the head, tied to the embedding by default. Both mixtures share E
(``num_local_experts``) and k (``num_experts_per_tok``); H_kv is ``num_key_value_heads``
and d_h ``kv_channels`` (also read as ``head_dim``). ``num_attention_heads`` is H_kv*k
whatever a config says.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Expr, Integer

from ..components import Attention, Block, Composite, Embedding, Linear, Model, MoE, Norm, Parameter, Repeat
from ..components.base import ZERO
from ..components.moa import MixtureOfAttention
from ..components.routing import Routing
from ..components.saving import DEFAULT, Saving, activation_saves, not_modelled
from ..config import Config, Field, Fields
from ..spec import AtMost, Spec
from ..symbols import B, D, E, F, H_kv, L, V, d_h, k
from ._deepseek_vocab import check_padding, pad_field
from .activations import activation
from .registry import Family

__all__ = ["FAMILY", "FIELDS", "from_config"]

# transformers 5.x JetMoeConfig
FIELDS = Fields(
    Field("vocab_size", 32000),
    Field("hidden_size", 2048),
    Field("num_hidden_layers", 12),
    Field("num_key_value_heads", 16),
    Field("kv_channels", 128, aliases=("head_dim",)),
    Field("intermediate_size", 5632),
    Field("max_position_embeddings", 4096),
    Field("activation_function", "silu", kind="str"),
    Field("num_local_experts", 8),
    Field("num_experts_per_tok", 2),
    Field("tie_word_embeddings", True, kind="bool"),
    pad_field(None),
    groups={"embed_tokens": "embedding", "self_attention": "attention", "mlp": "mlp", "input_layernorm": "norm",
            "post_attention_layernorm": "norm", "norm": "norm", "lm_head": "head"},
)


ROUTING = Routing(kind="jetmoe", cast=True)


def _weighted(s: Saving, T: Expr, width: Expr, top_k: Expr) -> Expr:
    """Each routed token's expert output, its gate and the gated output (kept by the merging ``index_add``)."""
    return s.stream(s.width * B * T * top_k * (2 * width + 1))


@dataclass(frozen=True)
class JetMoeMLP(MoE):
    """``JetMoeMoE``: the router (:mod:`~symparams.components.routing`, ``"jetmoe"``), then per routed token
    the gathered input (a*D), the fused ``input_linear`` output (2F: the activation and the product keep its
    halves), the activation's output and the product (F each) and :func:`_weighted`'s a*(2D + 1)."""

    activation: str = "silu"

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or DEFAULT
        if activation_saves(self.activation) != (True, 0):
            raise not_modelled(f"JetMoE experts with the {self.activation!r} activation")
        hidden = s.split(s.width * B * T * self.top_k * 4 * F)
        gathered = s.stream(s.width * B * T * self.top_k * D)
        return (self.routing.router_bytes(s, T, D, self.experts, self.top_k, False) + gathered + hidden
                + _weighted(s, T, D, self.top_k))


@dataclass(frozen=True)
class JetMoeAttention(MixtureOfAttention):
    """``JetMoeAttention``: attention over the k*H_kv query heads of a token's experts, keys and values repeated
    to match (``repeat``, so SDPA too takes them at k*H_kv heads), as :class:`Attention` keeps it; then the
    router's tensors, the gathered input of the query experts (a*D per routed token), their output as the
    ``index_add`` that ungroups it keeps it (a*H_kv*d_h), the output experts' gathered input in place of an
    output projection's, and :func:`_weighted`. Under SDPA the kernel's output is kept besides that gathered
    copy (a*H_kv*d_h per routed token)."""

    def core(self) -> Attention:
        heads = self.top_k * self.kv_heads
        return Attention("attention", D, heads, heads, self.head_dim)

    def activation_bytes(self, T: Expr, saving: Saving | None = None) -> Expr:
        s = saving or DEFAULT
        routed = s.width * B * T * self.top_k
        sdpa = ZERO if s.eager else s.split(routed * self.kv_heads * self.head_dim)
        return (self.core().activation_bytes(T, s) + self.routing.router_bytes(s, T, D, self.experts, self.top_k, True)
                - s.stream(s.width * B * T * D) + s.stream(routed * D) + s.split(routed * self.kv_heads * self.head_dim)
                + sdpa + _weighted(s, T, D, self.top_k))

    def activation_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        return self.core().activation_shared(T, saving)

    def core_shared(self, T: Expr, saving: Saving | None = None) -> dict:
        """The causal mask a checkpointed eager core keeps (selective recomputation), as the core's."""
        return self.core().core_shared(T, saving)


def from_config(cfg: Config) -> Spec:
    vocab, width, layers = cfg.get("vocab_size"), cfg.get("hidden_size"), cfg.get("num_hidden_layers")
    check_padding(cfg, vocab)
    experts, top_k = cfg.get("num_local_experts"), cfg.get("num_experts_per_tok")
    if top_k > experts:
        raise cfg.error("num_experts_per_tok", f"{top_k} exceeds num_local_experts {experts}, which JetMoeConfig refuses")
    act = activation(cfg, "activation_function", cfg.get("activation_function"))
    kv = H_kv * d_h
    attn_expert = Composite("expert", (Linear("input_linear", D, kv, group="attention"),
                                       Linear("output_linear", kv, D, group="attention")),
                            group="attention", label="query and output projection")
    attn = JetMoeAttention(
        "self_attention", Linear("router", D, E, group="attention"), attn_expert, E, k,
        extras=(Linear("kv_proj", D, 2 * kv, group="attention"), Parameter("bias", (D,), group="attention")),
        kv_heads=H_kv, head_dim=d_h, routing=ROUTING,
    )
    mlp_expert = Composite("expert", (Linear("input_linear", D, 2 * F, group="mlp"),
                                      Linear("output_linear", F, D, group="mlp")),
                           group="mlp", label=f"gated MLP ({act}, gate and up fused)")
    mlp = JetMoeMLP("mlp", Linear("router", D, E, group="mlp"), mlp_expert, E, k,
                    extras=(Parameter("bias", (D,), group="mlp"),), routing=ROUTING, activation=act)
    rms = lambda name: Norm(name, D, kind="rms", weight=True)  # noqa: E731
    block = Block("layer", (rms("input_layernorm"), attn, rms("post_attention_layernorm"), mlp),
                  label="pre-norm block (mixture of attention heads, mixture of experts)")
    tree = Model("jetmoe", (Embedding("embed_tokens", V, D), Repeat("layers", L, block), rms("norm"),
                            Linear("lm_head", D, V, tied=cfg.get("tie_word_embeddings"), group="head")),
                 label="JetMoE decoder")
    values = {V: vocab, D: width, L: layers, H_kv: cfg.get("num_key_value_heads"), d_h: cfg.get("kv_channels"),
              F: cfg.get("intermediate_size"), E: experts, k: top_k}
    return Spec(
        name=f"jetmoe (D={width}, L={layers})",
        family="jetmoe",
        tree=tree,
        values=tuple((s, Integer(v)) for s, v in values.items()),
        constraints=(AtMost(k, E, "a token picks k of the E experts"),),
    )


FAMILY = Family(
    name="jetmoe",
    summary="JetMoE: a mixture of attention heads and a mixture of MLP experts per block",
    model_types=("jetmoe",),
    rope_head="given",
    fields=FIELDS,
    build=from_config,
    refused="null sizes (transformers cannot build them); num_experts_per_tok above num_local_experts",
)
