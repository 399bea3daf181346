"""Every shipped learned family against the installed transformers, on the meta device.

Re-learning a hundred model types takes the better part of an hour; checking them does not.
For each shipped file, Hypothesis draws configs from its witnesses with the fields the
family depends on changed (a field kept, grown by one, or doubled); transformers builds each
on the meta device, and the learned family must give its total and, tensor by tensor, every
shape: the top-level parameters, how many layers of each kind, and each per-layer tensor's
shape and copies. A config transformers refuses, or the family refuses (never a guess), falls
back to the witness itself, which transformers built when the file was learned. A file that
no longer matches the installed transformers fails here: regenerate with
``symparams learn --all -o symparams/families/learned``.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from budget import sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("torch", reason="torch is not installed (pip install 'symparams[verify]')")
pytest.importorskip("transformers", reason="transformers is not installed (pip install 'symparams[verify]')")

from symparams.errors import SymparamsError  # noqa: E402
from symparams.families import from_dict, from_file  # noqa: E402
from symparams.families.learned import learned, shipped  # noqa: E402
from symparams.families.learned.data import LearnedFamily, evaluate  # noqa: E402
from symparams.learn import (  # noqa: E402
    HEADS,
    LAYER_KINDS,
    WIDTHS,
    Reading,
    _build,
    _config_class,
    _fields_of,
    _make_config,
    _popped,
    _total,
    _try_build,
    read_layout,
)

SHIPPED = sorted(shipped())


def whole(value: Fraction) -> int:
    assert value.denominator == 1
    return int(value)


def merged(key: str, layers: int, params: dict, out: dict[tuple, object]) -> None:
    """Kinds of layer keyed by their stack, tensor names and shapes: two kinds alike in all three are one count.

    A kind split by a per-layer list (``... | layer_types=full_attention``) is read without
    its label, so a family counts the layers of each shape, whichever list entries gave them.
    """
    at = ("kind", " | ".join(key.split(" | ")[:2]), tuple(sorted(params.items())))
    out[at] = out.get(at, 0) + layers  # type: ignore[operator]


def learned_reading(family: LearnedFamily, env: dict[str, int]) -> dict[tuple, object]:
    """What the family says transformers builds, keyed as :func:`symparams.learn.read_layout` reads a layout."""
    out: dict[tuple, object] = {}
    for p in family.top:
        out[("top", p["name"])] = tuple(whole(evaluate(d, env)) for d in p["shape"])
    for kind in family.kinds:
        layers = whole(evaluate(kind["count"], env))
        params = {p["name"]: (whole(evaluate(p["copies"], env)), tuple(whole(evaluate(d, env)) for d in p["shape"]))
                  for p in kind["parameters"]}
        params = {name: v for name, v in params.items() if v[0]}
        if layers and params:
            merged(kind["stack"] + " | " + " ".join(sorted(params)), layers, params, out)
    return out


def built_reading(reading: Reading) -> dict[tuple, object]:
    out: dict[tuple, object] = {}
    for key, rank in reading.ranks.items():
        if key[0] == "top":
            out[key] = tuple(reading.values[("dim", key[1], i)] for i in range(rank))
    for key, layers in reading.values.items():
        if key[0] != "kind":
            continue
        params = {t[1]: (reading.values[("rep", key[1], t[1])],
                         tuple(reading.values[("kdim", key[1], t[1], i)] for i in range(reading.ranks[("kind", *t)])))
                  for t in ((k[1], k[2]) for k in reading.ranks if k[0] == "kind" and k[1] == key[1])}
        merged(key[1], layers, params, out)
    return out


def changed(family: LearnedFamily, base: dict, moves: list[int], shift: int = 0) -> dict:
    """The witness with its fields moved; per-layer lists rotated by ``shift`` and cycled to the new depth."""
    out = dict(base)
    for (name, value), move in zip(sorted(base.items()), moves):
        if name in family.fields:
            out[name] = value if move == 0 else value + 1 if move == 1 else 2 * value
    depth = base.get(family.per_layer.get("length", ""))
    for name, entries in base.items():  # every list of one text entry per layer, decisive or not
        if isinstance(entries, list) and entries and len(entries) == depth and all(isinstance(v, str) for v in entries):
            n, k = out[family.per_layer["length"]], shift % len(entries)
            turned = entries[k:] + entries[:k]
            out[name] = [turned[i % len(turned)] for i in range(n)]
    return out


def check(family: LearnedFamily, cfg: dict[str, int]) -> bool:
    """Compare the family with what transformers builds for ``cfg``; False if either side refuses it."""
    model_type = family.model_type
    try:
        read_by = family.for_config(cfg)
        env = read_by.values(cfg)
        want = learned_reading(read_by, env)
        total = family.count(cfg)
    except (SymparamsError, AssertionError):
        return False
    try:
        layout = _build(_config_class(model_type), cfg)
    except Exception:  # transformers refuses this combination of fields
        return False
    got = built_reading(read_layout(layout, split=bool(read_by.tallies)))
    assert total == _total(layout), f"{model_type} {cfg}: learned {total:,}, transformers {_total(layout):,}"
    assert want == got, f"{model_type} {cfg}: the learned shapes differ from what transformers builds"
    return True


def stated_table(default: dict, data: st.DataObject) -> dict:
    """A RoPE table as released configs state one: their own base, and default, linear, dynamic or YaRN scaling (per
    layer kind where the class keeps one per kind; the class's other keys, its rotary share among them, kept)."""
    theta = data.draw(st.sampled_from([10000.0, 500000.0, 1000000.0, 5000000.0]), label="rope_theta")
    kind = data.draw(st.sampled_from(["default", "linear", "dynamic", "yarn"]), label="rope_type")
    stated = {"rope_type": kind, "rope_theta": theta, **({"factor": 4.0} if kind != "default" else {})}
    if default and all(isinstance(v, dict) for v in default.values()):
        return {k: {**t, **stated} for k, t in default.items()}
    return {**default, **stated}


@pytest.mark.parametrize("model_type", sample(SHIPPED, "learned against transformers"))
@given(data=st.data())
@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_a_shipped_family_counts_what_transformers_builds(model_type, data):
    family = learned(model_type)
    assert family is not None
    # the family, or a variant: a switch flipped, or a null field given (its witnesses then give it)
    flip = data.draw(st.sampled_from([None, *sorted(family.variant_data)]), label="changed")
    read_by = family.variants[flip] if flip is not None else family
    witness = data.draw(st.sampled_from(read_by.witnesses), label="witness")
    base = dict(witness["fields"])
    if flip in read_by.fixed:
        base[flip] = read_by.fixed[flip]
    moves = data.draw(st.lists(st.integers(0, 2), min_size=len(base), max_size=len(base)), label="moves")
    shift = data.draw(st.integers(0, 7), label="shift") if read_by.tallies else 0
    cfg = changed(read_by, base, moves, shift)
    for name, alike in sorted(read_by.alike.items()):  # an activation learned to build the same shapes
        cfg[name] = data.draw(st.sampled_from([read_by.fixed[name], *alike]), label=name)
    for name in read_by.free:  # a RoPE table learned to build the same shapes whatever it holds
        cfg[name] = stated_table(read_by.fixed[name], data)
    if not check(family, cfg):
        assert check(family, base), f"{model_type}: its own witness {base} no longer builds or counts"


def shipped_with(key: str) -> list[str]:
    """The shipped families whose files give ``key`` (read from the files: collection loads no family)."""
    out = []
    for model_type, path in shipped().items():
        with open(path, encoding="utf-8") as fh:
            if json.load(fh).get(key):
                out.append(model_type)
    return out


def with_variants() -> list[str]:
    """The shipped families that learned a switch both ways."""
    return shipped_with("variants")


@pytest.mark.parametrize("model_type", sample(with_variants(), "learned with a field changed"))
def test_each_variant_of_a_shipped_family_counts_what_transformers_builds(model_type):
    """Every variant, on each of its own witnesses with its switch set (or its null field given): the count and every
    shape transformers builds (a witness of a variant was built so when it was learned)."""
    family = learned(model_type)
    assert family is not None
    for name, variant in family.variants.items():
        for witness in variant.witnesses[:2]:
            cfg = {**witness["fields"], **({name: variant.fixed[name]} if name in variant.fixed else {})}
            assert family.for_config(cfg) is variant
            assert check(family, cfg), f"{model_type} with {name} = {cfg[name]}: {cfg} does not build"


def linear_pairs(family: LearnedFamily) -> list[tuple[str, str]]:
    """The pairs of fields that size one linear map between them (D x E), each once."""
    pairs = set()
    for param in [*family.top, *(q for kind in family.kinds for q in kind["parameters"])]:
        shape = param["shape"]
        if param["module"] == "linear" and len(shape) == 2 and all(isinstance(d, list) and d[0] == "field" for d in shape):
            if shape[0][1] != shape[1][1]:
                pairs.add(tuple(sorted((shape[0][1], shape[1][1]))))
    return sorted(pairs)  # type: ignore[arg-type]


@pytest.mark.parametrize("model_type", sample(SHIPPED, "learned where two widths coincide"))
def test_a_shipped_family_counts_what_transformers_builds_where_two_widths_it_maps_between_are_equal(model_type):
    """Probes drawn at random almost never make two widths equal, and transformers often builds the map between
    them only when they differ (ELECTRA's embeddings_project): each witness with one width set to the other is
    counted as transformers builds it, or refused, never miscounted (totals compared: tensors of equal shapes
    group differently, which changes no count)."""
    family = learned(model_type)
    assert family is not None
    for a, b in linear_pairs(family):
        for witness in family.witnesses[:2]:
            if a not in witness["fields"] or b not in witness["fields"]:
                continue
            cfg = {**witness["fields"], b: witness["fields"][a]}
            try:
                total = family.count(cfg)
                layout = _build(_config_class(model_type), cfg)
            except SymparamsError:
                continue
            except Exception:  # transformers refuses this combination of fields
                continue
            assert total == _total(layout), f"{model_type} {cfg}: learned {total:,}, transformers {_total(layout):,}"


@pytest.mark.parametrize("model_type", sample(SHIPPED, "learned defaults"))
def test_a_learned_default_is_what_transformers_makes_of_the_field_whatever_other_field_changes(model_type):
    """A field left out or null gets its learned form's value, a form of the fields the family reads: transformers'
    config class must give the same when a whole-number field the family does not read changes (doubled, or grown
    by one). xLSTM's missing num_blocks is num_hidden_layers, which its shapes do not read: a form cannot say it, so
    it is not learned, and such a config is refused (a fixed 32 blocks would be a wrong count)."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    outside = {f: v for f, v in _fields_of(cls).ints.items() if f not in family.fields}
    for (name, mode), form in [((n, m), f) for n, modes in family.fields.items() for m, f in modes.items()]:
        given = {} if mode == "missing" else {name: None}
        for other, value in outside.items():
            for new in (2 * value if value else 1, value + 1):
                try:
                    made = _make_config(cls, {**given, other: new}).to_dict()
                except Exception:  # transformers refuses this value
                    continue
                env = {f: made[f] for f in family.fields if f != name and isinstance(made.get(f), int)}
                try:
                    ours = evaluate(form, env)
                except KeyError:  # the form reads a field transformers left null here: not this check's case
                    continue
                assert ours == made[name], f"{model_type}: {name} {mode} with {other} = {new}: {ours} vs {made[name]}"


@pytest.mark.parametrize("model_type", sample(SHIPPED, "per-layer lists of one kind"))
def test_a_per_layer_list_of_one_kind_given_other_kinds_counts_what_transformers_builds_or_is_refused(model_type):
    """A list the class fills with one kind of layer (Granite 4.0's layer_types, Mellum's mlp_layer_types) tells the
    learner nothing of the others; a config listing others (attention, dense) is counted as transformers builds it,
    or refused, never counted as the one kind."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = dict(family.witnesses[0]["fields"])
    made = _make_config(cls, witness).to_dict()
    for name, listed in made.items():
        if not (isinstance(listed, list) and listed and all(isinstance(v, str) for v in listed) and len(set(listed)) == 1):
            continue
        for kind in LAYER_KINDS:
            cfg = {**witness, name: [kind if i % 2 else v for i, v in enumerate(listed)]}
            try:
                total = family.count(cfg)
                layout = _build(cls, cfg)
            except SymparamsError:
                continue
            except Exception:  # transformers refuses this list
                continue
            assert total == _total(layout), f"{model_type} {name} with {kind}: learned {total:,}, transformers {_total(layout):,}"


def test_the_check_fails_for_a_family_that_no_longer_matches():
    """A file whose shapes drifted from transformers (one dimension off by one) is caught, total and shape."""
    from dataclasses import replace

    family = learned(SHIPPED[0])
    assert family is not None
    base = dict(family.witnesses[0]["fields"])
    assert check(family, base)
    top = [dict(p) for p in family.top]
    top[0]["shape"] = [["add", top[0]["shape"][0], 1], *top[0]["shape"][1:]]
    with pytest.raises(AssertionError, match="learned .*, transformers"):
        check(replace(family, top=top), base)


def test_verify_compares_a_learned_count_group_by_group(capsys):
    """verify reads a learned config too: its groups, named from module names, match transformers' own."""
    from symparams.cli import main

    assert main(["verify", "tests/fixtures/learned/biogpt.json"]) == 0
    assert "all groups match" in capsys.readouterr().out


def _every_kind(family: LearnedFamily, witness: dict) -> dict:
    """The witness with its per-layer lists giving every kind they name: every other layer listed."""
    n = witness[family.per_layer["length"]]
    cfg = dict(witness)
    for f in family.per_layer["features"]:
        if f[0] == "list":
            cfg[f[1]] = [f[2][i % len(f[2])] for i in range(n)]
        elif f[0] == "in":
            cfg[f[1]] = [i for i in range(n) if i % 2 == 0]
    return cfg


def _richest(family: LearnedFamily) -> dict:
    """The witness with the most kinds of layer built (a drawn config may have dense layers the default lacks)."""
    def kinds(w: dict) -> int:
        return sum(1 for kind in family.kinds if evaluate(kind["count"], family.values(w["fields"])) > 0)
    return dict(max(family.witnesses, key=kinds)["fields"])


@pytest.mark.parametrize("model_type", sample(SHIPPED, "fields of one kind of layer"))
def test_every_field_of_the_class_moved_counts_what_transformers_builds_where_every_kind_is_built(model_type):
    """dots.llm1's default has no dense layer and LFM2's lists every layer as attention, so the dense width and the
    convolution's kernel and bias changed nothing there and were once learned as constants. At a config building
    every kind (the witness with the most, and the lists giving each kind they name), each whole number of the
    class moved by one and each switch flipped is counted as transformers builds it, or refused."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = _richest(family)
    points = [witness, *([_every_kind(family, witness)] if family.per_layer else [])]
    fields = _fields_of(cls)
    for cfg in points:
        trials = [{name: cfg.get(name, value) + 1} for name, value in fields.ints.items() if name not in family.tallies]
        trials += [{name: not value} for name, value in family.fixed.items() if isinstance(value, bool)]
        for change in trials:
            changed = {**cfg, **change}
            try:
                total = family.count(changed)
            except SymparamsError:
                continue
            try:
                layout = _build(cls, changed)
            except Exception:  # transformers refuses it
                continue
            assert total == _total(layout), f"{model_type} with {change}: learned {total:,}, transformers {_total(layout):,}"


def with_derived() -> list[str]:
    return [t for t in SHIPPED if (learned(t) or LearnedFamily("", "", {}, {}, {}, [], [], [])).derived]


@pytest.mark.parametrize("model_type", with_derived())
def test_a_per_layer_list_the_class_derives_counts_what_transformers_builds_when_given(model_type):
    """LFM2's class makes layer_types from full_attn_idxs when a config leaves it out, and builds from layer_types
    when a config gives it (newer releases give both): given alone, beside indices that agree, beside indices that
    do not, or in transformers' legacy names, it counts what transformers builds."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = dict(family.witnesses[0]["fields"])
    n = witness[family.per_layer["length"]]
    for name, rule in family.derived.items():
        for picked in ([0], list(range(1, n, 2)), list(range(n)), []):
            listed = [rule["in"] if i in picked else rule["out"] for i in range(n)]
            alone = {k: v for k, v in witness.items() if k != rule["from"]}
            for cfg in ({**alone, name: listed}, {**witness, name: listed, rule["from"]: picked},
                        {**witness, name: listed, rule["from"]: [i for i in range(n) if i not in picked]},
                        {**alone, name: ["attention" if k == "full_attention" else k for k in listed]}):
                assert family.count(cfg) == _total(_build(cls, cfg)), (name, cfg)


def with_legacy() -> list[str]:
    return [t for t in SHIPPED if (learned(t) or LearnedFamily("", "", {}, {}, {}, [], [], [])).legacy]


@pytest.mark.parametrize("model_type", with_legacy())
def test_a_keyword_the_class_reads_in_place_of_a_field_counts_what_transformers_builds(model_type):
    """LFM2's class sets intermediate_size from block_ff_dim and tie_word_embeddings from tie_embedding, which its
    first releases give beside (or instead of) the fields: given alone, or beside the field with another value,
    the keyword decides, as transformers builds it."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = dict(family.witnesses[0]["fields"])
    for name, target in family.legacy.items():
        was = witness.get(target, family.fixed.get(target))
        values = [not was] if isinstance(was, bool) else [2 * was, was + 7]
        for value in values:
            for cfg in ({**witness, name: value}, {**witness, target: was, name: value}):
                assert family.count(cfg) == _total(_build(cls, cfg)), (name, value)


def test_lfm2s_mlp_width_is_floored_before_it_is_rounded_up_at_every_width():
    """LFM2's MLP width is m * ceil(floor(2F/3) / m); random probes also fit m * ceil((2F/3) / m), which differs where
    2F/3 is just above a multiple of m. The learner builds a config where the two differ and keeps the right one."""
    family = learned("lfm2")
    assert family is not None
    cls = _config_class("lfm2")
    witness = dict(family.witnesses[0]["fields"])
    for width in range(1, 3 * witness["block_multiple_of"], 7):
        cfg = {**witness, "intermediate_size": width}
        assert family.count(cfg) == _total(_build(cls, cfg)), width


def _at_richest(model_type: str) -> tuple:
    """The shipped family, its config class, its witness building the most kinds of layer, and a count of a config
    through the whole reading (field types checked)."""
    family = learned(model_type)
    assert family is not None

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    return family, _config_class(model_type), _richest(family), whole


@pytest.mark.parametrize("model_type", sample(SHIPPED, "zeros"))
def test_every_field_set_to_zero_counts_what_transformers_builds_or_is_refused(model_type):
    """Probes draw sizes from 1 up, and transformers reads some zeros otherwise: Ministral 3's head_dim 0 as "left
    out", Flint's num_experts 0 as no experts, HunYuan v3's moe_intermediate_size 0 as a dense layer; elsewhere it
    cannot build at 0; BERT's heads shape no parameter and cannot be 0. At the witness building the most kinds of
    layer, each field the forms read, and each one the class declares, set to 0 is counted (through the whole
    reading, field types checked) as transformers builds it, or refused."""
    import dataclasses

    family, cls, witness, whole = _at_richest(model_type)
    for name in dict.fromkeys([*family.fields, *(f.name for f in dataclasses.fields(cls))]):
        if name not in ("dtype", "torch_dtype", "id2label", "label2id"):  # every model type's: test_field_types
            _counted_as_built(family, cls, {**witness, name: 0}, f"{model_type} with {name} 0", whole)


DECIMALS_AT_OR_BELOW_ZERO = ["0.0", "-0.0", "1e-400", "-1.0", "-1e-300", "-Infinity", "1e-300"]


@pytest.mark.parametrize("model_type", sample(SHIPPED, "decimals at 0 or below"))
def test_every_decimal_field_at_zero_or_below_counts_what_transformers_builds_or_is_refused(model_type, tmp_path):
    """Probes hold each decimal field at its default, and some class's code cannot take 0 or less there: OLMo
    hybrid takes the logarithm of linear_dt_min, DiffLlama draws its lambdas with lambda_std_dev as a spread. At
    the witness building the most kinds of layer, each field whose default is a decimal, written in the file at 0
    or below (1e-400 is 0.0 once json.loads has read it) or just above, is counted as transformers builds it, or
    refused."""
    import dataclasses

    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = _richest(family)
    path = tmp_path / "config.json"
    for f in dataclasses.fields(cls):
        if type(f.default) is not float:
            continue
        for literal in DECIMALS_AT_OR_BELOW_ZERO:
            path.write_text(json.dumps({**witness, "model_type": model_type, f.name: "\x00"}).replace(
                json.dumps("\x00"), literal))

            def read(_: dict, path=path) -> int:
                return from_file(path).total

            _counted_as_built(family, cls, {**witness, f.name: float(literal)}, f"{model_type} with {f.name} {literal}",
                              read)


@pytest.mark.parametrize("model_type", sample(SHIPPED, "whole numbers below 0"))
def test_every_whole_number_field_the_forms_do_not_read_below_zero_counts_what_transformers_builds_or_is_refused(
        model_type):
    """A field the forms do not read shapes nothing, and transformers builds the same model at most values of it;
    but some class's code cannot take a negative one (CTRL makes n_positions sinusoids, Kolibri's sliding_window
    sizes a mask, GPT-NeoX Japanese's heads split a width). At the witness building the most kinds of layer, each
    field whose default is a whole number, at -1, is counted as transformers builds it, or refused."""
    import dataclasses

    family, cls, witness, whole = _at_richest(model_type)
    for f in dataclasses.fields(cls):
        if type(f.default) is int and f.name not in family.fields:
            _counted_as_built(family, cls, {**witness, f.name: -1}, f"{model_type} with {f.name} -1", whole)


@pytest.mark.parametrize("model_type", sample(SHIPPED, "fixed fields left out or null"))
def test_every_fixed_field_left_out_or_null_counts_what_transformers_builds_or_is_refused(model_type):
    """The forms read a fixed field left out or null as the value the family was learned with, and do not read
    other fields the forms never needed; transformers takes the class's default, or null (Cohere Compass's default
    rope table, a null head_dim and AFMoE's null global_attn_every_n_layers build no model). At every witness,
    each fixed field left out, and each field the class declares set to null, is counted as transformers builds
    it, or refused (each field left out at every witness; null at the smallest and at the one building the most
    kinds of layer)."""
    import dataclasses

    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    declared = [f.name for f in dataclasses.fields(cls) if f.name not in family.fields]

    def whole(config: dict) -> int:  # the whole reading, field types checked, as a config.json is read
        return from_dict({"model_type": model_type, **config}, "config").total

    kept = (dict(min(family.witnesses, key=lambda w: w["total"])["fields"]), _richest(family))
    for witness in family.witnesses:
        base = dict(witness["fields"])
        nulls = dict.fromkeys([*family.fixed, *declared]) if base in kept else []
        for name in nulls:
            _counted_as_built(family, cls, {**base, name: None}, f"{model_type} with {name} null", whole)
        for name in family.fixed:
            if name in base:
                left = {k: v for k, v in base.items() if k != name}
                _counted_as_built(family, cls, left, f"{model_type} without {name}")


@pytest.mark.parametrize("model_type", sample(SHIPPED, "lists resized"))
def test_a_list_the_class_declares_one_entry_shorter_or_longer_counts_what_transformers_builds_or_is_refused(
        model_type):
    """X-MOD builds an adapter for each entry of ``languages``, a list no probe resized: a config naming three
    languages counted as one. Gemma 3n's class refuses an ``activation_sparsity_pattern`` of another length than
    the depth, which no shape reads. At the smallest witness and the one building the most kinds of layer, each
    list the class holds (one per layer: the one kind the family holds, where it holds one; a number it also takes
    as a list, as one), one entry shorter, and one longer, is counted (through the whole reading) as transformers
    builds it, or refused."""
    import dataclasses

    from symparams.learn import _make_config, _resized, _takes

    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    per_layer = {f.name for f in dataclasses.fields(cls) if _takes([1], f.type)}

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    smallest = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])
    for witness in (smallest, _richest(family)) if _richest(family) != smallest else (smallest,):
        made = _make_config(cls, witness).to_dict()
        depth = next((made[n] for n in ("num_hidden_layers", "num_layers", "n_layer") if type(made.get(n)) is int),
                     None)
        for name, value in made.items():
            if type(value) is int and name in per_layer and depth:
                value = [value] * depth  # a number the class also takes one per layer (HunYuan MoE's moe_topk)
            if name in family.fields or name.startswith("_") or not isinstance(value, list) or not value:
                continue
            held = family.fixed.get(name)
            if len(value) == depth and isinstance(held, list) and held and all(v == held[0] for v in held):
                value = [held[0]] * depth
            others = [value[:-1], [*value, value[-1]]] if len(value) == depth else _resized(value, depth)
            for other in others:
                _counted_as_built(family, cls, {**witness, name: other}, f"{model_type} with {name} {other}", whole)


@pytest.mark.parametrize("model_type", sample(SHIPPED, "odd head sizes"))
def test_a_stated_head_dim_odd_or_even_counts_what_transformers_builds_or_is_refused(model_type):
    """transformers' rope validation refuses a stated odd head_dim that rotates whole (HunYuan MoE's 5); the
    forms count any. At the smallest witness, head_dim 3, 5, 6 and 7 (where the class declares it) are each
    counted (through the whole reading) as transformers builds them, or refused."""
    import dataclasses

    family = learned(model_type)
    cls = _config_class(model_type)
    if "head_dim" not in {f.name for f in dataclasses.fields(cls)}:
        return
    witness = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    for size in (3, 5, 6, 7):
        _counted_as_built(family, cls, {**witness, "head_dim": size}, f"{model_type} with head_dim {size}", whole)


def with_made_number_lists() -> list[str]:
    """The shipped families holding a per-layer list of one number that the class makes when a file leaves it out."""
    import dataclasses

    out = []
    for m in SHIPPED:
        family = learned(m)
        declared = {f.name: f.default for f in dataclasses.fields(_config_class(m))}
        if any(declared.get(k, 0) is None and isinstance(v, list) and v and all(type(x) is int for x in v)
               for k, v in family.fixed.items()):
            out.append(m)
    return out


@pytest.mark.parametrize("model_type", with_made_number_lists())
def test_a_per_layer_list_of_numbers_the_class_makes_counts_what_transformers_builds_or_is_refused(model_type):
    """Laguna makes ``num_attention_heads_per_layer`` from ``num_attention_heads`` where a file leaves it out; the
    forms read the field, and a stated list of the number the family was learned with (48) in every entry was
    counted with the field's heads (53,892 where transformers builds 134,544). At every witness, such a list of
    the learned number, of the witness's own, and of the witness's with one entry doubled, is counted (through
    the whole reading) as transformers builds it, or refused."""
    import dataclasses

    from symparams.learn import _make_config

    family = learned(model_type)
    cls = _config_class(model_type)
    declared = {f.name: f.default for f in dataclasses.fields(cls)}

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    for witness in family.witnesses:
        base = dict(witness["fields"])
        made = _make_config(cls, base).to_dict()
        for name, held in family.fixed.items():
            if declared.get(name, 0) is not None or not isinstance(made.get(name), list) or not made[name]:
                continue
            own = made[name]
            for listed in ([held[0]] * len(own), own, [*own[:-1], 2 * own[-1]]):
                _counted_as_built(family, cls, {**base, name: listed}, f"{model_type} with {name} {listed}", whole)


def with_kind_lists() -> list[str]:
    return [m for m in SHIPPED if any(f[0] == "list" and len(f[2]) > 1
                                      for f in learned(m).per_layer.get("features", []))]


@pytest.mark.parametrize("model_type", sample(with_kind_lists(), "a kind of layer left out"))
def test_a_per_layer_list_naming_no_layer_of_a_kind_counts_what_transformers_builds_or_is_refused(model_type):
    """Probes draw per-layer lists with every kind among their entries; OLMo Hybrid's class wants an attention
    layer and a linear-attention one. At the smallest witness and the one building the most kinds of layer, each
    kind a list names replaced by another in every entry is counted (through the whole reading) as transformers
    builds it, or refused."""
    from symparams.learn import _make_config

    family = learned(model_type)
    cls = _config_class(model_type)

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    smallest = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])
    for witness in (smallest, _richest(family)) if _richest(family) != smallest else (smallest,):
        made = _make_config(cls, witness).to_dict()
        for feature in family.per_layer["features"]:
            if feature[0] != "list" or len(feature[2]) < 2:
                continue
            name, entries = feature[1], feature[2]
            listed = witness.get(name, made.get(name))
            for kind in entries if isinstance(listed, list) else []:
                other = next(e for e in entries if e != kind)
                changed = {**witness, name: [other if e == kind else e for e in listed]}
                _counted_as_built(family, cls, changed, f"{model_type} with no {kind} in {name}", whole)


def by_layer_kind() -> list[str]:
    """The shipped families taking any rope table, whose class keeps one per kind of layer."""
    return [m for m in SHIPPED if "rope_parameters" in learned(m).free and any(
        isinstance(v, dict) for v in learned(m).fixed["rope_parameters"].values())]


@pytest.mark.parametrize("model_type", sample(by_layer_kind(), "rope tables by layer kind"))
def test_a_rope_table_by_layer_kind_missing_a_kind_or_a_key_counts_what_transformers_builds_or_is_refused(
        model_type):
    """The rope table shapes nothing, and the learned family takes any; but Mellum's class, unlike Gemma 3n's,
    fills in no kind or base a file leaves out, and its rotary embedding reads them, with each kind's share. At
    the witness building the most kinds of layer, the class's table with each kind left out, or its base, its
    type, or a non-table in its place, an unknown or bare YaRN type, a share that is null, text, a list or true,
    an extra kind, one flat table (plain, of an unknown type, or bare YaRN) and an empty one: each is counted
    (through the whole reading) as transformers builds it, or refused; a share of one half is counted."""
    family = learned(model_type)
    cls = _config_class(model_type)
    witness = _richest(family)
    table = witness.get("rope_parameters", family.fixed["rope_parameters"])

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    trials = [{}, {"rope_type": "default", "rope_theta": 10000.0}, {"rope_type": "bogus"}, {"rope_type": "yarn"},
              {**table, "extra_attention": {"rope_type": "default", "rope_theta": 1.0}}]
    for kind, entry in table.items():
        trials.append({k: v for k, v in table.items() if k != kind})
        if isinstance(entry, dict):
            trials += [{**table, kind: {k: v for k, v in entry.items() if k != key}} for key in ("rope_type", "rope_theta")]
            trials += [{**table, kind: {**entry, "rope_type": t}} for t in ("yarn", "bogus")]
            trials += [{**table, kind: {**entry, "partial_rotary_factor": v}} for v in (None, "0.5", [0.5], True)]
            trials.append({**table, kind: 1})
            half = {**witness, "rope_parameters": {**table, kind: {**entry, "partial_rotary_factor": 0.5}}}
            assert whole(half) == _total(_build(cls, half)), f"{model_type}: a share of 1/2 for {kind}"
    for rope in trials:
        _counted_as_built(family, cls, {**witness, "rope_parameters": rope}, f"{model_type} with rope {rope}", whole)


@pytest.mark.parametrize("model_type", sample(by_layer_kind(), "rope shares by layer kind"))
def test_a_kinds_share_counts_where_transformers_builds_it_and_is_refused_where_it_cannot(model_type):
    """A kind's rotary embedding rotates int(head_dim x share) dimensions (proportional RoPE int(share x head_dim
    // 2) pairs), and a negative count, or more than torch holds, builds no model. At the witness building the
    most kinds of layer, each kind's share just either side of rotating nothing and of one pair, at -1, 1/2 and
    1e30: counted as transformers builds it where it builds, refused in one line where it cannot."""
    family = learned(model_type)
    cls = _config_class(model_type)
    witness = _richest(family)
    table = witness.get("rope_parameters", family.fixed["rope_parameters"])
    head = witness.get("head_dim", family.fields.get("head_dim", {}).get("missing"))
    near = [n / head for n in (-2.01, -1.01, -0.99, -0.01, 1.99, 2.01)] if type(head) is int and head > 0 else []
    for kind, entry in table.items():
        if not isinstance(entry, dict):
            continue
        for share in (-1, 0.5, 1e30, *near):
            changed = {**witness, "rope_parameters": {**table, kind: {**entry, "partial_rotary_factor": share}}}
            try:
                ours: int | str = from_dict({"model_type": model_type, **changed}, "config").total
            except SymparamsError as err:
                ours = str(err)
            try:
                theirs: int | None = _total(_build(cls, changed))
            except Exception:  # noqa: BLE001 - transformers refuses it
                theirs = None
            if theirs is None:
                assert isinstance(ours, str) and "\n" not in ours, f"{model_type} {kind} share {share}: {ours}"
            else:
                assert ours == theirs, f"{model_type} {kind} share {share}: ours {ours}, transformers {theirs:,}"


ROPE_TRIALS = ({"rope_type": "default"}, {"rope_type": "linear", "factor": 8.0}, {"rope_type": "dynamic", "factor": 2.0},
               {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64}, {"rope_type": "bogus"})


@pytest.mark.parametrize("model_type", sample(shipped_with("rope_types"), "rope tables of the types a class takes"))
def test_a_rope_table_of_a_type_the_class_takes_counts_what_transformers_builds_and_any_other_is_refused(model_type):
    """Released files state their own RoPE base (MiniMax-Text-01's 10^7), which shapes nothing; MiniMax's class
    builds with a default or linear table and RecurrentGemma's with a default one alone. At every witness, a table
    of each type, at three bases and with the class's own share or half of it, is counted as transformers builds it
    where the family was learned to take its type, and refused in one line naming the table where it was not."""
    family = learned(model_type)
    cls = _config_class(model_type)
    for name, types in family.rope_types.items():
        default = family.fixed[name]
        for witness in family.witnesses:
            for trial in ROPE_TRIALS:
                for theta in (10000.0, 1000000.0, 10000000.0):
                    shares = [{}] + ([{"partial_rotary_factor": default["partial_rotary_factor"] / 2}]
                                     if "partial_rotary_factor" in default else [])
                    for share in shares:
                        table = {**default, **trial, "rope_theta": theta, **share}
                        config = {**witness["fields"], name: table}
                        what = f"{model_type} with {name} {table}"
                        if trial["rope_type"] not in types:
                            with pytest.raises(SymparamsError, match=f"^config: {name}: the learned {model_type} family"):
                                from_dict({"model_type": model_type, **config}, "config")
                            continue
                        theirs = _total(_build(cls, config))
                        assert family.count(config) == from_dict({"model_type": model_type, **config}).total == theirs, what

def _matrix_product_flops(model_type: str, fields: dict, seq: int) -> int:
    """The FLOPs of the matrix products (mm, addmm) a CPU forward pass over ``seq`` tokens executes, experts run
    eagerly (one product per expert over the tokens the router sent it)."""
    import torch
    import transformers
    from torch.utils.flop_counter import FlopCounterMode

    tcfg = transformers.AutoConfig.for_model(model_type, **fields)
    model = transformers.AutoModelForCausalLM.from_config(tcfg, attn_implementation="eager",
                                                          experts_implementation="eager")
    model.requires_grad_(False)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(input_ids=torch.zeros((1, seq), dtype=torch.long))
    counts = counter.get_flop_counts().get("Global", {})
    return sum(n for op, n in counts.items() if op in (torch.ops.aten.mm, torch.ops.aten.addmm))


@pytest.mark.parametrize("model_type", sample(SHIPPED, "routed experts executed"))
def test_stacked_experts_cost_what_a_forward_pass_executes(model_type):
    """Where a learned tree holds experts stacked E first and the config gives k (num_experts_per_tok), a token
    multiplies k experts' weights, the router's and every linear layer's: 2 x those weights x T equals the
    matrix products FlopCounterMode sees in a forward pass over T tokens, at each witness transformers runs."""
    from symparams.families.learned.tree import Stacked

    family = learned(model_type)
    for witness in family.witnesses:
        fields = dict(witness["fields"])
        try:
            spec = from_dict({"model_type": model_type, **fields}, "witness")
            weights = spec.count(reading="matmul")
        except SymparamsError:
            continue
        if not any(isinstance(node, Stacked) for _, _, node in spec.tree.walk()):
            continue
        for seq in (1, 5):
            try:
                executed = _matrix_product_flops(model_type, fields, seq)
            except RuntimeError:  # a witness transformers builds but cannot run (sizes picked to build shapes)
                break
            assert executed == 2 * weights * seq, f"{model_type} at {fields}, {seq} tokens"


@pytest.mark.parametrize("model_type", sample(SHIPPED, "padding rows"))
def test_a_padding_id_at_each_size_the_family_reads_counts_what_transformers_builds_or_is_refused(model_type):
    """An embedding takes ``pad_token_id`` as a row, which probes never moved: RoBERTa's at the vocabulary's size,
    or the position table's, builds no model. At the smallest witness, the id at each size the forms read (the
    first row past a table of that size), and left out with the vocabulary smaller than the class's default id,
    is counted (through the whole reading) as transformers builds it, or refused."""
    from symparams.learn import _make_config

    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])
    if "pad_token_id" not in _make_config(cls, witness).to_dict():
        return
    values = family.values(witness)

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    for size, value in values.items():
        if size in family.fields and value > 0:
            _counted_as_built(family, cls, {**witness, "pad_token_id": value}, f"{model_type} pad at {size}", whole)
    default = _make_config(cls, {}).to_dict().get("pad_token_id")
    if type(default) is int and "vocab_size" in family.fields and default > 0 and "pad_token_id" not in witness:
        _counted_as_built(family, cls, {**witness, "vocab_size": default}, f"{model_type} vocab {default}", whole)


def _counted_as_built(family: LearnedFamily, cls, changed: dict, what: str, count=None) -> None:
    """The learned count of ``changed`` (by ``count``, else the family's forms) is transformers' model's, or the
    family refuses it."""
    try:
        total = (count or family.count)(changed)
    except SymparamsError:
        return
    try:
        layout = _build(cls, changed)
    except Exception:  # noqa: BLE001 - transformers refuses it
        pytest.fail(f"{what}: learned {total:,}; transformers builds no model")
    assert total == _total(layout), f"{what}: learned {total:,}, transformers {_total(layout):,}"


@pytest.mark.parametrize("model_type", sample(SHIPPED, "widths the heads do not divide"))
def test_a_width_the_heads_do_not_divide_counts_what_transformers_builds_or_is_refused(model_type):
    """Probes draw only models transformers builds, so a width its heads do not divide was never seen; BERT's
    attention refuses it though its heads shape no parameter. At the witness building the most kinds of layer,
    the width moved off a multiple of the heads, and the heads moved off a divisor of the width, are counted
    as transformers builds them, or refused."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = _richest(family)
    for width in WIDTHS:
        for heads in HEADS:
            d, h = witness.get(width), witness.get(heads)
            if type(d) is not int or type(h) is not int or h < 2:
                continue
            for change in ({width: d + 1}, {heads: h + 1}, {width: 3 * h + 1, heads: h}):
                _counted_as_built(family, cls, {**witness, **change}, f"{model_type} with {change}")


@pytest.mark.parametrize("model_type", sample(SHIPPED, "widths narrower than the heads"))
def test_a_width_narrower_than_its_heads_counts_what_transformers_builds_or_is_refused(model_type):
    """Where the class works the head size out as width // heads, heads that outnumber the width's dimensions make
    it 0, and transformers' rotary embedding divides by it (DiffLlama's, RecurrentGemma's). At the witness building
    the most kinds of layer, the head size left out and the width one below the heads, the count is what
    transformers builds, or refused."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witness = {k: v for k, v in _richest(family).items() if k != "head_dim"}
    for width in WIDTHS:
        for heads in HEADS:
            h = witness.get(heads)
            if type(witness.get(width)) is int and type(h) is int and h >= 2:
                _counted_as_built(family, cls, {**witness, width: h - 1}, f"{model_type} with {width} {h - 1}")


def _other_classes(model_type: str) -> list[str]:
    """Every model class transformers maps the type to in any task, but its causal LM's."""
    from transformers.models.auto import modeling_auto

    named: set[str] = set()
    for table, mapping in vars(modeling_auto).items():
        if table.endswith("_MAPPING_NAMES") and table != "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES" and isinstance(mapping, dict):
            value = mapping.get(model_type)
            named.update(v for v in (value if isinstance(value, (tuple, list)) else (value,)) if isinstance(v, str))
    return sorted(named)


@pytest.mark.parametrize("model_type", sample(shipped_with("same_parameters"), "classes that build the same parameters"))
@given(data=st.data())
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_a_config_naming_a_class_that_builds_the_causal_lms_parameters_counts_what_that_class_builds(model_type, data):
    """A real encoder's file names its masked LM (``BertForMaskedLM``): at any witness, its fields moved, the count
    of the file naming it is what transformers builds of that class, name for name and shape for shape."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    architecture = data.draw(st.sampled_from(family.same_parameters), label="architecture")
    base = dict(data.draw(st.sampled_from(family.witnesses), label="witness")["fields"])
    moves = data.draw(st.lists(st.integers(0, 2), min_size=len(base), max_size=len(base)), label="moves")
    cfg = changed(family, base, moves)
    try:
        total = from_dict({**cfg, "model_type": model_type, "architectures": [architecture]}).total
    except SymparamsError:
        return
    layout = _build(cls, cfg, architecture)
    assert total == _total(layout), f"{model_type} as {architecture} {cfg}: {total:,} vs {_total(layout):,}"
    assert layout == _build(cls, cfg), f"{model_type}: {architecture} builds other parameters at {cfg}"


@pytest.mark.parametrize("model_type", sample(SHIPPED, "classes that build other parameters"))
def test_a_config_naming_a_class_that_builds_other_parameters_is_refused_in_one_line(model_type):
    """Any other class of the type (a pooler, a classifier, pre-training heads) is refused, naming it; and each was
    right to be: at some witness it builds other parameters than the causal LM, or no model."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    witnesses = [w["fields"] for w in family.witnesses]
    for architecture in _other_classes(model_type):
        if architecture.endswith(("ForCausalLM", "LMHeadModel")) or architecture in family.same_parameters:
            continue
        with pytest.raises(SymparamsError, match=r"^config: field 'architectures': '.+ is not a causal language model"
                           ) as refused:
            from_dict({**witnesses[0], "model_type": model_type, "architectures": [architecture]}, "config")
        assert architecture[:20] in str(refused.value) and "\n" not in str(refused.value)
        assert any(_try_build(cls, w, architecture) != _build(cls, w) for w in witnesses), architecture


def head_sizes() -> list[tuple[str, str]]:
    """(model type, field) for each whole-number head size a learned family's class declares (``*head_dim``)."""
    import dataclasses

    return [(t, f.name) for t in SHIPPED for f in dataclasses.fields(_config_class(t))
            if f.name.endswith("head_dim") and (type(f.default) is int or f.name == "head_dim")]


@pytest.mark.parametrize("model_type, field", sample(head_sizes(), "head sizes odd or even"))
def test_a_rotary_head_size_odd_or_even_counts_what_transformers_builds_or_is_refused(model_type, field):
    """transformers' rope validation refuses an odd size above 4 rotated whole, and lets 3 through (tiny test
    models): at the smallest witness, the richest, and the smallest with no head_dim stated, each size from 2 to 9
    is counted as built, or refused; and the sizes transformers builds are counted."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)

    def count(config: dict) -> int:
        return from_dict({**config, "model_type": model_type}).total

    smallest = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])
    unstated = {k: v for k, v in smallest.items() if k != "head_dim"}  # (YoutuLLM's rope then reads this size)
    for witness in (smallest, _richest(family), unstated):
        for size in range(2, 10):
            changed = {**witness, field: size}
            _counted_as_built(family, cls, changed, f"{model_type} with {field} {size}", count)
            if size <= 4 or size % 2 == 0:
                built = _try_build(cls, changed)
                if built is not None:
                    assert count(changed) == _total(built), f"{model_type} with {field} {size} is refused"


@pytest.mark.parametrize("model_type", sample(SHIPPED, "relations between two fields"))
def test_a_field_raised_past_another_counts_what_transformers_builds_or_is_refused(model_type):
    """Key/value heads one past the heads (RecurrentGemma's class refuses them though no shape breaks), heads one
    past the width (Apertus's D // H is then no head size), and each relation the family learned broken (the small
    field one past the big, or the big one off a multiple), are counted as transformers builds them, or refused;
    each relation refused was right to be, and one voided by a stated head_dim is counted as built."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)

    def count(config: dict) -> int:
        return from_dict({**config, "model_type": model_type}).total

    for witness in (dict(min(family.witnesses, key=lambda w: w["total"])["fields"]), _richest(family)):
        made = _make_config(cls, witness).to_dict()
        heads, kv = made.get("num_attention_heads"), made.get("num_key_value_heads")
        if type(heads) is int and type(kv) is int:
            _counted_as_built(family, cls, {**witness, "num_key_value_heads": heads + 1}, f"{model_type} kv", count)
        named = [n for n in ("num_attention_heads", "n_head", "hidden_size", "n_embd") if type(made.get(n)) is int]
        if len(named) == 2:
            _counted_as_built(family, cls, {**witness, named[0]: made[named[1]] + 1}, f"{model_type} heads", count)
        for kind, small, big, *rest in family.relations:
            a, b = small if type(small) is int else made.get(small), made.get(big)
            if type(a) is not int or type(b) is not int:
                continue
            if kind == "at_most":
                broken = {**witness, small: b + 1}
            else:  # the small one at least 2, the big one past a multiple of it
                broken = {**witness, **({small: max(a, 2)} if type(small) is str else {}), big: max(a, 2) * b + 1}
            with pytest.raises(SymparamsError, match=r"(exceeds|does not divide|is odd)"):
                count(broken)
            assert _try_build(cls, broken) is None, f"{model_type}: {kind} {small} {big} refuses what transformers builds"
            for unless in rest[2:]:  # a head size stated: D // H is not read, and the model builds
                voided = {**broken, unless: 4}
                built = _try_build(cls, voided)
                if built is not None:
                    assert count(voided) == _total(built), f"{model_type}: {kind} {small} {big} with {unless} stated"


def _per_layer_tables(model_type: str) -> list[str]:
    family = learned(model_type)
    assert family is not None
    return [n for n, v in family.fixed.items() if isinstance(v, dict) and n not in family.free
            and not n.startswith("rope_")]


@pytest.mark.parametrize("model_type", [t for t in SHIPPED if _per_layer_tables(t)])
def test_a_per_layer_table_given_as_transformers_saves_it_counts_what_transformers_builds_or_is_refused(model_type):
    """A class that makes a per-layer table from defaults of its own where it is left out (Dots 3's sliding layers,
    q_lora_rank 1024 whatever the top level says) saves it with each entry holding only what differs from the top
    level, so a file that gives the table has the keys it leaves out follow the file's top-level values. Given
    beside each field the forms read at its default and at twice it, the table is counted (the whole reading) as
    transformers builds it, or refused."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    saved = {k: v for k, v in cls().to_dict().items()
             if k not in ("model_type", "transformers_version", "architectures", "id2label", "label2id", "dtype")}
    assert whole(saved) == _total(_build(cls, saved)), f"{model_type}: the class's own defaults, as it saves them"
    for table in _per_layer_tables(model_type):
        assert saved[table] == family.fixed[table], f"{model_type}: {table} as the class saves it"
        names = [n for n, modes in family.fields.items() if type(modes.get("missing")) is int and modes["missing"] > 0]
        for name in sample(names, f"{model_type} {table}"):
            config = {**saved, name: 2 * family.fields[name]["missing"]}
            _counted_as_built(family, cls, config, f"{model_type} with {table} and {name} doubled", whole)


@pytest.mark.parametrize("model_type", [t for t in SHIPPED if _per_layer_tables(t)])
def test_a_per_layer_table_the_class_made_counts_beside_any_fields_as_transformers_saves_it(model_type):
    """transformers writes the per-layer table its class made into every file it saves (Dots 3's sliding layers,
    Gemma 4 unified's full-attention heads), beside fields away from the defaults the family was learned with. At
    every witness, and at the smallest with each field a variant changes changed, the config the class makes, saved
    as transformers saves it (what differs from the defaults, and every field), is counted (the whole reading) as
    transformers builds it; and with each value of one layer's entry doubled, counted as transformers builds it, or
    refused."""
    family = learned(model_type)
    assert family is not None and family.made_tables, f"{model_type}: no table learned as its class makes it"
    cls = _config_class(model_type)
    left = ("model_type", "transformers_version", "architectures", "id2label", "label2id", "dtype")

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    smallest = min(family.witnesses, key=lambda w: w["total"])["fields"]
    flipped = [{**smallest, name: (not value) if isinstance(value, bool) else 2 * smallest.get("hidden_size", 2)}
               for name, value in family.fixed.items() if name in family.variant_data]
    for fields in [w["fields"] for w in family.witnesses] + flipped:
        made = _make_config(cls, fields)
        for saved in (made.to_diff_dict(), made.to_dict()):
            saved = {k: v for k, v in json.loads(json.dumps(saved)).items() if k not in left}
            try:
                total = whole(saved)
            except SymparamsError as err:
                pytest.fail(f"{model_type}: the config its class makes of {fields}, as saved, is refused: {err}")
            assert total == _total(_build(cls, saved)), f"{model_type}: {fields} as saved"
        for table in family.made_tables:
            entries = saved[table]
            first = sorted(entries)[0]
            for name, value in entries[first].items():
                if type(value) is int:
                    changed = {**saved, table: {**entries, first: {**entries[first], name: 2 * value}}}
                    _counted_as_built(family, cls, changed, f"{model_type} with layer {first}'s {name} doubled", whole)
            depth = saved[family.per_layer["length"]]
            for odd in ({**entries, "x": {}}, {**entries, str(int(first)): entries[first]}, {**entries, str(depth): {}},
                        {**entries, "9" * 5000: {}},
                        {**entries, first: {**entries[first], "intermediate_size": 2 * saved["intermediate_size"]}},
                        {k: v for k, v in entries.items() if k != first}, {}):
                _counted_as_built(family, cls, {**saved, table: odd}, f"{model_type} with {table} {odd}", whole)


def _popped_keywords(model_type: str) -> list[str]:
    family = learned(model_type)
    assert family is not None
    known = {*family.fields, *family.fixed, *family.aliases}
    return [k for k in _popped(_config_class(model_type)) if k not in known]


# Keywords the test names itself, beside those learn finds: Dots 3's class pops its released checkpoint's sizes of
# the sliding layers by names it makes in a loop (``f"swa_{name}"``).
NAMED_POPPED = {"dots3_note_text": [f"swa_{n}" for n in ("num_attention_heads", "num_key_value_heads", "q_lora_rank",
                                                         "kv_lora_rank", "head_dim", "qk_nope_head_dim", "v_head_dim",
                                                         "qk_rope_head_dim")]}


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", [t for t in SHIPPED if _popped_keywords(t) or t in NAMED_POPPED])
def test_a_keyword_the_class_pops_is_never_counted_otherwise_than_transformers_builds_it(model_type):
    """A config class's code pops keywords beside its fields (LFM2's ``block_ff_dim``, Dots 3's ``swa_*`` sizes of
    its sliding layers, popped in a loop over their names); the config keeps none of them, so no probe of its
    fields shows them. At the smallest witness, each at 1, 2, 3 and 0, true and false, at powers of two from 32 to
    2,048, and at its default, twice and half of it and one past it, is counted (the whole reading) as
    transformers builds it, or refused; where transformers builds no model it may be counted (a keyword with no
    plain default that only its default builds at, Dots 3's ``swa_qk_rope_head_dim``, is read as the class's
    default), but never where it builds another."""
    family = learned(model_type)
    assert family is not None
    cls = _config_class(model_type)
    popped = _popped(cls)
    witness = dict(min(family.witnesses, key=lambda w: w["total"])["fields"])

    def whole(config: dict) -> int:
        return from_dict({"model_type": model_type, **config}, "config").total

    for name in sorted({*_popped_keywords(model_type), *NAMED_POPPED.get(model_type, ())}):
        default = popped[name][0] if popped.get(name) else None
        values: list = [1, 2, 3, 0, True, False, 32, 64, 128, 256, 512, 1024, 2048]
        if type(default) is int and default > 0:
            values += [default, 2 * default, default // 2, default + 1]
        for value in values:
            config = {**witness, name: value}
            try:
                total = whole(config)
            except SymparamsError:
                continue
            built = _try_build(cls, config)
            assert built is None or total == _total(built), \
                f"{model_type} with {name} {value}: learned {total:,}, transformers {_total(built):,}"


def test_learn_finds_the_keywords_a_class_pops_by_names_it_makes_in_a_loop():
    """A keyword popped by a name made in a loop over a literal dict (``f"swa_{name}"``) is found, with the dict's
    value as its default; one whose default is not literal, or whose name is not made from the loop's, is not
    given one."""
    from symparams.learn import _popped_by_pattern

    source = """
def __post_init__(self, **kwargs):
    sliding = {name: kwargs.pop(f"swa_{name}", default) for name, default in {"heads": 64, "rank": 1024}.items()}
    for kind in ("a", "b"):
        kwargs.pop(f"{kind}_size", self.width * 2)
    kwargs.pop(f"x_{self.y}", None)
"""
    assert _popped_by_pattern(source) == {"swa_heads": [64], "swa_rank": [1024], "a_size": [], "b_size": []}


@pytest.mark.parametrize("multiple", [64, 33, 3])
def test_xlstms_rounded_up_projection_counts_what_transformers_builds_at_its_released_width(multiple):
    """xLSTM rounds its up-projection, 2.667 times the width, up to a multiple: at the released width of 4,096 and
    a multiple of 33 or 3, a coefficient of 8/3 (which the small probes cannot tell from 2.667) counts one multiple
    short per block. The learned family takes the class's own 2.667."""
    family = learned("xlstm")
    assert family is not None
    cls = _config_class("xlstm")
    config = {"hidden_size": 4096, "embedding_dim": 4096, "num_blocks": 2, "ffn_round_up_to_multiple_of": multiple}
    assert family.count(config) == _total(_build(cls, config))
