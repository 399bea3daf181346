"""The RMSNorm families (llama, mistral, mixtral, qwen2, gemma, nanochat) and nanochat-2026.

The heart of it: for random small configs of each model_type, the symbolic count
equals the model transformers builds on the meta device, in total and per group.
Missing fields are left out at random so that transformers' own defaults are
exercised; the test reads those defaults from transformers, not from symparams.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams.cli import main
from symparams.config import DERIVED
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file
from symparams.symbols import D, E, F, H, H_kv, L, V, d_h, e, k

from strategies import CONFIGS
from strategies.existing import RMS_TYPES

FIXTURES = Path(__file__).parent / "fixtures" / "configs"

# Published parameter counts (model cards / papers / the issue). Every one is the
# exact total of the released checkpoint.
PUBLISHED = {
    "llama-2-7b": 6_738_415_616,
    "llama-2-13b": 13_015_864_320,
    "llama-2-70b": 68_976_648_192,
    "llama-3-8b": 8_030_261_248,
    "llama-3-70b": 70_553_706_496,
    "mistral-7b": 7_241_732_096,
    "mixtral-8x7b": 46_702_792_704,
    "qwen2-7b": 7_615_616_512,
    "gemma-2b": 2_506_172_416,
    "gemma-7b": 8_537_680_896,
}
FIXTURE_OF = {
    "llama-2-7b": "llama-2-7b.json",
    "llama-3-8b": "llama-3-8b.json",
    "mistral-7b": "mistral-7b-v0.1.json",
    "mixtral-8x7b": "mixtral-8x7b-v0.1.json",
    "qwen2-7b": "qwen2-7b.json",
    "gemma-7b": "gemma-7b.json",
}


def _need(name: str):
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[verify]')")


def transformers_defaults(model_type: str) -> dict:
    """The field defaults of transformers' config class for ``model_type``."""
    transformers = _need("transformers")
    cls = type(transformers.AutoConfig.for_model(model_type))
    return {f.name: f.default for f in dataclasses.fields(cls)}


def transformers_groups(config: dict, hf_group) -> dict[str, int]:
    """Parameters of transformers' model for ``config`` (built on the meta device), summed per group."""
    torch = _need("torch")
    transformers = _need("transformers")
    data = {k: v for k, v in config.items() if k != "model_type"}
    tcfg = transformers.AutoConfig.for_model(config["model_type"], **data)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(tcfg)
    out: dict[str, int] = {}
    for name, p in model.named_parameters():
        group = hf_group(name)
        out[group] = out.get(group, 0) + p.numel()
    return {g: n for g, n in out.items() if n}


def symbolic_groups(spec) -> dict[str, int]:
    return {g: n for g, n in spec.breakdown().groups().items() if n}


# ---- symbolic == transformers, per family ---------------------------------------


@pytest.mark.parametrize("model_type", RMS_TYPES)
@settings(max_examples=40)
@given(data=st.data())
def test_symbolic_groups_and_total_equal_transformers_meta_model(model_type, data):
    """For any small config of the family, every group and the total equal transformers' model."""
    cfg = data.draw(CONFIGS[model_type], label="config")
    spec = from_dict(cfg)
    theirs = transformers_groups(cfg, FAMILIES.by_type[model_type].group)
    assert symbolic_groups(spec) == theirs
    assert spec.total == sum(theirs.values())


@pytest.mark.parametrize("model_type", RMS_TYPES)
def test_a_config_with_only_its_model_type_gets_transformers_defaults(model_type):
    """Leaving every field out gives transformers' default model, to the parameter."""
    cfg = {"model_type": model_type}
    assert symbolic_groups(from_dict(cfg)) == transformers_groups(cfg, FAMILIES.by_type[model_type].group)


@pytest.mark.parametrize("model_type", RMS_TYPES)
def test_defaults_tables_agree_with_transformers_config_classes(model_type):
    """Each family's table of defaults is transformers' own (a transformers upgrade that moves one fails here)."""
    tf = transformers_defaults(model_type)
    fields = FAMILIES.by_type[model_type].fields
    for field in fields:
        if field.name in tf:
            assert (None if field.default is DERIVED else field.default) == tf[field.name], field.name
    for name in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                 "num_key_value_heads", "tie_word_embeddings", "hidden_act", "max_position_embeddings"):
        assert name in tf and name in fields, name
    ours = fields["head_dim"].default
    assert (None if ours is DERIVED else ours) == tf.get("head_dim")


# ---- published figures, presets and real config files -----------------------------


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_preset_equals_its_published_parameter_count(name):
    assert symparams.model(name).total == PUBLISHED[name]


@pytest.mark.parametrize("name", sorted(FIXTURE_OF))
def test_real_config_json_counts_the_published_figure(name):
    """The full config.json as published counts the same as the preset distilled from it."""
    assert from_file(FIXTURES / FIXTURE_OF[name]).total == PUBLISHED[name]


def test_mixtral_active_parameters_are_the_announced_12_9_billion():
    """Mistral AI announced about 12.9B active parameters per token for Mixtral-8x7B (2 of 8 experts)."""
    spec = symparams.model("mixtral-8x7b")
    assert 12_850_000_000 <= spec.active_total < 12_950_000_000
    assert spec.active_total < spec.total


def test_nanochat_config_from_transformers_counts_as_the_guide_family():
    """nanochat read from a transformers config equals the guide's nanochat family at the same sizes."""
    d20 = {"model_type": "nanochat", "vocab_size": 65536, "hidden_size": 1280, "intermediate_size": 5120,
           "num_hidden_layers": 20, "num_attention_heads": 10}
    assert from_dict(d20).total == 560_988_160 == symparams.model("nanochat", depth=20).total
    assert from_file(FIXTURES / "nanochat-d32.json").total == symparams.model("nanochat", depth=32).total


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_count_json_of_a_preset_has_total_formula_config_components(name, capsys):
    assert main(["count", name, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == PUBLISHED[name]
    for key in ("formula", "config", "components"):
        assert out[key]
    assert ("active" in out) == (name == "mixtral-8x7b")
    top = [c for c in out["components"] if "." not in c["name"]]
    assert sum(c["total"] for c in top) == out["total"]


# ---- closed forms ----------------------------------------------------------------


@pytest.mark.parametrize("head_dim", [None, 64])
@pytest.mark.parametrize("tied", [False, True])
def test_llama_closed_form_is_the_textbook_formula(tied, head_dim):
    """Llama: V*D*(2 or 1 if tied) + L*(2*D*H*d_h + 2*D*H_kv*d_h + 3*D*F + 2*D) + D, where d_h is the
    config's head_dim when it gives one, and follows D/H (kept as d_h in the form) when it leaves it to transformers."""
    cfg = {"model_type": "llama", "tie_word_embeddings": tied}
    if head_dim:
        cfg["head_dim"] = head_dim
    spec = from_dict(cfg)
    expected = V * D * (1 if tied else 2) + L * (2 * D * H * d_h + 2 * D * H_kv * d_h + 3 * D * F + 2 * D) + D
    assert sympy.expand(spec.closed_form - expected) == 0
    assert (d_h in dict(spec.relations)) == (not head_dim)


def test_qwen2_adds_biases_on_q_k_v_only():
    spec = from_dict({"model_type": "qwen2"})
    plain = from_dict({"model_type": "mistral", **{f: int(spec.env[s]) for f, s in (
        ("vocab_size", V), ("hidden_size", D), ("intermediate_size", F), ("num_hidden_layers", L),
        ("num_attention_heads", H), ("num_key_value_heads", H_kv))}})
    assert sympy.expand(spec.closed_form - plain.closed_form) == sympy.expand(L * (H * d_h + 2 * H_kv * d_h))


def test_mixtral_closed_form_counts_every_expert_and_active_counts_k():
    spec = symparams.model("mixtral-8x7b")
    per_layer_mlp = D * E + 3 * E * D * F
    attention = 2 * D * H * d_h + 2 * D * H_kv * d_h
    assert sympy.expand(spec.closed_form - (2 * V * D + L * (attention + per_layer_mlp + 2 * D) + D)) == 0
    active = 2 * V * D + L * (attention + D * E + 3 * k * D * F + 2 * D) + D
    assert sympy.expand(spec.active_form - active) == 0


def test_gemma_7b_heads_are_wider_than_the_model():
    """Gemma-7B: 16 heads of 256 on D = 3,072, so q maps 3,072 to 4,096; tied head stores nothing."""
    spec = symparams.model("gemma-7b")
    q = spec.node("layers.layer.self_attn.q_proj")
    assert spec.count(q) == 3072 * 16 * 256
    assert spec.count(spec.node("lm_head")) == 0
    assert spec.count(spec.node("layers.layer.input_layernorm")) == 3072


def test_heads_that_do_not_divide_the_width_are_refused_or_rounded_down_as_transformers_does():
    """Llama's config refuses H that does not divide D when no head_dim is given; Mistral's takes D // H."""
    with pytest.raises(SymparamsError, match="num_attention_heads"):
        from_dict({"model_type": "llama", "hidden_size": 100, "num_attention_heads": 8})
    cfg = {"model_type": "mistral", "hidden_size": 100, "num_attention_heads": 8, "num_hidden_layers": 1,
           "intermediate_size": 8, "vocab_size": 16}
    spec = from_dict(cfg)
    assert spec.env[d_h] == 12 and any("rounded down" in n for n in spec.notes)
    assert symbolic_groups(spec) == transformers_groups(cfg, FAMILIES.by_type["mistral"].group)
    assert from_dict({**cfg, "num_key_value_heads": 4, "head_dim": 16}).env[d_h] == 16


@pytest.mark.parametrize("cfg, field", [
    ({"model_type": "llama", "hidden_size": 20, "num_attention_heads": 4}, "num_attention_heads"),
    ({"model_type": "llama", "head_dim": 7}, "head_dim"),
    ({"model_type": "mistral", "hidden_size": 42, "num_attention_heads": 6, "num_key_value_heads": 2}, "num_attention_heads"),
    ({"model_type": "gemma", "head_dim": 9}, "head_dim"),
    ({"model_type": "qwen2", "head_dim": 5}, "head_dim"),
])
def test_an_odd_fully_rotary_head_above_four_is_refused_as_transformers_refuses_it(cfg, field):
    """transformers' RoPE check refuses a head of odd size above 4 wherever its config carries head_dim."""
    cfg = {**cfg, "num_hidden_layers": 1, "vocab_size": 16, "intermediate_size": 4}
    with pytest.raises(SymparamsError, match=f"'{field}'.*odd size"):
        from_dict(cfg)
    with pytest.raises(Exception, match="even rotary dimension"):
        transformers_groups(cfg, FAMILIES.by_type[cfg["model_type"]].group)


@pytest.mark.parametrize("cfg, field", [
    ({"model_type": "llama", "num_attention_heads": 16, "num_key_value_heads": 5}, "num_key_value_heads"),
    ({"model_type": "mistral", "hidden_size": 3072, "num_attention_heads": 12}, "num_key_value_heads"),
    ({"model_type": "mixtral", "num_local_experts": 2, "num_experts_per_tok": 3}, "num_experts_per_tok"),
    ({"model_type": "gemma", "head_dim": None}, "head_dim"),
    ({"model_type": "mistral", "num_key_value_heads": None}, "num_key_value_heads"),
    ({"model_type": "mixtral", "num_key_value_heads": None}, "num_key_value_heads"),
    ({"model_type": "qwen2", "head_dim": None}, "head_dim"),
    ({"model_type": "nanochat", "head_dim": None}, "head_dim"),
    ({"model_type": "llama", "attention_bias": None}, "attention_bias"),
    ({"model_type": "llama", "mlp_bias": None}, "mlp_bias"),
    ({"model_type": "gemma", "attention_bias": None}, "attention_bias"),
    ({"model_type": "mixtral", "num_local_experts": None, "num_experts": 4}, "num_local_experts"),
    ({"model_type": "llama", "hidden_size": "4096"}, "hidden_size"),
    ({"model_type": "qwen2", "tie_word_embeddings": 1}, "tie_word_embeddings"),
    ({"model_type": "llama", "num_hidden_layers": 0}, "num_hidden_layers"),
])
def test_invalid_shapes_are_refused_naming_the_field(cfg, field):
    with pytest.raises(SymparamsError, match=field):
        from_dict(cfg)


@pytest.mark.parametrize("experts", [1, 4, 8])
def test_mixtral_reads_num_experts_as_transformers_other_name_for_num_local_experts(experts):
    """MixtralConfig maps ``num_experts`` to ``num_local_experts``: either name sizes E as transformers builds it,
    both with one value agree, and two different values are refused naming both fields."""
    base = json.loads((FIXTURES / "mixtral-8x7b-v0.1.json").read_text())
    base = {**base, "num_hidden_layers": 1, "num_experts_per_tok": 1}
    alone = {k: v for k, v in base.items() if k != "num_local_experts"}
    for doc in ({**alone, "num_experts": experts}, {**base, "num_local_experts": experts, "num_experts": experts}):
        spec = from_dict(doc)
        assert spec.env[E] == experts
        assert spec.total == sum(transformers_groups(doc, FAMILIES.by_type["mixtral"].group).values())
    with pytest.raises(SymparamsError, match=r"'num_local_experts'.*num_local_experts=\d+, num_experts=\d+"):
        from_dict({**base, "num_local_experts": experts, "num_experts": experts + 1})


def test_refusal_on_the_command_line_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mixtral", "num_local_experts": 2, "num_experts_per_tok": 3}))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "num_experts_per_tok" in err


# ---- nanochat-2026 ---------------------------------------------------------------


@settings(max_examples=80)
@given(st.integers(1, 200))
def test_nanochat_2026_sizes_follow_the_depth_rule(depth):
    """D = 128*ceil(depth/2), H = D/128 (d_h = 128), H_kv = H, V = 32,768, F = 4D."""
    spec = symparams.model("nanochat-2026", depth=depth)
    env = {s.name: v for s, v in spec.env.items()}
    assert env["D"] == 128 * -(-depth // 2)
    assert env["H"] * 128 == env["D"] and env["H_kv"] == env["H"] and env["d_h"] == 128
    assert env["V"] == 32768 and env["L"] == depth and env["F"] == 4 * env["D"]


def test_nanochat_2026_closed_form():
    """2VD + L(4+2e)D^2 + ceil(L/2)(VD + 12H) + 2L + 26: embeddings, blocks, value embeddings and gates, scalars."""
    spec = symparams.model("nanochat-2026")
    expected = 2 * V * D + L * (4 + 2 * e) * D**2 + sympy.ceiling(L / 2) * (V * D + 12 * H) + 2 * L + 26
    assert sympy.simplify(spec.closed_form - expected) == 0


def test_nanochat_2026_d24_scaling_parameters_match_nanochat_report():
    """The d24 speedrun's published "scaling" parameters, 729,810,624: nanochat's ``num_scaling_params``
    counts the block matrices (value-embedding gates included, as they sit in attention) plus lm_head."""
    spec = symparams.model("nanochat-2026", depth=24)
    rows = spec.breakdown()
    gates = rows["value_embeds.value_layer.ve_gate"].total
    assert rows["blocks"].total + gates + rows["lm_head"].total == 729_810_624


class _Nanochat2026:
    """The parameter layout of karpathy/nanochat ``gpt.py`` (2026), built with torch modules."""

    @staticmethod
    def build(depth: int):
        torch = _need("torch")
        nn = torch.nn
        width = -(-depth * 64 // 128) * 128
        heads = width // 128
        kv_heads, head_dim, vocab = heads, width // heads, -(-32768 // 64) * 64

        def has_ve(i):
            return i % 2 == (depth - 1) % 2

        class Attn(nn.Module):
            def __init__(self, i):
                super().__init__()
                self.c_q = nn.Linear(width, heads * head_dim, bias=False)
                self.c_k = nn.Linear(width, kv_heads * head_dim, bias=False)
                self.c_v = nn.Linear(width, kv_heads * head_dim, bias=False)
                self.c_proj = nn.Linear(width, width, bias=False)
                self.ve_gate = nn.Linear(12, kv_heads, bias=False) if has_ve(i) else None

        class Mlp(nn.Module):
            def __init__(self):
                super().__init__()
                self.c_fc = nn.Linear(width, 4 * width, bias=False)
                self.c_proj = nn.Linear(4 * width, width, bias=False)

        class Block(nn.Module):
            def __init__(self, i):
                super().__init__()
                self.attn, self.mlp = Attn(i), Mlp()

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.transformer = nn.ModuleDict(
                    {"wte": nn.Embedding(vocab, width), "h": nn.ModuleList(Block(i) for i in range(depth))})
                self.lm_head = nn.Linear(width, vocab, bias=False)
                self.resid_lambdas = nn.Parameter(torch.ones(depth))
                self.x0_lambdas = nn.Parameter(torch.zeros(depth))
                self.smear_gate = nn.Linear(24, 1, bias=False)
                self.smear_lambda = nn.Parameter(torch.zeros(1))
                self.backout_lambda = nn.Parameter(0.2 * torch.ones(1))
                self.value_embeds = nn.ModuleDict(
                    {str(i): nn.Embedding(vocab, kv_heads * head_dim) for i in range(depth) if has_ve(i)})

        with torch.device("meta"):
            return GPT()


@settings(max_examples=30)
@given(st.integers(1, 48))
def test_nanochat_2026_equals_a_pytorch_build_of_its_source_layout(depth):
    net = _Nanochat2026.build(depth)
    spec = symparams.model("nanochat-2026", depth=depth)
    assert spec.total == sum(p.numel() for p in net.parameters())
    value_embeds = sum(p.numel() for p in net.value_embeds.parameters())
    assert spec.breakdown()["value_embeds.value_layer.value_embed"].total == value_embeds


def test_nanochat_2026_value_embeddings_sit_on_alternating_layers_ending_with_the_last():
    for depth in range(1, 12):
        with_ve = [i for i in range(depth) if i % 2 == (depth - 1) % 2]
        spec = symparams.model("nanochat-2026", depth=depth)
        assert spec.breakdown()["value_embeds.value_layer"].copies == len(with_ve)
        assert with_ve[-1] == depth - 1


def test_nanochat_2026_is_a_named_model_with_overrides():
    assert "nanochat-2026" in symparams.names()
    gqa = symparams.model("nanochat-2026", depth=24, H_kv=4)
    full = symparams.model("nanochat-2026", depth=24)
    assert gqa.total < full.total
    with pytest.raises(SymparamsError, match="H_kv"):
        assert symparams.model("nanochat-2026", depth=24, H_kv=5).total


# ---- a head size left to transformers follows D and H --------------------------------

# The config fields each symbol sizes, per model_type (every alias present is set, else the first).
FIELDS = {
    **{t: {"D": ("hidden_size",), "H": ("num_attention_heads",), "H_kv": ("num_key_value_heads",),
           "L": ("num_hidden_layers",)} for t in ("llama", "mistral", "mixtral", "qwen2", "gemma")},
    **{t: {"D": ("n_embd", "hidden_size"), "H": ("n_head", "num_attention_heads"), "L": ("n_layer", "num_hidden_layers")}
       for t in ("gpt2", "gptj")},
    "opt": {"D": ("hidden_size", "word_embed_proj_dim"), "H": ("num_attention_heads",), "L": ("num_hidden_layers",)},
    "bloom": {"D": ("hidden_size", "n_embed"), "H": ("n_head", "num_attention_heads"), "L": ("n_layer", "num_hidden_layers")},
    "falcon": {"D": ("hidden_size", "n_embed"), "H": ("num_attention_heads",), "L": ("num_hidden_layers",)},
    **{t: {"D": ("hidden_size",), "H": ("num_attention_heads",), "L": ("num_hidden_layers",)} for t in ("gpt_neox", "phi")},
}


def _changed_config(name: str, sets: dict[str, int]) -> dict:
    """The preset's config.json with the fields behind ``sets`` changed the way ``--set`` changes the symbols."""
    from symparams.config import read_json
    from symparams.presets import PRESETS

    doc = read_json(PRESETS[name])
    table = _fields_of(name)
    assert table is not None
    for sym, value in sets.items():
        fields = table[sym]
        for field in [f for f in fields if f in doc and doc[f] is not None] or fields[:1]:
            doc[field] = value
    return doc


def _transformers_total(doc: dict) -> int:
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    return sum(n for _, n in meta_parameters(doc))


@pytest.mark.parametrize("sets", [{"H": 16, "H_kv": 16}, {"D": 2048}])
def test_llama_2_7b_with_other_heads_or_width_counts_as_transformers_builds_it(sets, capsys):
    """``count llama-2-7b --set ...``: with no head_dim in its config, d_h is D/H for transformers and here alike.

    Halving the heads of an MHA model leaves its weights unchanged (each head doubles in size), so that
    count is the published Llama-2-7B figure.
    """
    argv = ["count", "llama-2-7b", "--json"] + [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    assert main(argv) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert total == _transformers_total(_changed_config("llama-2-7b", sets))
    if "D" not in sets:
        assert total == PUBLISHED["llama-2-7b"]


def _head_sets(spec) -> list[dict[str, int]]:
    """A narrower width and fewer heads for ``spec``, chosen to keep every rule the family (and RoPE) states."""
    env = {s.name: int(v) for s, v in spec.env.items() if v.is_Integer}
    width, heads = env["D"], env["H"]
    derived = d_h in dict(spec.relations)
    free_kv = H_kv in dict(spec.values)
    kv = env.get("H_kv", heads)
    out = [{"D": heads * 2 * max(1, width // heads // 4)}]
    for h in range(heads - 1, 0, -1):
        if derived and (width % h or (width // h) % 2):  # RoPE needs an even head size
            continue
        if free_kv and kv == heads:
            out.append({"H": h, "H_kv": h})
            break
        if not free_kv or h % kv == 0:
            out.append({"H": h})
            break
    return out


def _fields_of(name: str) -> dict[str, tuple[str, ...]] | None:
    """Where ``--set D/H/H_kv/L`` lands in the preset's config: the table above, or the standard names when the
    config uses them for a model with query heads and one kind of layer (None: Mamba's, latent attention's, and
    stacks whose layer kinds a one-layer build could not keep, which their families' own tests cover)."""
    from symparams.config import read_json
    from symparams.presets import PRESETS

    doc = read_json(PRESETS[name])
    if doc["model_type"] in FIELDS:
        return FIELDS[doc["model_type"]]
    standard = {"D": "hidden_size", "H": "num_attention_heads", "H_kv": "num_key_value_heads", "L": "num_hidden_layers"}
    env = {s.name for s in symparams.model(name).env}
    if not all(k in env for k in ("D", "H", "L")) or any(doc.get(f) is None for f in ("hidden_size", "num_attention_heads")):
        return None
    if any(k.startswith("L_") for k in env) or "layer_types" in doc:
        return None
    return {k: (f,) for k, f in standard.items() if k != "H_kv" or (k in env and f in doc)}


PRESET_HEADS = [(name, sets) for name in sorted(n for n in symparams.names() if not n.startswith("nanochat"))
                if _fields_of(name) is not None for sets in _head_sets(symparams.model(name))]


@pytest.mark.sampled
@pytest.mark.parametrize("name, sets", PRESET_HEADS, ids=[f"{n}-{'-'.join(s)}" for n, s in PRESET_HEADS])
def test_setting_width_or_heads_on_a_preset_counts_as_transformers_builds_the_changed_config(name, sets):
    """For every preset, RMSNorm and LayerNorm alike, ``--set D=...`` or ``--set H=...`` counts the model
    transformers builds from the config with that field changed: a head size the config leaves out follows
    D/H, one it states (Gemma's head_dim) stays. (One layer each, to keep the builds cheap.)"""
    sets = {**sets, "L": 1}
    changed = _changed_config(name, sets)
    try:
        ours = symparams.model(name, **sets).total
    except SymparamsError as err:
        if " equals " in str(err):  # sizes made equal whose difference the tree holds (OPT-350m's projections):
            assert from_dict(changed).total == _transformers_total(changed)  # the changed config.json counts right
            return
        with pytest.raises(SymparamsError):  # else refused exactly when the changed config.json is (Helium)
            from_dict(changed)
        return
    assert ours == _transformers_total(changed)
