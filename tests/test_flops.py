"""FLOPs conventions: each checked against the published formula applied to an independent shape count."""

from __future__ import annotations

import json
from fractions import Fraction
from math import prod

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams import SymparamsError, model
from symparams.cli import main
from symparams.components import MLP, Attention, Block, Embedding, Linear, Model, MoE, Norm, Repeat
from symparams.families import from_dict
from symparams.flops import CONVENTIONS, at_context, components, dominance, flops, flops_sensitivity, flops_table
from symparams.spec import Spec
from symparams.symbols import D, E, F, H, H_kv, L, T, V, d_h, k

from oracle import nanochat_count, nanochat_shapes
from strategies import nanochat_configs, spec_of

seqs = st.integers(1, 200_000)


def matmul_weights(c) -> int:
    """Weights of every 2-D matrix a token multiplies (the embedding lookup multiplies nothing)."""
    return sum(prod(shape) for name, shape in nanochat_shapes(c) if len(shape) == 2 and name != "wte")


def scores(c, seq: int) -> int:
    """QK^T and AV per token: 2 matmuls x 2*T*H*d_h, every layer."""
    return 2 * 2 * seq * c.heads * c.head_dim * c.layers


def causal_scores(c, seq: int) -> int:
    """QK^T and AV per token under a causal mask that skips: query i meets i + 1 keys, summed over i."""
    pairs = sum(i + 1 for i in range(seq))
    total = Fraction(2 * 2 * pairs * c.heads * c.head_dim * c.layers, seq)
    assert total.denominator == 1
    return int(total)


@settings(max_examples=60)
@given(nanochat_configs(), seqs, st.booleans())
def test_exact_forward_is_two_flops_per_matmul_weight_plus_the_attention_term(c, seq, causal):
    """exact forward FLOPs = 2 x the multiplied weights of nanochat's shapes + the score/value matmuls
    (over the pairs a causal mask keeps, when causal).

    The shapes come from the independent oracle, so an output projection sized with
    H_kv instead of H (the GQA bug class) would disagree here.
    """
    got = flops(spec_of(c), seq, "exact", causal)
    attention = causal_scores(c, seq) if causal else scores(c, seq)
    assert got.forward == 2 * matmul_weights(c) + attention
    assert got.train == 3 * got.forward


@settings(max_examples=40)
@given(nanochat_configs(), seqs)
def test_published_conventions_applied_to_the_shape_count(c, seq):
    """kaplan, palm, 6n and chinchilla equal their papers' formulas evaluated on the oracle's numbers."""
    spec = spec_of(c)
    n = nanochat_count(c)
    emb = c.vocab * c.width
    d_attn = c.heads * c.head_dim
    got = {r.convention.name: r for r in flops_table(spec, seq)}
    assert got["kaplan"].forward == 2 * (n - 2 * emb) + 2 * c.layers * seq * d_attn
    assert got["palm"].train == 6 * (n - emb) + 12 * c.layers * c.heads * c.head_dim * seq
    assert got["6n"].train == 6 * n
    chinchilla = 2 * emb + 2 * matmul_weights(c) + scores(c, seq) + 3 * c.heads * seq * c.layers
    assert got["chinchilla"].forward == chinchilla


@settings(max_examples=30)
@given(st.integers(1, 8), st.integers(1, 48), st.integers(1, 50_000), st.integers(1, 8192))
def test_kaplan_table_one_for_the_architecture_it_describes(heads, layers, vocab, seq):
    """For Kaplan's architecture (MHA, d_ff = 4 d_model, no biases) C_fwd = 2 * 12 L D^2 + 2 L T D."""
    width = 64 * heads
    spec = model("nanochat", depth=1, V=vocab, D=width, L=layers, H=heads)
    assert flops(spec, seq, "kaplan").forward == 2 * 12 * layers * width**2 + 2 * layers * seq * width


@st.composite
def hand_trees(draw):
    """A tree built from components with the options nanochat lacks: a tied head, norm weights, biases, MoE."""
    heads = draw(st.integers(1, 16))
    kv = draw(st.sampled_from([x for x in range(1, heads + 1) if heads % x == 0]))
    sizes = dict(
        V=draw(st.integers(1, 100_000)), D=draw(st.integers(1, 2048)), L=draw(st.integers(1, 64)),
        H=heads, H_kv=kv, d_h=draw(st.integers(1, 256)), F=draw(st.integers(1, 8192)),
        E=draw(st.integers(1, 16)),
    )
    sizes["k"] = draw(st.integers(1, sizes["E"]))
    opts = dict(tied=draw(st.booleans()), moe=draw(st.booleans()), gated=draw(st.booleans()),
                bias=draw(st.booleans()), norm_weight=draw(st.booleans()))
    return sizes, opts


def build(sizes, opts) -> Spec:
    ffn = MLP("ffn", D, F, gated=opts["gated"], bias=opts["bias"])
    if opts["moe"]:
        ffn = MoE("moe", Linear("router", D, E, group="mlp"), ffn, E, k)
    block = Block("block", (
        Norm("n1", D, weight=opts["norm_weight"]),
        Attention("attn", D, H, H_kv, d_h, qkv_bias=opts["bias"], out_bias=opts["bias"]),
        Norm("n2", D, weight=opts["norm_weight"]),
        ffn,
    ))
    tree = Model("hand", (
        Embedding("wte", V, D),
        Repeat("blocks", L, block),
        Norm("norm_f", D, weight=opts["norm_weight"]),
        Linear("lm_head", D, V, tied=opts["tied"], group="head"),
    ))
    symbols = {"V": V, "D": D, "L": L, "H": H, "H_kv": H_kv, "d_h": d_h, "F": F, "E": E, "k": k}
    return Spec("hand", tree, tuple((symbols[n], sympy.Integer(v)) for n, v in sizes.items()))


def by_hand(s, o, seq):
    """Multiplied weights and active parameters per token, written out for this tree."""
    inner, kv = s["H"] * s["d_h"], s["H_kv"] * s["d_h"]
    attn_w = 2 * s["D"] * inner + 2 * s["D"] * kv
    attn_b = (inner + 2 * kv + s["D"]) if o["bias"] else 0
    mats = 3 if o["gated"] else 2
    ffn_w = mats * s["D"] * s["F"]
    ffn_b = ((mats - 1) * s["F"] + s["D"]) if o["bias"] else 0
    experts = s["k"] if o["moe"] else 1
    router = s["D"] * s["E"] if o["moe"] else 0
    norms = s["D"] if o["norm_weight"] else 0
    matmul = s["L"] * (attn_w + router + experts * ffn_w) + s["D"] * s["V"]
    table = s["V"] * s["D"]
    active = (table + s["L"] * (attn_w + attn_b + router + experts * (ffn_w + ffn_b) + 2 * norms) + norms
              + (0 if o["tied"] else table))
    attention = 4 * seq * inner * s["L"]
    return matmul, active, table, attention


@settings(max_examples=60)
@given(hand_trees(), seqs)
def test_every_convention_on_trees_with_tied_heads_and_experts(tree, seq):
    """Under MoE only the top-k experts count; a tied head stores nothing yet still multiplies."""
    sizes, opts = tree
    spec = build(sizes, opts)
    matmul, active, table, attention = by_hand(sizes, opts, seq)
    got = {r.convention.name: r for r in flops_table(spec, seq)}
    assert got["exact"].forward == 2 * matmul + attention
    assert got["6n"].forward == 2 * active
    head = table if opts["tied"] else 0
    assert got["palm"].forward == 2 * (active - table + head) + attention
    softmax = 3 * sizes["H"] * seq * sizes["L"]
    assert got["chinchilla"].forward == 2 * table + 2 * matmul + attention + softmax
    assert got["kaplan"].forward == 2 * (active - table - (0 if opts["tied"] else table)) + attention // 2


@settings(max_examples=40)
@given(hand_trees(), seqs, st.booleans())
def test_components_add_up_to_the_exact_total(tree, seq, causal):
    """The per-component FLOPs partition the exact forward count, and the closed form evaluates to it."""
    spec = build(*tree)
    rows = components(spec, seq, causal)
    got = flops(spec, seq, "exact", causal)
    assert sum(v for _, _, v in rows) == got.forward
    assert got.forward_form.xreplace(at_context(spec, seq).env) == got.forward


@settings(max_examples=40)
@given(nanochat_configs(), st.integers(2, 50_000))
def test_causal_masking_saves_the_score_and_value_work_of_the_masked_pairs(c, seq):
    """exact - exact(causal) = 4*H*d_h per masked (query, key) pair per layer, T(T-1)/2 pairs over T
    tokens, and no other convention accepts the flag."""
    spec = spec_of(c)
    masked = Fraction(seq * (seq - 1), 2 * seq)
    assert flops(spec, seq).forward - flops(spec, seq, causal=True).forward == 4 * c.heads * c.head_dim * c.layers * masked
    for name in CONVENTIONS:
        if name != "exact":
            with pytest.raises(SymparamsError):
                flops(spec, seq, name, causal=True)


@settings(max_examples=60)
@given(layers=st.integers(1, 4), heads=st.integers(1, 8), head_dim=st.integers(1, 8).map(lambda n: 2 * n),
       window=st.integers(1, 40),
       seq=st.integers(1, 120))
def test_a_causal_window_counts_min_of_position_and_window_keys_per_query(layers, heads, head_dim, window, seq):
    """Under --causal with a window W, query i meets min(i + 1, W) keys: the sequence's FLOPs are whole even
    where the per-token average is a fraction, and that fraction is kept exact, never rounded."""
    config = {"model_type": "mistral", "num_hidden_layers": layers, "num_attention_heads": heads,
              "num_key_value_heads": heads, "head_dim": head_dim, "hidden_size": 8, "intermediate_size": 4,
              "vocab_size": 10, "sliding_window": window}
    spec = from_dict(config)
    full, causal = flops(spec, seq), flops(spec, seq, causal=True)
    dropped = seq * seq - sum(min(i + 1, window) for i in range(seq))
    assert full.forward_per_sequence - causal.forward_per_sequence == 4 * heads * head_dim * layers * dropped
    assert causal.forward == Fraction(causal.forward_per_sequence, seq)
    assert isinstance(causal.forward, int) == (causal.forward_per_sequence % seq == 0)
    shown = causal.to_json()["forward_per_token"]
    assert Fraction(shown) == causal.forward and isinstance(shown, int) == isinstance(causal.forward, int)


def test_palm_for_the_guides_d20_at_2048_is_the_published_figure():
    """The guide's nanochat d20 at T = 2048: 3,491,758,080 FLOPs per training token (nanochat's estimate_flops)."""
    assert flops(model("nanochat", depth=20), 2048, "palm").train == 3_491_758_080


def test_training_compute_is_flops_per_token_times_tokens():
    r = flops(model("nanochat", depth=20), 2048, "palm")
    assert r.compute(11_220_000_000) == 3_491_758_080 * 11_220_000_000
    with pytest.raises(SymparamsError):
        r.compute(0)


@settings(max_examples=40)
@given(nanochat_configs(), st.integers(1, 10_000), st.sampled_from(list(CONVENTIONS)), st.integers(1, 64))
def test_flops_derivatives_match_finite_differences(c, seq, convention, step):
    """dC/dT and dC/dD equal exact central differences of recomputed counts (C has degree <= 2 in each)."""
    spec = spec_of(c)
    rows = {r.symbol.name: r for r in flops_sensitivity(spec, seq, convention)}
    f = lambda s, t: flops(s, t, convention).train
    slope = rows["T"].derivative_value if "T" in rows else 0
    assert f(spec, seq + step) - f(spec, seq) == step * slope
    h = c.heads * c.expansion.denominator * step
    if c.width > h:
        up, down = spec.with_values(D=c.width + h), spec.with_values(D=c.width - h)
        assert sympy.Rational(f(up, seq) - f(down, seq), 2 * h) == rows["D"].derivative_value
    total = f(spec, seq)
    for r in rows.values():
        value = at_context(spec, seq).env[r.symbol]
        assert r.elasticity_value == value * r.derivative_value / total


@settings(max_examples=30)
@given(nanochat_configs(), st.integers(1, 100_000))
def test_crossovers_are_where_the_two_sides_really_meet(c, seq):
    """At the solved width the embeddings equal the layers; at the solved context the scores equal the matmuls."""
    spec = spec_of(c)
    dom = dominance(spec, seq)
    groups = spec.breakdown().groups()
    assert dom.embedding_params == groups.get("embedding", 0) + groups.get("head", 0)
    assert dom.embedding_params + dom.layer_params == spec.total
    env = {s: v for s, v in at_context(spec, seq).env.items() if s not in (D, T)}
    if dom.width_crossover is None:
        assert c.bias
        return
    width = dom.width_crossover.xreplace(env)
    assert width == dom.width_crossover_value > 0
    at_width = spec.substitute(spec.tree.params()).xreplace({**env, D: width})
    emb = spec.substitute(sympy.Add(*(m.params() for m in spec.tree.children() if m.group in ("embedding", "head"))))
    assert sympy.simplify(2 * emb.xreplace({**env, D: width}) - at_width) == 0
    context = dom.context_crossover_value
    point = {**at_context(spec, seq).env, T: context}
    assert sympy.simplify(spec.substitute(spec.tree.attention_flops(T) - 2 * spec.tree.matmul()).xreplace(point)) == 0


def test_mlp_dominates_the_guides_d20_and_attention_takes_over_at_long_context():
    d20 = model("nanochat", depth=20)
    short, long = dominance(d20, 2048), dominance(d20, 100_000)
    assert short.mlp_flops > short.attention_flops
    assert long.attention_flops > long.mlp_flops
    assert short.layer_params > short.embedding_params


def test_bad_context_and_convention_are_refused():
    d20 = model("nanochat", depth=20)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(SymparamsError):
            flops(d20, bad)
    with pytest.raises(SymparamsError, match="unknown FLOPs convention"):
        flops(d20, 2048, "gpt4")


def test_cli_json_has_the_issue_keys(capsys):
    assert main(["flops", "nanochat", "--depth", "20", "--seq", "2048", "--convention", "palm", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["train_per_token"] == flops(model("nanochat", depth=20), 2048, "palm").train
    assert out["forward_per_token"] * 3 == out["train_per_token"]
    assert "T" in out["formula"]


def test_cli_table_lists_every_convention_and_nanochat_defaults_its_context(capsys):
    assert main(["flops", "nanochat", "--depth", "20"]) == 0
    out = capsys.readouterr().out
    for name in CONVENTIONS:
        assert f"\n{name} " in out
    assert "T = 2,048" in out
    assert main(["flops", "nanochat", "--json", "--tokens", "1e9", "--sensitivity"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["convention"] for c in data["conventions"]] == list(CONVENTIONS)
    assert all(c["train_total"] == c["train_per_token"] * 10**9 for c in data["conventions"])
    assert {s["symbol"] for s in data["sensitivity"]} >= {"D", "L", "T", "V"}


@pytest.mark.parametrize("argv", [
    ["flops", "nanochat", "--seq", "0"],
    ["flops", "nanochat", "--convention", "gpt4"],
    ["flops", "nanochat", "--convention", "kaplan", "--causal"],
    ["flops", "nanochat", "--seq", "2.5"],
    ["flops", "nanochat", "--tokens", "-5"],
])
def test_cli_refuses_bad_arguments_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err


def preset_config(name: str) -> dict:
    from symparams.config import read_json
    from symparams.presets import PRESETS

    return read_json(PRESETS[name])


def test_mixtral_counts_two_of_its_eight_experts():
    """Mixtral-8x7B: 46.7B parameters, 12.9B active (Mistral AI, 2023); exact FLOPs use the two routed experts only."""
    spec = model("mixtral-8x7b")
    cfg = preset_config("mixtral-8x7b")
    v, d, layers = cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"]
    h, kv, f = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["intermediate_size"]
    experts, top = cfg["num_local_experts"], cfg["num_experts_per_tok"]
    hd = d // h
    seq = 4096
    matmul = layers * (2 * d * h * hd + 2 * d * kv * hd + d * experts + top * 3 * d * f) + d * v
    assert flops(spec, seq).forward == 2 * matmul + 4 * seq * h * hd * layers
    assert round(spec.total / 1e9, 1) == 46.7 and round(spec.active_total / 1e9, 1) == 12.9
    assert flops(spec, seq, "6n").train == 6 * spec.active_total


def test_gpt2_palm_reading_is_nanogpts_estimate_mfu():
    """nanoGPT: 6N + 12*L*H*Q*T with N = get_num_params() (all but the position table; the tied wte counts)."""
    spec = model("gpt2")
    cfg = preset_config("gpt2")
    d, layers, heads, positions = cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["n_positions"]
    n = spec.total - positions * d
    assert flops(spec, 1024, "palm").train == 6 * n + 12 * layers * heads * (d // heads) * 1024


def test_without_seq_flops_uses_the_models_own_context_and_says_so(capsys):
    assert main(["flops", "llama-2-7b"]) == 0
    context = preset_config("llama-2-7b")["max_position_embeddings"]
    assert f"T = {context:,} (the model's context)" in capsys.readouterr().out
    assert main(["flops", "llama-2-7b", "--seq", str(context), "--json"]) == 0
