"""Gemma 3 as released (``gemma3``): its decoder, SigLIP vision tower and projector against transformers.

For random small configs, the total and every group (the tower and projector as ``vision``)
equal what ``Gemma3ForConditionalGeneration`` builds on the meta device. Every field of the
top level and of the tower is set to null and left out on a small base config: symparams
counts what transformers builds or refuses where it refuses (the configs transformers
builds but no image runs through are refused on purpose, listed below). The per-token
readings are the decoder's alone, and a text forward pass executes exactly its matmuls.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.cli import main
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict, from_file
from symparams.symbols import D_vis, N_img

from strategies import CONFIGS

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
TOWER_FIELDS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_channels",
                "image_size", "patch_size", "hidden_act", "vision_use_head", "layer_norm_eps", "attention_dropout",
                "model_type")
TOP_FIELDS = ("text_config", "vision_config", "mm_tokens_per_image", "tie_word_embeddings", "boi_token_index",
              "image_token_index", "initializer_range")

BASE = {
    "model_type": "gemma3", "mm_tokens_per_image": 4, "tie_word_embeddings": False, "boi_token_index": 3,
    "image_token_index": 5, "initializer_range": 0.02,
    "text_config": {"model_type": "gemma3_text", "vocab_size": 40, "hidden_size": 24, "intermediate_size": 20,
                    "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
                    "sliding_window": 8},
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 12, "intermediate_size": 10,
                      "num_hidden_layers": 2, "num_attention_heads": 3, "num_channels": 2, "image_size": 66,
                      "patch_size": 4, "hidden_act": "gelu_pytorch_tanh", "vision_use_head": True,
                      "layer_norm_eps": 1e-6, "attention_dropout": 0.0},
}

# Configs transformers builds but cannot run an image through, refused here on purpose (field: why).
REFUSED_THOUGH_BUILT = {
    ("vision_config", "num_hidden_layers", 0): "a tower of no layers",
    ("vision_config", "patch_size", 80): "a patch larger than the image",
    ("top", "mm_tokens_per_image", 10**6): "a pooling of kernel 0",
}


def _need(name: str):
    return pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[verify]')")


def theirs(config: dict) -> dict[str, int]:
    """transformers' parameters for ``config``, summed per group by the family's own table."""
    _need("torch")
    _need("transformers")
    from symparams.verify import meta_parameters

    family = FAMILIES.by_type["gemma3"]
    out: dict[str, int] = {}
    for name, numel in meta_parameters(config):
        out[family.group(name)] = out.get(family.group(name), 0) + numel
    return {g: n for g, n in out.items() if n}


def ours(spec) -> dict[str, int]:
    """Parameters per group: the leaves of the tree times their copies."""
    out: dict[str, int] = {}
    for _, copies, node in spec.tree.walk():
        if not node.children():
            out[node.group] = out.get(node.group, 0) + spec.count(node) * int(spec.value(copies))
    return {g: n for g, n in out.items() if n}


def outcome(config: dict):
    """("ok", total) or ("refused", message), by symparams and by transformers alike."""
    try:
        return "ok", from_dict(config).total
    except SymparamsError as err:
        return "refused", str(err)


def built(config: dict):
    try:
        return "ok", sum(theirs(config).values())
    except SymparamsError as err:
        return "refused", str(err)


@settings(max_examples=60, deadline=None)
@given(config=CONFIGS["gemma3"])
def test_every_group_and_the_total_of_a_random_config_are_what_transformers_builds(config):
    spec = from_dict(config)
    expected = theirs(config)
    assert ours(spec) == expected
    assert spec.total == sum(expected.values())


@settings(max_examples=30, deadline=None)
@given(config=CONFIGS["gemma3"])
def test_the_per_token_readings_are_the_decoders_own(config):
    """A text token passes through the decoder alone: every per-token reading of the wrapper is its text config's."""
    spec = from_dict(config)
    inner = {**(config.get("text_config") or {}), "model_type": "gemma3_text",
             "tie_word_embeddings": config.get("tie_word_embeddings", True) is True}
    text = from_dict(inner)
    assert spec.active_total == text.active_total == text.total
    assert spec.active_compute_total == text.active_compute_total
    for reading in ("matmul", "onehot", "attention_flops", "softmax_flops", "cache_elements"):
        assert spec.value(spec.tree.read(reading, 16)) == text.value(text.tree.read(reading, 16)), reading
    vision = spec.total - text.total
    assert vision == sum(n for g, n in ours(spec).items() if g == "vision") > 0


@pytest.mark.parametrize(("where", "field"), [("top", f) for f in TOP_FIELDS] + [("vision_config", f) for f in TOWER_FIELDS])
@pytest.mark.parametrize("change", ["null", "missing"])
def test_a_null_or_missing_field_counts_as_transformers_builds_it_or_is_refused_as_it_refuses(where, field, change):
    config = json.loads(json.dumps(BASE))
    holder = config if where == "top" else config[where]
    if change == "null":
        holder[field] = None
    else:
        holder.pop(field)
    mine, real = outcome(config), built(config)
    assert mine[0] == real[0], (mine, real)
    if mine[0] == "ok":
        assert mine[1] == real[1]
    else:
        assert "\n" not in mine[1]


@pytest.mark.parametrize(("where", "field", "value"), [
    ("vision_config", "num_attention_heads", 5), ("vision_config", "hidden_size", 12.0),
    ("vision_config", "image_size", [20, 20]), ("vision_config", "hidden_act", "swishy"),
    ("vision_config", "model_type", "no_such_tower"), ("vision_config", "vision_use_head", 1),
    ("vision_config", "patch_size", 0), ("top", "mm_tokens_per_image", 0), ("top", "mm_tokens_per_image", -4),
    ("top", "mm_tokens_per_image", 4.0), ("top", "tie_word_embeddings", 1), ("top", "text_config", "x"),
    ("top", "vision_config", []), *[(w, f, v) for w, f, v in REFUSED_THOUGH_BUILT],
])
def test_a_bad_value_is_refused_in_one_line_where_transformers_cannot_run_it(where, field, value):
    config = json.loads(json.dumps(BASE))
    (config if where == "top" else config[where])[field] = value
    with pytest.raises(SymparamsError) as err:
        from_dict(config)
    assert "\n" not in str(err.value) and field in str(err.value)
    if any((where, field, value) == case for case in REFUSED_THOUGH_BUILT):
        assert built(config)[0] == "ok", "transformers builds it: it is refused here because no image runs through"
    else:
        assert built(config)[0] == "refused"


def test_another_vision_tower_is_refused_not_counted_as_siglip():
    """transformers builds a Siglip2 or CLIP tower (or even a decoder) where the vision config names one; symparams
    models SigLIP's."""
    for tower in ("siglip2_vision_model", "clip_vision_model", "gemma3_text"):
        config = json.loads(json.dumps(BASE))
        config["vision_config"]["model_type"] = tower
        with pytest.raises(SymparamsError, match="another vision tower"):
            from_dict(config)


def test_the_top_level_decides_the_tie_whatever_the_text_config_says():
    for top in (True, False, None, "missing"):
        for inner in (True, False):
            config = json.loads(json.dumps(BASE))
            config["text_config"]["tie_word_embeddings"] = inner
            if top == "missing":
                config.pop("tie_word_embeddings")
            else:
                config["tie_word_embeddings"] = top
            assert outcome(config) == built(config), (top, inner)


def test_the_patch_count_is_a_relation_the_closed_form_keeps():
    """N_img = floor(S_img/p_img)^2 is kept in the form, and follows the image and patch sizes when they change."""
    spec = from_dict(BASE)
    assert N_img in spec.closed_form.free_symbols
    assert spec.env[N_img] == (66 // 4) ** 2
    bigger = spec.with_values(S_img=67)
    assert bigger.env[N_img] == (67 // 4) ** 2
    assert bigger.total - spec.total == 0
    assert spec.with_values(S_img=68).total - spec.total == (17**2 - 16**2) * spec.env[D_vis]


def test_a_size_set_later_keeps_every_rule_the_file_was_read_with():
    """--set reads the same model at other sizes: the vision heads still divide the width, the patch still fits the
    image, and the projector still pools to no more tokens a side than there are patches."""
    spec = from_dict(BASE)
    for change in ({"H_vis": 5}, {"p_img": 67}, {"S_img": 7}):
        with pytest.raises(SymparamsError):
            spec.with_values(**change).total
    assert spec.with_values(S_img=8).total > 0


@pytest.mark.parametrize("name", ["gemma-3-4b-it.json", "gemma-3-12b-it.json", "gemma-3-27b-it.json"])
def test_real_config_counts_what_transformers_builds(name):
    config = json.loads((FIXTURES / name).read_text())
    assert from_file(FIXTURES / name).total == sum(theirs(config).values())


@pytest.mark.parametrize(("name", "vision", "non_embedding"), [
    ("gemma-3-4b-it.json", "417", "3209"), ("gemma-3-12b-it.json", "417", "10759"),
    ("gemma-3-27b-it.json", "417", "25600"),
])
def test_real_config_counts_the_technical_reports_table(name, vision, non_embedding):
    """Gemma 3's report (Table 1) lists the vision encoder and the decoder's non-embedding parameters, in millions.

    The projector is neither: it is the rest of the ``vision`` group.
    """
    spec = from_file(FIXTURES / name)
    groups = spec.breakdown().groups()
    assert f"{round(spec.count(spec.node('vision_tower')) / 1e6)}" == vision
    decoder = spec.total - groups["vision"] - groups["embedding"]
    assert f"{round(decoder / 1e6)}" == non_embedding


@settings(max_examples=10, deadline=None)
@given(config=CONFIGS["gemma3"], seq=st.integers(1, 12))
def test_a_text_forward_pass_executes_the_decoders_matmuls(config, seq):
    """FlopCounterMode over a text-only forward pass of the whole wrapper sees 2 x the decoder's matmul weights per token."""
    torch = _need("torch")
    _need("transformers")
    import transformers
    from torch.utils.flop_counter import FlopCounterMode

    from symparams.verify import meta_model

    spec = from_dict(config)
    data = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    cfg = transformers.AutoConfig.for_model("gemma3", **data)
    cfg.text_config._attn_implementation = "eager"
    with torch.device("cpu"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
    ids = torch.randint(0, cfg.text_config.vocab_size, (1, seq))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(input_ids=ids)
    counts = counter.get_flop_counts()["Global"]
    matmuls = sum(int(counts.get(op, 0)) for op in (torch.ops.aten.mm, torch.ops.aten.addmm))
    assert matmuls == 2 * seq * spec.value(spec.tree.read("matmul")), meta_model


@pytest.mark.parametrize("command", [["count"], ["count", "--json"], ["formula"], ["flops"], ["memory"], ["derive"]])
def test_commands_run_on_a_vision_language_fixture(command, capsys):
    assert main([*command, str(FIXTURES / "gemma-3-4b-it.json")]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    if command == ["count", "--json"]:
        assert json.loads(out)["total"] == from_file(FIXTURES / "gemma-3-4b-it.json").total
