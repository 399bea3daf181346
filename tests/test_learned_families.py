"""Shipped learned families, read without torch: count, formula, list and the readings they refuse.

A learned family is data (symparams/families/learned/<model_type>.json). Each file carries
witness configs with the totals transformers built for them; here every shipped file is
read back, each witness is counted through the module tree the CLI uses and must give the
total transformers gave, and the commands say that the family is learned. Whether the
files still match the installed transformers is tests/test_learned_truth.py's question.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stated import set_and_stated

from symparams.cli import main
from symparams.config import read_json
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict
from symparams.families.learned import learned, refused, shipped
from symparams.families.learned.data import symbol_for

SHIPPED = sorted(shipped())
EXAMPLE = "tests/fixtures/learned/biogpt.json"


def witness_config(model_type: str, i: int = 0) -> tuple[dict, int]:
    family = learned(model_type)
    assert family is not None
    w = family.witnesses[i % len(family.witnesses)]
    return {"model_type": model_type, **w["fields"]}, w["total"]


def test_learned_families_are_shipped_apart_from_hand_written_ones():
    assert len(SHIPPED) >= 50, "run: symparams learn --all -o symparams/families/learned"
    assert not set(SHIPPED) & set(FAMILIES.by_type), "a hand-written family takes precedence: drop its learned file"
    gone = refused()["refused"]
    assert not set(gone) & set(SHIPPED)
    assert all(r["reason"] and r["category"] for r in gone.values())


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", SHIPPED)
def test_each_shipped_family_counts_its_witness_through_the_tree(model_type):
    """The tree count, its breakdown's groups and the file's own rows all give what transformers built."""
    cfg, total = witness_config(model_type)
    spec = from_dict(cfg, "witness")
    assert spec.family == f"learned:{model_type}"
    assert spec.total == total
    assert sum(spec.breakdown().groups().values()) == total


def _monomials(term) -> set:
    import sympy

    return {m.as_coeff_Mul()[1] for m in sympy.Add.make_args(sympy.expand(term))}


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", SHIPPED)
def test_a_learned_total_is_written_with_its_like_terms_met(model_type):
    """transformers keeps the embedding, layers and norm inside a ``model`` module, beside the head; the total
    is the sum of those parts, so a tied or untied head's D*V meets the embedding's: no two terms of the
    closed form (its active and PaLM forms too) hold the same monomial, and each is the count's own value."""
    cfg, total = witness_config(model_type)
    spec = from_dict(cfg, "witness")
    assert spec.value(spec.closed_form) == total
    for form in (spec.closed_form, spec.active_form, spec.active_compute_form):
        seen: set = set()
        for term in __import__("sympy").Add.make_args(form):
            found = _monomials(term)
            assert not found & seen, (model_type, form, found & seen)
            seen |= found


@pytest.mark.parametrize("model_type", SHIPPED)
def test_k_is_read_from_num_experts_per_tok_only_where_the_class_declares_it(model_type):
    """A learned family uses experts stacked E first k at a time, k the config's num_experts_per_tok: where the
    class declares no such field (HunYuan-MoE reads moe_topk), a config giving one is still refused the
    parameters a token uses; where it does, one more expert per token adds one expert's share of every stacked
    tensor, and k above E is refused."""
    from symparams.families.field_types import table
    from symparams.families.learned.tree import Stacked

    cfg, total = witness_config(model_type)
    declared = "num_experts_per_tok" in table()[model_type]["fields"]
    specs = []
    for k in (1, 2):
        try:
            specs.append(from_dict({**cfg, "num_experts_per_tok": k}, "witness"))
        except SymparamsError:
            return
    stacked = [(copies, node) for _, copies, node in specs[0].tree.walk() if isinstance(node, Stacked) and node.used != 1]
    if not stacked:
        return
    assert declared, f"{model_type} reads a num_experts_per_tok its class does not declare"
    if specs[0].tree.routing:  # another weight (a convolution) leaves the reading refused
        return
    one, two = (spec.count(reading="active") for spec in specs)
    experts = specs[0].value(stacked[0][1].used.as_numer_denom()[1])
    share = sum(specs[0].value(c) * specs[0].count(n) for c, n in stacked) // experts
    assert two - one == share and specs[1].total == specs[0].total == total
    with pytest.raises(SymparamsError):
        from_dict({**cfg, "num_experts_per_tok": int(experts) + 1}, "witness").count(reading="active")


def test_a_num_experts_per_tok_the_class_does_not_declare_leaves_the_reading_refused():
    cfg, _ = witness_config("hunyuan_v1_moe")
    spec = from_dict({**cfg, "num_experts_per_tok": 1}, "witness")
    with pytest.raises(SymparamsError, match="num_experts_per_tok"):
        spec.count(reading="active")


def _per_layer_table(family, name: str) -> bool:
    return isinstance(family.fixed[name], dict) and name not in family.free and not name.startswith("rope_")


@pytest.mark.parametrize("model_type", SHIPPED)
def test_a_config_file_restating_every_fixed_field_counts_as_its_witness(model_type, tmp_path):
    """A config.json stating each fixed field at the value the family was learned with (a list of one kind of
    layer at the witness's depth; a list of numbers the class makes from a field, of that field's value) is
    counted, not refused, though it is read exactly: a decimal there (xLSTM's ffn_proj_factor 2.667, a RoPE
    table's factors) is the binary float transformers reads it as, which is what the family holds. A field
    learned left out stays out where null is refused: transformers reads null otherwise. A per-layer table
    (Dots 3's per_layer_config) stays out too: keyed by the default depth's layers, transformers refuses it at the
    witness's depth, and a file giving it is checked against transformers in test_learned_truth."""
    cfg, total = witness_config(model_type)
    family = learned(model_type)
    assert family is not None
    depth = cfg.get(family.per_layer.get("length") or "num_hidden_layers")
    values = family.values(cfg)
    restated = {name: [values[family.mirrors[name]] if name in family.mirrors else value[0]] * depth
                if depth and isinstance(value, list) and value and len({json.dumps(v) for v in value}) == 1 else value
                for name, value in family.fixed.items() if name not in family.derived  # a derived list decides
                and not (value is None and name in family.not_null) and not _per_layer_table(family, name)}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**cfg, **restated}))
    assert family.count(read_json(path)) == total


def test_a_decimal_a_binary_float_cannot_hold_is_counted_from_its_file(tmp_path, capsys):
    cfg, total = witness_config("xlstm")
    assert learned("xlstm").fixed["ffn_proj_factor"] == 2.667
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**cfg, "ffn_proj_factor": 2.667}))
    assert main(["count", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == total


def test_a_field_whose_default_follows_a_field_the_family_does_not_read_must_be_given():
    """xLSTM's missing num_blocks is num_hidden_layers (transformers' config copies it), which no shape reads when
    num_blocks is given: counted without it, 32 blocks would be a guess. It is refused, naming the field."""
    cfg, total = witness_config("xlstm")
    assert from_dict(cfg, "witness").total == total
    without = {k: v for k, v in cfg.items() if k != "num_blocks"}
    for changed in (without, {**cfg, "num_blocks": None}):
        with pytest.raises(SymparamsError, match="the learned xlstm family has no value for num_blocks (left out|set to null)"):
            from_dict({**changed, "num_hidden_layers": 2}, "config")


def test_a_config_stating_its_own_rope_table_is_counted_where_the_table_is_free():
    """Released configs state their own RoPE base and scaling; a family learned to build the same shapes with
    any table (free) counts them as its witness, and one whose table is fixed still refuses them, naming it."""
    free = [t for t in SHIPPED if "rope_parameters" in learned(t).free]
    assert len(free) >= 40, free
    for model_type in free:
        cfg, total = witness_config(model_type)
        default = learned(model_type).fixed["rope_parameters"]
        stated = {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0}
        table = {k: {**t, **stated} for k, t in default.items()} if all(isinstance(v, dict) for v in default.values()) \
            else {**default, **stated}
        assert from_dict({**cfg, "rope_parameters": table}, "config").total == total, model_type
    fixed = [t for t in SHIPPED if isinstance(learned(t).fixed.get("rope_parameters"), dict) and t not in free
             and "rope_parameters" not in learned(t).rope_types]
    for model_type in fixed[:3]:
        cfg, _ = witness_config(model_type)
        with pytest.raises(SymparamsError, match="rope_parameters: the learned"):
            from_dict({**cfg, "rope_parameters": {"rope_type": "default", "rope_theta": 12345.0}}, "config")


@pytest.mark.parametrize("model_type, base", [("minimax", 10_000_000), ("recurrent_gemma", 100_000.0)])
def test_a_released_base_saved_inside_the_rope_table_is_counted_as_the_same_base_given_beside_it(model_type, base):
    """MiniMax-Text-01 states rope_theta 10^7 beside its fields, and transformers 5 saves it inside rope_parameters.
    Their classes refuse some tables (MiniMax's a YaRN one, RecurrentGemma's any but the default type), so the table
    is not free; but the types they build take any base: the two spellings are one model, counted alike (the
    witness's count), and a table of a type the family was not learned with is refused, naming it."""
    family = learned(model_type)
    cfg, total = witness_config(model_type)
    table = family.fixed["rope_parameters"]
    assert from_dict({**cfg, "rope_theta": base}, "config").total == total
    assert from_dict({**cfg, "rope_parameters": {**table, "rope_theta": base}}, "config").total == total
    with pytest.raises(SymparamsError, match="^config: rope_parameters: the learned .* family was read with"):
        from_dict({**cfg, "rope_parameters": {**table, "rope_type": "yarn", "factor": 4.0,
                                              "original_max_position_embeddings": 64}}, "config")


@pytest.mark.parametrize("table, why", [({"rope_parameters": ["default"]}, None),
                                        ({"rope_parameters": []}, "rope_types holds rope_parameters"),
                                        ({"rope_parameters": "default"}, "rope_types holds rope_parameters"),
                                        ({"hidden_act": ["default"]}, "rope_types holds hidden_act")])
def test_rope_types_name_a_fixed_flat_table_and_the_types_it_builds_alike_with(table, why):
    """A file's rope_types is read only as a fixed flat table's types, a list of names; anything else is refused."""
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("minimax").dumps()).items() if k not in ("checksum", "variants")}
    body["rope_types"] = table
    text = json.dumps({**body, "checksum": _checksum(body)})
    if why is None:
        assert loads(text, "file").rope_types == table
    else:
        with pytest.raises(SymparamsError, match=why):
            loads(text, "file")


@pytest.mark.parametrize("free, why", [(["tie_word_embeddings"], "not a fixed table"), (["no_such_field"], "not a fixed")])
def test_a_free_field_that_is_not_a_fixed_table_is_refused_on_load(free, why):
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("biogpt").dumps()).items() if k != "checksum"}
    body["free"] = free
    with pytest.raises(SymparamsError, match=why):
        loads(json.dumps({**body, "checksum": _checksum(body)}))


def test_a_derived_list_that_is_not_a_fixed_list_of_the_family_is_refused_on_load():
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("lfm2").dumps()).items() if k != "checksum"}
    assert body["derived"]
    for bad in ({"tie_word_embeddings": body["derived"]["layer_types"]},
                {"layer_types": {**body["derived"]["layer_types"], "from": "no_such_list"}}):
        with pytest.raises(SymparamsError, match="not a fixed list made from a list of layer indices"):
            loads(json.dumps({**body, "derived": bad, "checksum": _checksum({**body, "derived": bad})}))


def test_lfm2s_legacy_keywords_stand_for_the_fields_they_set_and_decide_over_them():
    """LFM2's class reads block_ff_dim as intermediate_size and tie_embedding as tie_word_embeddings, the keyword
    winning where a config gives both; a null keyword, which the class would copy into the field, is refused."""
    cfg, _ = witness_config("lfm2")
    family = learned("lfm2")
    assert family.legacy == {"block_ff_dim": "intermediate_size", "tie_embedding": "tie_word_embeddings"}
    wider = from_dict({**cfg, "intermediate_size": 3 * cfg["intermediate_size"]}).total
    assert from_dict({**cfg, "block_ff_dim": 3 * cfg["intermediate_size"]}).total == wider
    assert from_dict({**cfg, "intermediate_size": 1, "block_ff_dim": 3 * cfg["intermediate_size"]}).total == wider
    untied = from_dict({**cfg, "tie_word_embeddings": False}).total
    assert from_dict({**cfg, "tie_word_embeddings": True, "tie_embedding": False}).total == untied
    with pytest.raises(SymparamsError, match="block_ff_dim is null"):
        from_dict({**cfg, "block_ff_dim": None})


def test_a_legacy_keyword_for_no_field_of_the_family_is_refused_on_load():
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("lfm2").dumps()).items() if k != "checksum"}
    bad = {"block_ff_dim": "no_such_field"}
    with pytest.raises(SymparamsError, match="not a keyword for a field of the family"):
        loads(json.dumps({**body, "legacy": bad, "checksum": _checksum({**body, "legacy": bad})}))


def test_lfm2s_layer_types_count_as_the_layers_they_name_and_other_kinds_or_lengths_are_refused():
    """LFM2's layer_types, given, decides the layers as full_attn_idxs would; a kind or a length transformers
    would not build as listed is refused, naming the field."""
    cfg, _ = witness_config("lfm2")
    n = cfg["num_hidden_layers"]
    picked = list(range(0, n, 3))
    by_index = from_dict({**cfg, "full_attn_idxs": picked}, "config").total
    listed = ["full_attention" if i in picked else "conv" for i in range(n)]
    assert from_dict({k: v for k, v in cfg.items() if k != "full_attn_idxs"} | {"layer_types": listed}).total == by_index
    assert from_dict({**cfg, "full_attn_idxs": [0], "layer_types": listed}).total == by_index
    with pytest.raises(SymparamsError, match="layer_types holds \"sliding_attention\""):
        from_dict({**cfg, "layer_types": ["sliding_attention"] + listed[1:]})
    with pytest.raises(SymparamsError, match=f"layer_types lists {n - 1} layers for {n}"):
        from_dict({**cfg, "layer_types": listed[1:]})


@pytest.mark.parametrize("model_type, field, kind", [("mellum", "mlp_layer_types", "dense"),
                                                      ("minimax_m3_vl_text", "mlp_layer_types", "dense")])
def test_a_per_layer_list_learned_at_one_kind_counts_that_kind_at_any_depth_and_refuses_others(model_type, field, kind):
    """Mellum's and MiniMax-M3's classes make every MLP sparse: the family was learned with
    that one kind, so a list of it at any depth is counted, and a list that names another kind is refused."""
    cfg, total = witness_config(model_type)
    one = learned(model_type).fixed[field][0]
    depth = next(v for k, v in cfg.items() if k == "num_hidden_layers")
    assert from_dict({**cfg, field: [one] * depth}, "config").total == total
    with pytest.raises(SymparamsError, match=f"{field}: the learned {model_type} family was read with"):
        from_dict({**cfg, field: [kind if i % 2 else one for i in range(depth)]}, "config")


def test_count_says_the_family_is_learned_in_one_line(capsys):
    assert main(["count", EXAMPLE]) == 0
    out, err = capsys.readouterr()
    cfg = json.load(open(EXAMPLE))
    family = learned(cfg["model_type"])
    assert family is not None
    assert f"{family.count(cfg):,} parameters" in out
    assert err.count("\n") == 1 and "learned family" in err and "no KV cache" in err
    assert main(["count", EXAMPLE, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["family_source"] == "learned" and doc["total"] == family.count(cfg)


def test_a_hand_written_count_does_not_say_learned(capsys):
    assert main(["count", "gpt2", "--json"]) == 0
    assert "family_source" not in json.loads(capsys.readouterr().out)


def test_formula_is_the_trees_closed_form_and_says_learned(capsys):
    assert main(["formula", EXAMPLE, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    spec = from_dict(json.load(open(EXAMPLE)), "example")
    assert doc["formula"] == str(spec.closed_form) and doc["family_source"] == "learned"
    assert main(["formula", EXAMPLE]) == 0
    assert "learned family" in capsys.readouterr().err


def test_list_names_learned_families_apart(capsys):
    assert main(["list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [f["model_type"] for f in doc["learned_families"]] == SHIPPED
    for listed in doc["learned_families"]:  # what each file learned changed, and what it counts whatever it holds
        family = learned(listed["model_type"])
        assert listed["variants"] == sorted(family.variant_data) and listed["free"] == family.free
        assert (listed["derived"], listed["legacy"], listed["unread"], listed["positive"]) == (
            sorted(family.derived), family.legacy, sorted(family.unread), family.positive)
        keys = ("required", "not_null", "lengths", "rope_kinds", "token_rows", "kinds_needed", "mirrors",
                "same_parameters", "relations")
        assert [listed[k] for k in keys] == [getattr(family, k) for k in keys]
    lfm2 = next(f for f in doc["learned_families"] if f["model_type"] == "lfm2")
    assert lfm2["derived"] == ["layer_types"] and lfm2["legacy"]["block_ff_dim"] == "intermediate_size"
    # a model type learn refused that a hand-written family now reads (Gemma 3's wrapper) is not listed as refused
    assert {r["model_type"] for r in doc["refused_model_types"]} == set(refused()["refused"]) - set(FAMILIES.by_type)
    assert "gemma3" in refused()["refused"] and "gemma3" not in {r["model_type"] for r in doc["refused_model_types"]}
    assert main(["list"]) == 0
    assert f"learned families ({len(SHIPPED)}," in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["flops", "--causal"], ["flops", "--convention", "exact"], ["flops", "--seq", "64"],
                                  ["memory", "--seq", "128"]])
def test_readings_that_need_semantics_refuse_in_one_line(argv, capsys):
    assert main([argv[0], EXAMPLE, *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert "a learned family does not give" in err and len(err.strip().splitlines()) <= 2


def test_weight_memory_and_matmul_weights_come_from_the_leaves():
    """Matmul weights: every linear layer (the tied head too), never a lookup table; memory follows the count."""
    from symparams.components import Embedding, Linear

    spec = from_dict(json.load(open(EXAMPLE)), "example")
    leaves = [(n, node) for _, n, node in spec.tree.walk()]
    linear = sum(spec.value(n * node.d_in * node.d_out) for n, node in leaves if isinstance(node, Linear))
    assert spec.count(reading="matmul") == linear
    assert any(isinstance(node, Embedding) for _, node in leaves)
    assert spec.count(reading="active") == spec.total


@pytest.mark.parametrize("tokens", [None, 1, 10**12])
def test_flops_of_a_learned_family_are_its_matmul_weights_twice_forward_six_times_to_train(tokens, capsys):
    """The FLOPs a learned family gives are the matmul ones alone (2 per weight a token multiplies), and say so."""
    spec = from_dict(json.load(open(EXAMPLE)), "example")
    weights = spec.count(reading="matmul")
    assert main(["flops", EXAMPLE, "--json", *(["--tokens", str(tokens)] if tokens else [])]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["matmul_weights"], out["forward_matmul"], out["train_matmul"]) == (weights, 2 * weights, 6 * weights)
    assert out["attention_flops"] is None and out["family_source"] == "learned"
    assert out.get("training_matmul_flops") == (6 * weights * tokens if tokens else None)
    assert main(["flops", EXAMPLE]) == 0
    captured = capsys.readouterr()
    assert f"{2 * weights:,}" in captured.out and "not given" in captured.err


def test_a_config_that_changes_a_fixed_field_is_refused_with_the_field():
    """Every fixed field but the switches learned both ways: those are counted by their variant (with the model's
    head, biases or norms that switch adds or removes), two of them flipped at once are refused."""
    cfg = json.load(open(EXAMPLE))
    family = learned(cfg["model_type"])
    assert family is not None and family.fixed and family.variant_data
    for name, value in family.fixed.items():
        changed = (not value) if isinstance(value, bool) else 7 if value is None else f"{value}_other" \
            if isinstance(value, str) else {"other": 1}
        if name in family.variant_data:
            flipped = from_dict({**cfg, name: changed}, "flipped")
            assert flipped.total == family.variants[name].count({**cfg, name: changed}) != from_dict(cfg).total
            continue
        with pytest.raises(SymparamsError, match=rf"{name}: the learned {cfg['model_type']} family was read with"):
            from_dict({**cfg, name: changed}, "changed")
    if len(family.variant_data) > 1:
        both = {name: not family.fixed[name] for name in family.variant_data}
        with pytest.raises(SymparamsError, match="changes them together"):
            from_dict({**cfg, **both}, "both")
    assert from_dict({**cfg, **family.fixed}, "restated").total == from_dict(cfg, "example").total


def test_an_unknown_model_type_names_the_learned_ones_too(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "no_such_model"}')
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is not supported" in err and f"{len(SHIPPED)} learned model types" in err and err.count("\n") == 1


def test_a_shipped_file_edited_by_hand_is_refused_when_counted(tmp_path, monkeypatch, capsys):
    import symparams.families.learned as mod
    from symparams.families.registry import learned_family

    folder = tmp_path / "learned"
    folder.mkdir()
    model_type = json.load(open(EXAMPLE))["model_type"]
    text = open(mod.shipped()[model_type]).read()
    (folder / f"{model_type}.json").write_text(text.replace('"total": ', '"total": 1', 1))
    monkeypatch.setattr(mod, "FOLDER", str(folder))
    mod.learned.cache_clear()
    learned_family.cache_clear()
    try:
        assert main(["count", EXAMPLE]) == 2
        err = capsys.readouterr().err
        assert "checksum does not match" in err and err.count("\n") == 1
    finally:
        mod.learned.cache_clear()
        learned_family.cache_clear()


def test_derive_brief_and_full_read_the_same_tree_and_say_what_they_cannot_derive(capsys):
    """--brief (sizes, closed form, components, total) works; so does the full guide, whose FLOPs and memory
    sections say why they are not derived (they need the architecture's semantics), and nothing else is lost."""
    total = from_dict(json.load(open(EXAMPLE)), "example").total
    assert main(["derive", EXAMPLE, "--brief"]) == 0
    assert f"= {total:,}" in capsys.readouterr().out
    assert main(["derive", EXAMPLE, "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "= " + f"{total:,}".replace(",", "{,}") in out
    assert "## Derivatives and elasticities" in out and "## Practice problems" in out
    for title in ("FLOPs per token", "Memory"):
        assert f"## {title}\n\nNot derived: this model is counted by a family learned" in out


def test_a_learned_count_is_cached_with_its_note(tmp_path, monkeypatch, capsys):
    """The cache replays stdout and the note on stderr; the learned files are part of its key."""
    from symparams import cache

    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    monkeypatch.setenv("SYMPARAMS_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["count", EXAMPLE]) == 0
    first = capsys.readouterr()
    assert main(["count", EXAMPLE]) == 0
    second = capsys.readouterr()
    assert (first.out, first.err) == (second.out, second.err) and "learned family" in second.err
    assert list((tmp_path / "cache").glob("*.json"))
    assert any("families/learned/" in p for p in _package_files(cache))


def _package_files(cache) -> list[str]:
    import os

    out = []
    for root, _, files in os.walk(cache.PACKAGE):
        out += [os.path.relpath(os.path.join(root, f), cache.PACKAGE) for f in files if f.endswith(".json")]
    return out


def test_regenerating_refuses_without_a_folder(tmp_path, capsys):
    pytest.importorskip("transformers", reason="transformers is not installed (pip install 'symparams[verify]')")
    assert main(["learn", "--all"]) == 2
    assert "needs -o DIR" in capsys.readouterr().err
    assert main(["learn", "--all", "-o", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_copied_folder_of_files_loads_the_same(tmp_path):
    """The files are self-contained data: copied anywhere, each loads and counts its witnesses."""
    from symparams.learn import load

    for model_type in SHIPPED[:5]:
        path = tmp_path / f"{model_type}.json"
        shutil.copy(shipped()[model_type], path)
        family = load(str(path))
        assert all(family.count(w["fields"]) == w["total"] for w in family.witnesses)


def test_the_readme_coverage_table_is_the_shipped_one():
    """The README's counts of hand-written, learned and refused model types come from the files, not by hand."""
    import re
    from pathlib import Path

    from symparams.families.learned import coverage, coverage_markdown

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = re.search(r"<!-- learned-coverage -->\n(.*?)\n<!-- /learned-coverage -->", text, re.S)
    assert table is not None and table.group(1) == coverage_markdown(), "paste coverage_markdown() into README.md"
    c = coverage()
    assert not c["not_tried"], f"not learned nor refused: {c['not_tried']}"
    assert c["hand_written"] + c["learned"] + c["refused"] == c["causal_lm"]
    counted = c["hand_written"] + c["learned"]
    assert (f"Coverage: {counted} of the {c['causal_lm']} causal-LM model types are counted, {c['hand_written']} by "
            f"hand-written families and {c['learned']} by learned ones") in " ".join(text.split())


def test_a_model_type_learn_refused_is_refused_with_its_reason(tmp_path, capsys):
    gone = refused()["refused"]
    model_type = sorted(gone)[0]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": model_type}))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert "symparams learn could not read it" in err and gone[model_type]["reason"][:60] in err
    assert err.count("\n") == 1


# Wrappers learn refused for their nested configs, that no hand-written family counts either.
NESTED = sorted(k for k, r in refused()["refused"].items() if "nests" in r["category"] and k not in FAMILIES.by_type)


@pytest.mark.parametrize("inner", ["llama", "gemma3n_text", "mllama_text_model", "no_such_type", "bart"])
@pytest.mark.parametrize("model_type", NESTED)
def test_a_wrapper_no_family_counts_says_to_count_its_text_config_exactly_where_that_counts(model_type, inner, tmp_path,
                                                                                              capsys):
    """The one-line refusal of a wrapper offers its text_config as a file of its own only where that file counts."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": model_type, "text_config": {"model_type": inner}}))
    assert main(["count", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symparams: error: ")
    offered = "save its text_config" in err
    alone = tmp_path / "text.json"
    alone.write_text(json.dumps({"model_type": inner}))
    assert offered == (main(["count", str(alone), "--json"]) == 0)
    capsys.readouterr()


def test_a_config_that_nests_a_model_config_is_refused():
    """A learned family reads top-level fields: a nested text_config it would silently count at its defaults."""
    cfg = json.load(open(EXAMPLE))
    with pytest.raises(SymparamsError, match="text_config: the learned biogpt family reads top-level fields"):
        from_dict({**cfg, "text_config": {"model_type": "llama", "hidden_size": 4096}}, "nested")


def test_layers_counted_by_a_per_layer_list_follow_the_configs_list():
    """olmo_hybrid's layer_types decides which layers are linear and which full attention: each entry counts."""
    family = learned("olmo_hybrid")
    assert family is not None and [f[:2] for f in family.per_layer["features"]] == [["list", "layer_types"]]
    cfg, total = witness_config("olmo_hybrid")
    kinds = cfg["layer_types"]
    env = family.values(cfg)
    assert sorted(env[t] for t in family.tallies) == sorted(kinds.count(v) for v in set(kinds))
    assert {str(s) for s in family.closed_form().free_symbols} >= set(family.tallies)
    assert from_dict(cfg, "witness").total == total


@pytest.mark.parametrize("change, why", [
    (lambda c: {**c, "layer_types": c["layer_types"][:-1]}, "must list one entry per layer"),
    (lambda c: {**c, "layer_types": ["conv", *c["layer_types"][1:]]}, "a kind of layer the learned olmo_hybrid"),
    (lambda c: {k: v for k, v in c.items() if k != "layer_types"}, "counts layers by layer_types"),
    (lambda c: {**c, "layer_types": None}, "counts layers by layer_types"),
])
def test_a_per_layer_list_that_does_not_fit_the_family_is_refused_in_one_line(change, why):
    cfg, _ = witness_config("olmo_hybrid")
    with pytest.raises(SymparamsError, match=why):
        learned("olmo_hybrid").count(change(cfg))


def test_a_tally_edited_into_inconsistency_is_refused_on_load():
    """A tally matching a kind of layer the family never saw, checksum recomputed, is refused when read."""
    from symparams.families.learned.data import _checksum, loads

    data = json.load(open(shipped()["olmo_hybrid"]))
    name = next(iter(data["tallies"]))
    data["tallies"][name]["match"].append(["conv"])
    data["checksum"] = _checksum({k: v for k, v in data.items() if k != "checksum"})
    with pytest.raises(SymparamsError, match="matches"):
        loads(json.dumps(data))


def test_layers_an_index_rule_decides_are_counted_by_the_rule():
    """flint's MoE layers are those with (i + 1) % decoder_sparse_step == 0 not listed in mlp_only_layers."""
    family = learned("flint")
    assert family is not None
    assert {f[0] for f in family.per_layer["features"]} == {"every", "in"}
    cfg, total = witness_config("flint")
    for step, only in ((1, [0, 1]), (2, [3]), (3, [])):
        changed = {**cfg, "decoder_sparse_step": step, "mlp_only_layers": only}
        sparse = sum(1 for i in range(cfg["num_hidden_layers"]) if (i + 1) % step == 0 and i not in only)
        env = family.values(changed)
        assert sorted(env[t] for t in family.tallies) == sorted([sparse, cfg["num_hidden_layers"] - sparse])
    with pytest.raises(SymparamsError, match="decoder_sparse_step must be at least 1"):
        family.count({**cfg, "decoder_sparse_step": 0})


@pytest.mark.parametrize("model_type, field", [("laguna", "num_attention_heads_per_layer"),
                                               ("gemma3n_text", "intermediate_size")])
def test_a_per_layer_list_of_sizes_that_shapes_the_model_is_fixed(model_type, field):
    """A list with one size per layer, the same for each (heads, MLP width), changes the shapes when its entries
    change: learn keeps it at the value it was read with, so a config that sets another is refused, not miscounted."""
    family = learned(model_type)
    assert family is not None and isinstance(family.fixed.get(field), list)
    cfg, _ = witness_config(model_type)
    with pytest.raises(SymparamsError, match=field):
        family.count({**cfg, field: [2 * v for v in family.fixed[field]]})


def test_the_causal_lm_class_transformers_names_for_each_counted_model_type_is_accepted():
    """A config's architectures names its class; transformers' own causal-LM class for every model type symparams
    counts (BertGenerationDecoder is one, though not a *ForCausalLM; Gemma3ForConditionalGeneration another, which
    the family names) is never refused as another kind of model."""
    pytest.importorskip("transformers", reason="transformers is not installed (pip install 'symparams[verify]')")
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    from symparams.config import Config, check_architectures

    counted = set(FAMILIES.by_type) | set(shipped())
    for model_type, name in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.items():
        if model_type in counted:
            config = Config({"model_type": model_type, "architectures": [name]})
            check_architectures(config, FAMILIES.for_type(config).same_parameters)
    with pytest.raises(SymparamsError, match="'BertModel' is not a causal language model"):
        check_architectures(Config({"model_type": "bert", "architectures": ["BertModel"]}))



def test_learn_says_which_lists_and_keywords_the_family_reads_as_the_class_does(monkeypatch, capsys):
    """What ``learn`` prints of LFM2 (its file, learned from transformers, stands in for a new learning run here)."""
    import symparams.learn as learn_module

    family = learned("lfm2")
    monkeypatch.setattr(learn_module, "learn", lambda model_type, probes=36: family)
    assert main(["learn", "lfm2"]) == 0
    out = capsys.readouterr().out
    assert "layer_types is read as the layers it lists as full_attention (full_attn_idxs" in out
    assert "read in place of a field, as the class reads them: block_ff_dim for intermediate_size" in out
    assert "refused at 0 (transformers builds no model there, or one these forms do not count): hidden_size, " in out
    assert main(["learn", "lfm2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["derived"] == family.derived and doc["legacy"] == family.legacy and doc["unread"] == []
    assert doc["positive"] == family.positive == ["hidden_size", "num_key_value_heads", "vocab_size"]


@pytest.mark.parametrize("model_type, says", [
    ("olmo_hybrid", "refused at 0 and below (transformers builds no model there): linear_dt_max, linear_dt_min"),
    ("diffllama", "refused below 0 (transformers builds no model there): lambda_std_dev")])
def test_learn_says_which_decimals_the_family_refuses_at_or_below_zero(monkeypatch, capsys, model_type, says):
    import symparams.learn as learn_module

    family = learned(model_type)
    monkeypatch.setattr(learn_module, "learn", lambda model_type, probes=36: family)
    assert main(["learn", model_type]) == 0
    assert says in capsys.readouterr().out.splitlines()
    assert main(["learn", model_type, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signs"] == family.signs != {}


def test_a_field_the_family_counts_from_one_up_is_refused_at_zero_in_one_line():
    """Ministral 3's class reads head_dim 0 as left out (D/H), which its forms, learned from 1 up, do not count:
    0 is refused naming the field, under its own name; 1 counts."""
    family = learned("ministral3")
    witness = dict(family.witnesses[0]["fields"])
    assert "head_dim" in family.positive
    with pytest.raises(SymparamsError, match=r"^config: head_dim is 0; the learned ministral3 family counts it from 1"):
        family.count({**witness, "head_dim": 0}, "config")
    assert family.count({**witness, "head_dim": 1}, "config") > 0


def test_a_file_whose_positive_holds_no_field_name_is_refused_on_load():
    from symparams.families.learned.data import _checksum, loads

    data = json.loads(learned("ministral3").dumps())
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["positive"] = [3]
    text = json.dumps({**body, "checksum": _checksum(body)})
    with pytest.raises(SymparamsError, match="positive holds something other than field names"):
        loads(text, "test")


@pytest.mark.parametrize("signs", [{"linear_dt_min": "negative"}, {"linear_dt_min": None}, ["linear_dt_min"]])
def test_a_file_whose_signs_hold_no_rule_is_refused_on_load(signs):
    from symparams.families.learned.data import _checksum, loads

    data = json.loads(learned("olmo_hybrid").dumps())
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["signs"] = signs
    with pytest.raises(SymparamsError, match="signs (holds something other than field names|is not a JSON object)"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


def test_a_number_transformers_cannot_take_at_0_or_below_is_refused_naming_the_field_and_the_bound():
    """OLMo hybrid takes the logarithm of linear_dt_min (so 0 is refused, as is 1e-400, which is 0.0 once read),
    DiffLlama draws lambdas with lambda_std_dev as a spread (so 0 counts and below it is refused), and CTRL makes
    n_positions sinusoids (none at 0)."""
    from symparams.config import parse_json

    for model_type, name, below, counted, bound in (
            ("olmo_hybrid", "linear_dt_min", ("0.0", "-0.5", "1e-400", "-Infinity"), ("1e-300", "0.5"), "above 0"),
            ("diffllama", "lambda_std_dev", ("-1e-300", "-2.0", "-Infinity"), ("0.0", "-0.0", "1e-400", "3.5"),
             "0 or above"),
            ("ctrl", "n_positions", ("-1", "-300"), ("0", "7"), "0 or above")):
        family = learned(model_type)
        witness = dict(family.witnesses[0]["fields"])
        for literal in below:
            config = {**witness, **parse_json(f'{{"{name}": {literal}}}')}
            with pytest.raises(SymparamsError, match=rf"^config: {name} is (?i:{re.escape(literal)}); transformers builds no "
                                                     rf"{model_type} model unless it is {bound}$"):
                family.count(config, "config")
        for literal in counted:
            assert family.count({**witness, **parse_json(f'{{"{name}": {literal}}}')}, "config") > 0


def test_a_file_whose_divides_names_no_width_is_refused_on_load():
    from symparams.families.learned.data import _checksum, loads

    data = json.loads(learned("bert").dumps())
    assert data["divides"] == [["num_attention_heads", "hidden_size", 12]]
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["divides"] = [["num_attention_heads", "no_such_field", 12]]
    with pytest.raises(SymparamsError, match="divides holds something other than"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


def test_heads_that_do_not_divide_the_width_are_refused_though_they_shape_no_parameter():
    """BERT's heads shape no parameter, but its attention refuses a width they do not divide: so is the count,
    whether the width or the heads (given or left at 12) are off."""
    family = learned("bert")
    witness = dict(family.witnesses[0]["fields"])
    for change in ({"hidden_size": 13, "num_attention_heads": 12}, {"hidden_size": 26}, {"hidden_size": 24,
                                                                                        "num_attention_heads": 5}):
        config = {k: v for k, v in witness.items() if k != "num_attention_heads"} | change
        if "num_attention_heads" not in change:
            config.pop("num_attention_heads", None)
        with pytest.raises(SymparamsError, match="does not divide hidden_size"):
            family.count(config, "config")
    assert family.count({**witness, "hidden_size": 24, "num_attention_heads": 6}, "config") > 0


def test_a_field_given_under_two_of_its_names_with_different_values_is_refused():
    """XGLM's class reads hidden_size as d_model, the later key deciding; two different values are refused, as a
    hand-written family refuses them, and the same value under both names counts once."""
    with pytest.raises(SymparamsError, match=r"field 'd_model': conflicting values for the same field \(d_model=1, "
                                             r"hidden_size=16\)"):
        from_dict({"model_type": "xglm", "d_model": 1, "hidden_size": 16}, "config")
    assert from_dict({"model_type": "xglm", "d_model": 16, "hidden_size": 16}, "config").total == \
        from_dict({"model_type": "xglm", "d_model": 16}, "config").total


def test_a_fixed_field_the_class_cannot_take_left_out_or_null_is_refused_in_one_line():
    """Cohere Compass's class defaults its rope table to an empty one, which builds no model, and its witnesses
    give a table: a config leaving it out is refused, as is one giving it as null; a table given counts."""
    family = learned("cohere_compass_text")
    assert family.required == ["rope_parameters"] and "rope_parameters" in family.not_null
    witness = dict(family.witnesses[0]["fields"])
    assert family.count(witness, "config") > 0
    with pytest.raises(SymparamsError, match=r"^config: rope_parameters is left out; transformers' cohere_compass_text"):
        family.count({k: v for k, v in witness.items() if k != "rope_parameters"}, "config")
    with pytest.raises(SymparamsError, match=r"^config: rope_parameters is null; transformers then builds no"):
        family.count({**witness, "rope_parameters": None}, "config")


def test_a_head_size_learned_left_out_is_refused_null():
    """Dots.llm1's witnesses leave head_dim out, which its class works out; null reaches its rotary embedding,
    which builds no model: refused, naming the field."""
    family = learned("dots1")
    witness = dict(family.witnesses[0]["fields"])
    assert "head_dim" not in witness and "head_dim" in family.not_null
    with pytest.raises(SymparamsError, match=r"^config: head_dim is null"):
        family.count({**witness, "head_dim": None}, "config")
    assert family.count(witness, "config") > 0


def test_a_per_layer_list_of_another_length_than_the_depth_is_refused_in_one_line():
    """Gemma 3n's class refuses an ``activation_sparsity_pattern`` of another length than the depth, a list no
    shape reads; at the depth it counts as before."""
    family = learned("gemma3n_text")
    assert family.lengths["activation_sparsity_pattern"] == ["num_hidden_layers", ["fewer", "more"]]
    witness = dict(family.witnesses[0]["fields"])
    layers = family.values(witness)["num_hidden_layers"]
    assert family.count({**witness, "activation_sparsity_pattern": [0.5] * layers}) == family.count(witness)
    for entries in (layers - 1, layers + 1):
        with pytest.raises(SymparamsError, match=rf"^config: activation_sparsity_pattern lists {entries} entries for "
                                                 rf"{layers} layers \(num_hidden_layers\); transformers builds no"):
            family.count({**witness, "activation_sparsity_pattern": [0.5] * entries}, "config")


@pytest.mark.parametrize("rule", [["vocab_size", ["fewer"]], ["num_hidden_layers", ["fewer", "longer"]],
                                  ["not_a_field", ["more"]], ["num_hidden_layers", []], "num_hidden_layers"])
def test_a_file_whose_lengths_are_not_a_depth_field_and_the_lengths_refused_is_refused_on_load(rule):
    from symparams.families.learned.data import _checksum, loads

    data = json.loads(learned("gemma3n_text").dumps())
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["lengths"] = {**body["lengths"], "activation_sparsity_pattern": rule}
    if rule[0] == "vocab_size":  # a field of the family: the rule is well formed, and loads
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")
        return
    with pytest.raises(SymparamsError, match="lengths holds something other than lists"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


def test_a_padding_id_past_a_table_it_pads_is_refused_in_one_line():
    """RoBERTa pads its token and position tables with ``pad_token_id``: an id at either's size builds no model.
    Left out, the class's default (1) is checked, against a vocabulary of 1."""
    family = learned("roberta")
    assert family.token_rows == [["pad_token_id", "max_position_embeddings", 1], ["pad_token_id", "vocab_size", 1]]
    witness = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])
    values = family.values(witness)
    assert family.count({**witness, "pad_token_id": 0}) == family.count(witness)
    for size in ("vocab_size", "max_position_embeddings"):
        with pytest.raises(SymparamsError, match=rf"^config: pad_token_id {values[size]} is not below {size}"):
            family.count({**witness, "pad_token_id": values[size]}, "config")
    with pytest.raises(SymparamsError, match=r"^config: pad_token_id 1 is not below vocab_size \(1\)"):
        family.count({**{k: v for k, v in witness.items() if k != "pad_token_id"}, "vocab_size": 1}, "config")


@pytest.mark.parametrize("rule", [["pad_token_id", "not_a_field", 1], ["pad_token_id", "vocab_size", "1"],
                                  ["pad_token_id", "vocab_size"], "pad_token_id"])
def test_a_file_whose_token_rows_are_not_an_id_a_size_and_a_default_is_refused_on_load(rule):
    from symparams.families.learned.data import _checksum, loads

    data = json.loads(learned("roberta").dumps())
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["token_rows"] = [rule]
    with pytest.raises(SymparamsError, match="token_rows holds something other than"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


def test_a_per_layer_list_naming_no_layer_of_a_kind_its_class_wants_is_refused_in_one_line():
    """OLMo Hybrid's class wants an attention layer and a linear-attention one."""
    family = learned("olmo_hybrid")
    assert family.kinds_needed == {"layer_types": ["full_attention", "linear_attention"]}
    witness = dict(family.witnesses[0]["fields"])
    layers = family.values(witness)["num_hidden_layers"]
    mixed = ["linear_attention"] * (layers - 1) + ["full_attention"]
    assert family.count({**witness, "layer_types": mixed}) > 0
    for kind, other in (("full_attention", "linear_attention"), ("linear_attention", "full_attention")):
        with pytest.raises(SymparamsError, match=rf"^config: layer_types names no {kind} layer; transformers'"):
            family.count({**witness, "layer_types": [other] * layers}, "config")


@pytest.mark.parametrize("key, message", [("required", "the family's fixed fields"),
                                          ("not_null", "fields the forms do not read")])
def test_a_file_whose_required_or_not_null_names_a_field_the_forms_read_is_refused_on_load(key, message):
    from symparams.families.learned.data import _checksum, loads

    data = json.loads(learned("cohere_compass_text").dumps())
    body = {k: v for k, v in data.items() if k != "checksum"}
    body[key] = ["vocab_size"]  # a field the forms read, whose null they learned
    with pytest.raises(SymparamsError, match=f"{key} holds something other than {message}"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


def test_a_file_naming_a_class_that_builds_the_causal_lms_parameters_counts_as_the_causal_lm(capsys):
    """RoBERTa's real files name ``RobertaForMaskedLM``, whose parameters are ``RobertaForCausalLM``'s: counted
    alike; BigBird's pre-training class, which builds more, is refused in one line naming the one that counts."""
    family = learned("roberta")
    witness = {**family.witnesses[0]["fields"], "model_type": "roberta"}
    assert "RobertaForMaskedLM" in family.same_parameters
    causal = from_dict({**witness, "architectures": ["RobertaForCausalLM"]}).total
    assert from_dict({**witness, "architectures": ["RobertaForMaskedLM"]}).total == causal
    for other in ("RobertaModel", "RobertaForSequenceClassification"):
        with pytest.raises(SymparamsError, match=rf"'{other}' is not a causal language model .* \(RobertaForMaskedLM, "
                                                 "which builds the causal LM's parameters, is counted\\)$"):
            from_dict({**witness, "architectures": [other]}, "config")
    bird = {**learned("big_bird").witnesses[0]["fields"], "model_type": "big_bird",
            "architectures": ["BigBirdForPreTraining"]}
    with pytest.raises(SymparamsError, match="^config: field 'architectures': 'BigBirdForPreTraining' is not a causal"):
        from_dict(bird, "config")


@pytest.mark.parametrize("bad", [["BertForCausalLM"], ["not a class"], [3], ["BertForMaskedLM", None]])
def test_a_file_whose_same_parameters_holds_no_class_name_is_refused_on_load(bad):
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("bert").dumps()).items() if k != "checksum"}
    body["same_parameters"] = bad
    with pytest.raises(SymparamsError, match="same_parameters holds something other than the names of model classes"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


@pytest.mark.parametrize("key", ["positive", "required", "not_null", "free", "same_parameters", "mirrors", "lengths"])
def test_a_file_giving_a_list_or_object_as_text_is_refused_on_load(key):
    """Text is no list of names: read as one, its letters would each pass as a name."""
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("bert").dumps()).items() if k != "checksum"}
    body[key] = "hidden_size"
    with pytest.raises(SymparamsError, match=rf"^test: {key} is not a (list|JSON object)$"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")


def test_a_value_set_on_a_learned_count_is_refused_where_the_family_refuses_the_config(capsys):
    """RoBERTa's rules live on config fields, not all of them symbols of the count: its 12 heads must divide the
    width, and its padding id 1 must be a row of the token and position tables. --set D=1024, V=1 or P=1 is
    refused as the family refuses a config stating it; D=1020 counts, as the config stating it does."""
    path = "tests/fixtures/learned/roberta-base.json"
    config = json.load(open(path))
    for argv, why in ((["D=1024"], "num_attention_heads (12) does not divide hidden_size (1024)"),
                      (["V=1"], "pad_token_id 1 is not below vocab_size (1)"),
                      (["P=1"], "pad_token_id 1 is not below max_position_embeddings (1)")):
        assert main(["count", path, "--set", *argv]) == 2
        err = capsys.readouterr().err
        assert f"with {argv[0]}: {why}" in err and err.count("\n") == 1, err
    assert main(["count", path, "--set", "D=1020", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == from_dict({**config, "hidden_size": 1020}).total


def test_the_command_line_sets_a_learned_familys_own_field_by_its_name(capsys):
    """--set names a learned family's own fields (RoBERTa's type_vocab_size, no symbol of the project's) and
    counts as the config stating it; a name the model does not use is refused in one line naming what it uses."""
    path = "tests/fixtures/learned/roberta-base.json"
    config = json.load(open(path))
    assert main(["count", path, "--set", "type_vocab_size=3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == from_dict({**config, "type_vocab_size": 3}).total
    assert main(["count", path, "--set", "num_experts=3"]) == 2
    err = capsys.readouterr().err
    assert "has no symbol 'num_experts' to set (it uses: " in err and "type_vocab_size" in err and err.count("\n") == 1


@pytest.mark.parametrize("model_type", ["roberta", "bert", "xlnet", "dots1", "lfm2", "recurrent_gemma", "minimax"])
@given(data=st.data())
@settings(max_examples=20, deadline=None, derandomize=True)
def test_a_value_set_on_a_learned_spec_counts_as_the_config_stating_it_or_both_refuse(model_type, data):
    """Any field the count reads, set on the Spec, gives the count of the config that states it: or both refuse."""
    family = learned(model_type)
    witness = data.draw(st.sampled_from(family.witnesses), label="witness")
    config = {**witness["fields"], "model_type": model_type}
    spec = from_dict(config)
    fields = {symbol_for(n).name: n for n in family.fields if symbol_for(n) in spec.symbols}
    name = data.draw(st.sampled_from(sorted(fields)), label="symbol")
    value = data.draw(st.integers(1, 2 * int(spec.env[next(s for s in spec.symbols if s.name == name)]) + 3),
                      label="value")
    got, want = set_and_stated(spec, name, value, {**config, fields[name]: value}, from_dict)
    assert got == want, (model_type, name, value)


@pytest.mark.parametrize("model_type, change, why, fine", [
    ("recurrent_gemma", {"num_key_value_heads": 9, "num_attention_heads": 4}, r"num_key_value_heads \(9\) exceeds "
                                                                             r"num_attention_heads \(4\)",
     {"num_key_value_heads": 3, "num_attention_heads": 4}),
    ("zaya", {"num_key_value_heads": 3, "num_attention_heads": 4}, r"num_key_value_heads \(3\) does not divide "
                                                                   r"num_attention_heads \(4\)",
     {"num_key_value_heads": 2, "num_attention_heads": 4}),
    ("diffllama", {"num_key_value_heads": 3}, r"num_key_value_heads \(3\) is odd", {"num_key_value_heads": 2}),
    ("dots3_note_text", {"n_group": 2, "n_routed_experts": 3}, r"n_group \(2\) does not divide n_routed_experts \(3\)",
     {"n_group": 2, "n_routed_experts": 4}),
    ("dots3_note_text", {"qk_rope_head_dim": 16, "index_head_dim": 14}, r"qk_rope_head_dim \(16\) exceeds "
                                                                       r"index_head_dim \(14\)",
     {"qk_rope_head_dim": 16, "index_head_dim": 16}),
])
def test_a_relation_between_two_fields_the_class_checks_is_refused_in_one_line(model_type, change, why, fine):
    """RecurrentGemma's class wants its key/value heads at most its heads, Zaya's dividing them, DiffLlama's even
    (its differential attention splits them in two), dots.llm3 its expert groups dividing its experts and its
    rotary size at most its indexer's heads' size; no shape breaks, so only the learned relation refuses them, and
    values that keep it count."""
    family = learned(model_type)
    witness = {**min(family.witnesses, key=lambda w: w["total"])["fields"], "model_type": model_type}
    with pytest.raises(SymparamsError, match=rf"^config: {why}; transformers builds no {model_type} model then$"):
        from_dict({**witness, **change}, "config")
    assert from_dict({**witness, **fine}).total > 0


@pytest.mark.parametrize("rule", [["at_least", "a", "b", None, None], ["divides", 3, "b", None, None],
                                  ["at_most", "a", "b", None], ["divides", "a", 2, None, None]])
def test_a_file_whose_relations_are_not_two_fields_and_a_rule_is_refused_on_load(rule):
    from symparams.families.learned.data import _checksum, loads

    body = {k: v for k, v in json.loads(learned("zaya").dumps()).items() if k != "checksum"}
    body["relations"] = [rule]
    with pytest.raises(SymparamsError, match=r"relations holds something other than \[at_most or divides"):
        loads(json.dumps({**body, "checksum": _checksum(body)}), "test")
