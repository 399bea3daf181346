"""FLOPs readings checked against what PyTorch executes, for every family.

The reference is an executed transformers forward pass, never the tree:

* dense layers and attention: ``torch.utils.flop_counter.FlopCounterMode`` over a
  forward pass with eager attention (the full T x T scores, then a mask), on the meta
  device, which propagates shapes without computing values (on the CPU where the forward
  pass needs values);
* routed experts: run eagerly (``experts_implementation="eager"``, one matmul per expert
  over the tokens the router really sent it; FlopCounterMode does not see the grouped
  kernel), on the CPU with small random weights, since routing needs values; forward
  hooks on the experts modules count the (token, expert) pairs routed, times one expert's
  weights, and that count must equal FlopCounterMode's inside them;
* where the reference executes more than a token needs, by its own design, the
  difference is computed exactly from transformers' code and named in the test: Llama 4
  runs all E experts on every token (hooks count the k routed), the Gated DeltaNet of
  Qwen3-Next and Qwen3.5 works in whole 64-token chunks (``gated_delta_extra_flops``),
  and the Mamba families' is in tests/test_families_ssm.py;
* the causal reading: no executed kernel here skips masked blocks, so its reference is
  the pairs a causal mask keeps, enumerated from the config (position i meets i + 1 keys).

Every drawn config is one ``strategies.CONFIGS`` registers, so each family added there
is checked here too.
"""

from __future__ import annotations

import pytest
from budget import examples
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from symparams.families import FAMILIES, from_dict
from symparams.flops import flops
from symparams.verify import model_class

from strategies import CONFIGS

torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[verify]')")
transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[verify]')")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

# Where the executed reference does other work than the reading counts, by design of the
# reference implementation, not of the model; each is checked against its own reference
# below (or in tests/test_families_ssm.py), the difference computed exactly:
EXECUTED_OTHERWISE = {
    # transformers' Llama4TextExperts multiplies every token through all E experts (one
    # bmm) and zeroes the unrouted ones; the reading counts the k experts a token uses.
    # test_llama4_executes_every_expert_on_every_token adds back the E - k it does not.
    "llama4_text": "runs all E experts on every token",
    # Its vision-language wrapper runs that decoder, and cannot run text alone (transformers 5.24's output for it
    # has no image_outputs): the decoder is checked above, the wrapper's tower in tests/test_families_vision.py.
    "llama4": "runs all E experts on every token",
    # The reference Gated DeltaNet kernel works in whole chunks of 64 tokens and its
    # convolution computes K_c - 1 outputs it drops; the reading counts the recurrent
    # per-token cost, which is what a token needs.
    # test_gated_deltanet_executes_whole_chunks adds exactly that work.
    "qwen3_next": "processes linear attention in whole chunks of 64 tokens",
    "qwen3_5_text": "processes linear attention in whole chunks of 64 tokens",
    "qwen3_5_moe_text": "processes linear attention in whole chunks of 64 tokens",
    # Their vision-language wrappers run that decoder and nothing else for text: tests/test_families_vision.py
    # checks a text forward pass of each executes what its decoder alone executes.
    "qwen3_5": "its decoder processes linear attention in whole chunks of 64 tokens",
    "qwen3_5_moe": "its decoder processes linear attention in whole chunks of 64 tokens",
    # Their rotary embedding splits each head by the rope table's mrope_section ([16, 24, 24] where a file states
    # none, which fits heads of 128 alone): tests/test_families_vision.py runs them with a section that fits.
    "qwen2_vl": "its rotary embedding needs an mrope_section that fits the head",
    "qwen2_5_vl": "its rotary embedding needs an mrope_section that fits the head",
    # transformers' eager Mamba paths compute K_c - 1 convolution outputs they drop (more when
    # a cache pads a short prompt), and Mamba-2's pads T to whole chunks and passes states
    # between chunks with one (c+1)^2 einsum: per-sequence work the per-token reading leaves
    # out. tests/test_families_ssm.py checks T x the reading plus exactly that work
    # (strategies.ssm.eager_extra_flops) against FlopCounterMode.
    **dict.fromkeys(("mamba", "mamba2", "jamba", "falcon_h1", "bamba", "granitemoehybrid", "nemotron_h", "zamba2"),
                    "adds per-sequence convolution padding (and, in Mamba-2, chunk padding and state passing)"),
}
TYPES = sorted(t for t in CONFIGS if t in FAMILIES.by_type and t not in EXECUTED_OTHERWISE)


def _model(config: dict, device: str):
    data = {k: v for k, v in config.items() if k != "model_type"}
    tcfg = transformers.AutoConfig.for_model(config["model_type"], **data)
    with torch.device(device):
        # eager experts: a loop over the experts the router chose; the grouped-matmul kernel
        # wants 16-byte strides, which sizes this small rarely give
        name = model_class(config["model_type"])  # a vision-language file's class, not its decoder alone
        if name is not None:
            return getattr(transformers, name)._from_config(tcfg, attn_implementation="eager",
                                                            experts_implementation="eager")
        return transformers.AutoModelForCausalLM.from_config(tcfg, attn_implementation="eager",
                                                             experts_implementation="eager")


def _head_dim(tcfg) -> int:
    return getattr(tcfg, "head_dim", None) or tcfg.hidden_size // tcfg.num_attention_heads


# The width transformers rotates, for the families whose configs may make it odd.
ROTARY_WIDTH = {
    "gptj": lambda c: c.rotary_dim or _head_dim(c),
    "phi": lambda c: int(_head_dim(c) * c.rope_parameters["partial_rotary_factor"]),
    "falcon": lambda c: None if c.alibi else _head_dim(c),
    "mllama": lambda c: _head_dim(c.text_config),  # its text model's heads, D / H (a stated head_dim: the same)
    "falcon_h1": _head_dim,
    "granitemoehybrid": lambda c: _head_dim(c) if c.position_embedding_type == "rope" else None,
}


def unrunnable(config: dict) -> str | None:
    """Why transformers' forward pass cannot be the reference for ``config``, if it cannot.

    RoPE rotates pairs of dimensions: transformers' cos and sin tables are ceil(r/2) * 2
    wide, so an odd rotary width r either fails to broadcast against the query (r > 1) or
    silently widens the query and key to two columns (r = 1), and the executed scores are
    not those of the configured heads. A rotary width above the head size does not
    broadcast either, nor does old-layout Falcon's split of the fused projection when
    ``num_kv_heads`` differs from H, nor phi's D/H-wide q/k norms over other head sizes.
    """
    width = ROTARY_WIDTH.get(config["model_type"])
    if width is None:
        return None
    data = {k: v for k, v in config.items() if k != "model_type"}
    tcfg = transformers.AutoConfig.for_model(config["model_type"], **data)
    if (config["model_type"] == "falcon" and not tcfg.new_decoder_architecture and not tcfg.multi_query
            and tcfg.num_kv_heads != tcfg.num_attention_heads):
        return "old-layout Falcon splits H key heads, then reshapes them to num_kv_heads"
    if (config["model_type"] == "phi" and tcfg.qk_layernorm
            and _head_dim(tcfg) != tcfg.hidden_size // tcfg.num_attention_heads):
        return "phi's q/k LayerNorms are D/H wide, its heads head_dim wide"
    r = width(tcfg)
    if r is not None and r > _head_dim(tcfg.get_text_config()):
        return f"a rotary width ({r}) above the head size"
    return f"an odd rotary width ({r})" if r is not None and r % 2 else None


def runnable(config: dict, seq: int) -> dict:
    """``config`` with the fields transformers' forward pass cannot run replaced by ones of the same FLOPs.

    * Falcon's ``num_ln_in_parallel_attn`` = 2 without ``new_decoder_architecture`` builds
      ``ln_attn`` and ``ln_mlp`` but its forward reads ``input_layernorm``; one norm instead
      (a LayerNorm does no matmul).
    * Falcon's ``new_decoder_architecture`` with ``parallel_attn`` false or null builds ``input_layernorm``
      and ``post_attention_layernorm`` but its forward reads ``ln_attn`` (two norms, the default) or
      never sets the MLP's input (one norm); the parallel block runs the same attention and MLP matmuls.
    * OLMo 3 with a null ``sliding_window``: its forward builds the sliding-window mask and
      stops without a window; eager attention computes all T x T scores whatever the
      window, so any window (here T) runs the same matmuls.
    * Gemma 4 with key/value-sharing layers and no per-layer inputs (``hidden_size_per_layer_input`` 0): before
      those layers its forward slices the per-layer inputs the model lacks, and fails, for any prompt of more than
      one token; ``output_hidden_states`` turns that slicing off, and the same matmuls run.
    """
    config = dict(config)
    if (config["model_type"] == "gemma4_text" and config.get("num_kv_shared_layers")
            and config.get("hidden_size_per_layer_input") == 0):
        config["output_hidden_states"] = True
    if config["model_type"] == "gemma4" and isinstance(config.get("text_config"), dict):  # the same, in its text config
        text = config["text_config"]
        fixed = runnable({**text, "model_type": "gemma4_text"}, seq)
        config["text_config"] = {**fixed, "model_type": text["model_type"]} if "model_type" in text else \
            {k: v for k, v in fixed.items() if k != "model_type"}
    if (config["model_type"] == "falcon" and config.get("num_ln_in_parallel_attn") == 2
            and not config.get("new_decoder_architecture")):
        config["num_ln_in_parallel_attn"] = 1
    if (config["model_type"] == "falcon" and config.get("new_decoder_architecture")
            and "parallel_attn" in config and not config["parallel_attn"]):
        config["parallel_attn"] = True
    if config["model_type"] == "olmo3" and "sliding_window" in config and config["sliding_window"] is None:
        config["sliding_window"] = seq
    return config


# The argument through which an experts module's forward takes the router's choice
# (``router_indices``: gpt-oss, whose eager loop is its own).
ROUTER_CHOICE = ("top_k_index", "router_indices")


def _expert_modules(model) -> list:
    """The routed-experts modules, by name: those whose forward takes the router's choice of experts."""
    import inspect

    out = []
    for name, module in model.named_modules():
        try:
            params = inspect.signature(module.forward).parameters
        except (TypeError, ValueError):
            continue
        if any(p in params for p in ROUTER_CHOICE):
            out.append((name, module))
    return out


def _run(config: dict, seq: int, device: str, model=None) -> tuple[int, int]:
    model = _model(config, device) if model is None else model
    # no tensor needs autograd: FlopCounterMode's module tracker then sets no gradient
    # hooks (DBRX's expert weight views under no_grad have requires_grad but no grad_fn)
    model.requires_grad_(False)
    ids = torch.zeros((1, seq), dtype=torch.long, device=device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(input_ids=ids)
    counts = counter.get_flop_counts()
    root = type(model).__name__
    inside = sum(sum(counts.get(f"{root}.{name}", {}).values()) for name, _ in _expert_modules(model))
    return counter.get_total_flops() - inside, inside


def executed(config: dict, seq: int) -> tuple[int, int]:
    """(FLOPs FlopCounterMode sees outside the routed experts, and inside them).

    On the meta device when the forward pass runs there; on the CPU, with small random
    weights, when it needs values (routed experts, JetMoE's mixture of attention heads).
    """
    config = runnable(config, seq)
    meta = _model(config, "meta")
    if not _expert_modules(meta):
        try:
            return _run(config, seq, "meta", meta)
        except (NotImplementedError, RuntimeError) as err:
            if "meta" not in str(err):
                raise
    return _run(config, seq, "cpu")


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TYPES)
def test_exact_forward_flops_equal_what_pytorch_executes(model_type):
    """For random small configs and contexts, exact forward FLOPs x T equal the executed forward pass, to the FLOP."""

    @settings(max_examples=examples(8), deadline=None, suppress_health_check=list(HealthCheck))
    @given(config=CONFIGS[model_type], seq=st.integers(1, 24))
    def check(config, seq):
        assume(unrunnable(config) is None)
        spec = from_dict(config)
        seen, experts = executed(config, seq)
        assert flops(spec, seq, "exact").forward * seq == seen + experts

    check()


def _counted(config: dict, seq: int, device: str = "cpu", hooks=None, **inputs):
    """(FlopCounterMode after a forward pass of ``config`` over ``seq`` tokens, the model).

    ``hooks(model)``, if given, registers forward hooks before the pass; ``inputs`` go to
    the forward pass beside the token ids.
    """
    model = _model(runnable(config, seq), device)
    model.requires_grad_(False)
    if hooks is not None:
        hooks(model)
    ids = torch.zeros((1, seq), dtype=torch.long, device=device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(input_ids=ids, **inputs)
    return counter, model


def _llama4_unrouted_flops(model, seq: int, routed: list[int]) -> int:
    """FLOPs Llama4TextExperts spends on experts the router did not pick: (E x T - routed) x one expert.

    One expert's matmuls cost 2 x its weight elements per token (gate_up_proj D x 2F,
    down_proj F x D), read off transformers' tensors, E of them stacked.
    """
    total = 0
    experts = [m for m in model.modules() if type(m).__name__ == "Llama4TextExperts"]
    assert len(experts) == len(routed)
    for module, used in zip(experts, routed):
        e = module.num_experts
        one = (module.gate_up_proj.numel() + module.down_proj.numel()) // e
        total += (e * seq - used) * 2 * one
    return total


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(config=CONFIGS["llama4_text"], seq=st.integers(1, 24))
def test_llama4_executes_every_expert_on_every_token(config, seq):
    """Executed = T x exact + the unrouted experts' matmuls, which transformers runs and zeroes.

    Llama4TextMoe repeats every token E times, scales each copy by its router score
    (sigmoid of the top-k logits, 0 for the E - k others) and multiplies all E x T rows
    through the stacked experts in one bmm. A token needs only the k experts it is routed
    to, so the reading counts k; the E - k zero-scaled copies are the reference's doing.
    A forward hook on each router counts the (token, expert) pairs with a nonzero score:
    exactly k per token, so the difference is (E - k) x T x one expert's matmuls per MoE
    layer, read off transformers' weight shapes.
    """
    assume(unrunnable(config) is None)
    routed: list[int] = []

    def hooks(model):
        for m in model.modules():
            if type(m).__name__ == "Llama4Router":
                m.register_forward_hook(lambda mod, args, out: routed.append(int((out[0] > 0).sum())))

    counter, model = _counted(config, seq, hooks=hooks)
    k = model.config.num_experts_per_tok
    assert routed == [seq * k] * len(routed)
    extra = _llama4_unrouted_flops(model, seq, routed)
    assert counter.get_total_flops() == flops(from_dict(config), seq, "exact").forward * seq + extra


# transformers' torch_chunk_gated_delta_rule's default chunk, which the layers use
DELTA_CHUNK = 64


def gated_delta_extra_flops(model, seq: int) -> int:
    """Per-sequence FLOPs transformers' chunked Gated DeltaNet adds to T x the per-token reading.

    The reading counts the delta rule as a token needs it, what the recurrent form
    executes: three d_lk x d_lv products per value head (k^T S, the outer-product write,
    q^T S), 6*d_lk*d_lv FLOPs. transformers' recurrent torch path
    (``torch_recurrent_gated_delta_rule``) computes them with element-wise products and
    sums, which FlopCounterMode does not see, and runs only for one-token decoding; a
    forward pass over a prompt runs ``torch_chunk_gated_delta_rule``, whose work is
    matmuls FlopCounterMode counts. Per layer, read off its code, with H_v value heads
    (queries and keys repeated up to H_v), C = 64 and c = ceil(T/C) chunks of the
    zero-padded sequence, per head and chunk:

    * (βK)K^T and QK^T: 2*C^2*d_lk each;
    * the state read by the decayed keys and by the queries, and the state update
      K^T V_new: 2*C*d_lk*d_lv each (the three products of the rule, on C tokens);
    * the intra-chunk attention times the new values: 2*C^2*d_lv.

    The triangular solves are not matmuls FlopCounterMode counts. So the rule executes
    H_v*c*C*(4*C*d_lk + 2*C*d_lv + 6*d_lk*d_lv), of which the reading has
    H_v*T*6*d_lk*d_lv. Its causal convolution (``F.conv1d`` with padding K_c - 1) also
    computes K_c - 1 outputs more than the T it keeps, over max(T, K_c) columns when the
    generation cache first pads a short prompt to K_c: 2*channels*K_c*(extra columns).
    """
    total = 0
    cache = bool(model.config.use_cache)
    for m in model.modules():
        if not type(m).__name__.endswith("GatedDeltaNet"):
            continue
        heads, dk, dv = m.num_v_heads, m.head_k_dim, m.head_v_dim
        kernel, channels = m.conv_kernel_size, m.conv_dim
        chunks = -(-seq // DELTA_CHUNK)
        executed = heads * chunks * DELTA_CHUNK * (4 * DELTA_CHUNK * dk + 2 * DELTA_CHUNK * dv + 6 * dk * dv)
        columns = max(seq, kernel) if cache else seq
        total += executed - heads * seq * 6 * dk * dv + 2 * channels * kernel * (columns + kernel - 1 - seq)
    return total


def _hybrid(model_type: str) -> dict:
    """A small hybrid of ``model_type``: one Gated DeltaNet layer (4 value heads over 2 key heads), one attention layer."""
    cfg = {"model_type": model_type, "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32,
           "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8, "intermediate_size": 12,
           "layer_types": ["linear_attention", "full_attention"], "linear_num_key_heads": 2,
           "linear_num_value_heads": 4, "linear_key_head_dim": 4, "linear_value_head_dim": 6,
           "linear_conv_kernel_dim": 4}
    if model_type != "qwen3_5_text":
        cfg.update(num_experts=3, num_experts_per_tok=2, moe_intermediate_size=6, shared_expert_intermediate_size=5)
    return cfg


@pytest.mark.parametrize("model_type", ["qwen3_next", "qwen3_5_text", "qwen3_5_moe_text"])
def test_gated_deltanet_executes_whole_chunks(model_type):
    """Executed = T x exact + the chunked kernel's padding and intra-chunk work (``gated_delta_extra_flops``).

    Drawn configs (with or without linear-attention layers; these families are checked
    nowhere else against an executed pass) and a fixed hybrid at contexts of 2 (shorter
    than the convolution, so the cache pads it), 64 (one whole chunk) and 70 (two chunks).
    """

    @settings(max_examples=examples(4), deadline=None, suppress_health_check=list(HealthCheck))
    @given(config=CONFIGS[model_type], seq=st.integers(1, 80))
    @example(config=_hybrid(model_type), seq=2)
    @example(config=_hybrid(model_type), seq=64)
    @example(config=_hybrid(model_type), seq=70)
    def check(config, seq):
        counter, model = _counted(config, seq, "meta" if not _expert_modules(_model(config, "meta")) else "cpu")
        assert counter.get_total_flops() == (flops(from_dict(config), seq, "exact").forward * seq
                                             + gated_delta_extra_flops(model, seq))

    check()


# Families with routed experts whose experts module takes the router's choice (see
# ROUTER_CHOICE). Llama 4's runs every expert on every token and has its own test above;
# JetMoE's experts take per-expert token counts, not the choice, and are checked by the
# total in test_exact_forward_flops_equal_what_pytorch_executes.
MOE_TYPES = ("dbrx", "deepseek_v2", "deepseek_v3", "deepseek_v32", "mistral4", "ernie4_5_moe", "glm4_moe", "gpt_oss",
             "granitemoe", "granitemoeshared", "jamba", "mixtral", "nemotron_h", "olmoe", "phimoe", "qwen2_moe",
             "qwen3_5_moe_text", "qwen3_moe", "qwen3_next")


def _routed_work(module, args, kwargs, output, into: list[int]) -> None:
    """Forward hook: 2 x (tokens the router sent in) x (one expert's weight elements), appended to ``into``.

    Tokens sent in are the router's choices naming one of the module's E experts (an index
    of E or above marks a slot no expert takes); one expert's weights are the module's
    matrices (biases are not matmuls) divided by E, however it stacks them.
    """
    import inspect

    bound = inspect.signature(module.forward).bind(*args, **kwargs).arguments
    choice = next(bound[name] for name in ROUTER_CHOICE if name in bound)
    experts = module.num_experts
    routed = int(((choice >= 0) & (choice < experts)).sum())
    weights = sum(p.numel() for name, p in module.named_parameters() if not name.endswith("bias"))
    assert weights % experts == 0
    into.append(2 * routed * weights // experts)


# Drawn Jamba configs rarely place an expert layer among their few layers; this one has two.
MOE_EXAMPLES = {
    "jamba": {"model_type": "jamba", "hidden_size": 8, "num_hidden_layers": 4, "vocab_size": 20,
              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 6, "num_experts": 3,
              "num_experts_per_tok": 2, "attn_layer_period": 2, "attn_layer_offset": 1, "expert_layer_period": 2,
              "expert_layer_offset": 0, "mamba_d_state": 3, "mamba_d_conv": 2, "mamba_expand": 3,
              "mamba_dt_rank": 2},
}


@pytest.mark.parametrize("model_type", MOE_TYPES)
def test_routed_and_shared_experts_cost_what_they_execute(model_type):
    """The reading's routed experts equal their hook-counted work, and its shared experts theirs.

    Top-k routing sends every token to k experts, whichever they are, so the reading's
    routed experts per token are k x one expert's matmuls per MoE layer. The reference:
    a forward hook on each experts module counts the (token, expert) pairs the router
    really sent in, times one expert's weights (``_routed_work``); FlopCounterMode, which
    sees the eager experts' per-expert matmuls, must measure the same inside those
    modules, so the hooks count what runs. Shared experts (every token passes them) are
    the modules named as the tree names them, measured by FlopCounterMode alone.
    """
    from symparams.components.mlp import MoE

    @settings(max_examples=examples(4), deadline=None, suppress_health_check=list(HealthCheck))
    @given(config=CONFIGS[model_type], seq=st.integers(1, 16))
    def check(config, seq):
        spec = from_dict(config)
        moes = [(copies, node) for copies, node in spec.tree.token_walk() if isinstance(node, MoE)]
        routed_reading = sum(int(spec.value(c * node.top_k * 2 * node.expert.matmul())) for c, node in moes)
        shared_reading = sum(int(spec.value(c * 2 * node.shared.matmul())) for c, node in moes if node.shared)
        shared_names = {node.shared.name for _, node in moes if node.shared}
        hooked: list[int] = []

        def hooks(model):
            for _, module in _expert_modules(model):
                module.register_forward_hook(
                    lambda m, a, kw, out: _routed_work(m, a, kw, out, hooked), with_kwargs=True)

        # no generation cache: transformers' cache refuses a Nemotron-H of Mamba layers only
        counter, model = _counted(config, seq, hooks=hooks, use_cache=False)
        counts = counter.get_flop_counts()
        root = type(model).__name__

        def measured(names) -> int:
            return sum(sum(counts.get(f"{root}.{name}", {}).values()) for name in names)

        assert sum(hooked) == measured(name for name, _ in _expert_modules(model))
        assert routed_reading * seq == sum(hooked)
        shared = [name for name, _ in model.named_modules() if name.rsplit(".", 1)[-1] in shared_names]
        assert shared_reading * seq == measured(shared)

    if model_type in MOE_EXAMPLES:
        check = example(config=MOE_EXAMPLES[model_type], seq=7)(check)
    check()


def causal_pairs(seq: int, window: int | None = None) -> int:
    """(query, key) pairs a causal mask keeps, counted one position at a time (the last ``window`` keys each)."""
    return sum(i + 1 if window is None else min(i + 1, window) for i in range(seq))


@pytest.mark.parametrize("model_type", ["llama", "gpt2", "qwen2"])
def test_causal_reading_counts_the_pairs_a_causal_mask_keeps(model_type):
    """--causal removes from exact exactly the score and value FLOPs of the masked pairs (a sliding layer's window too)."""

    @settings(max_examples=examples(20), deadline=None, suppress_health_check=list(HealthCheck))
    @given(config=CONFIGS[model_type], seq=st.integers(1, 64))
    def check(config, seq):
        spec = from_dict(config)
        model = _model(config, "meta")
        layers = [m for m in model.modules() if hasattr(m, "head_dim") and hasattr(m, "config")
                  and type(m).__name__.endswith("Attention")]
        heads = model.config.num_attention_heads
        head_dim = layers[0].head_dim
        kinds = getattr(model.config, "layer_types", None) or ["full_attention"] * len(layers)
        windows = [model.config.sliding_window if kind == "sliding_attention" else None for kind in kinds]
        saved = sum(2 * 2 * heads * head_dim * (seq * seq - causal_pairs(seq, w)) for w in windows)
        full, causal = flops(spec, seq, "exact").forward * seq, flops(spec, seq, "exact", causal=True).forward * seq
        assert full - causal == saved

    check()


@pytest.mark.parametrize("model_type", ["llama", "gpt2", "qwen2", "gpt_neox"])
def test_training_flops_against_the_three_times_forward_convention(model_type):
    """Forward plus backward, executed, costs exactly 3x the exact forward in matmul FLOPs.

    Each matmul's backward is two matmuls of the same size (the input's gradient and the
    weight's), the score and value matmuls included, so FlopCounterMode measures exactly
    3x. What it does not count are not matmuls: the embedding's gradient (a scatter-add),
    the loss, the softmax and the norms, as the convention leaves them out too.
    """
    config = {"model_type": model_type, **CONFIGS_SMALL[model_type]}
    seq = 16
    model = _model(config, "cpu")
    ids = torch.zeros((1, seq), dtype=torch.long)
    with FlopCounterMode(display=False) as fwd:
        model(input_ids=ids)
    with FlopCounterMode(display=False) as both:
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
    assert both.get_total_flops() == 3 * fwd.get_total_flops()
    assert fwd.get_total_flops() == flops(from_dict(config), seq, "exact").forward * seq


CONFIGS_SMALL = {
    "llama": {"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "vocab_size": 128},
    "gpt2": {"n_embd": 64, "n_layer": 2, "n_head": 4, "vocab_size": 128, "n_positions": 64},
    "qwen2": {"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4,
              "num_key_value_heads": 2, "vocab_size": 128},
    "gpt_neox": {"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 128},
}
