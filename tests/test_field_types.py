"""Field types: a file transformers' strict config classes refuse is refused, and nothing else is refused for its types.

transformers checks each field of a config class against its annotation when a file loads
(``rms_norm_eps: null``, ``use_cache: 1``, ``hidden_size: 4096.0`` all fail there, though no
shape reads the first two). symparams keeps those annotations in field_types.json; these
tests hold the table to the installed transformers and symparams' answers to its answers.
"""

from __future__ import annotations

import functools
import json
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from budget import sample
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import symparams
from symparams.config import Config, parse_json
from symparams.errors import SymparamsError
from symparams.families import FAMILIES
from symparams.families.field_types import check_types, fits, in_range, of_type, table
from symparams.families.field_types_source import model_types

FILE = Path(symparams.__file__).parent / "families" / "field_types.json"
# JSON values of every kind a field may be given, as text (so decimals stay decimals).
VALUES = ["null", "true", "0", "7", "0.5", "2.0", "4096.0", '"x"', "[]", "[1, 2]", '["a"]', '{"a": 1}', "NaN"]


# Top-level numbers a rope table is computed with: NaN there builds a model whose rotary angles are all NaN, which
# symparams refuses (saying so) though transformers builds it.
ROPE_NUMBERS = ("rope_theta", "partial_rotary_factor", "rotary_emb_base")
# Fields the config class loads whatever they hold, and making the model reads (tested against a build below).
BUILT = ("dtype", "torch_dtype", "id2label")
# What a refusal of a value the config class loads but the built model refuses says (a dropout probability of 7).
NO_MODEL = "builds no model with it"


def _transformers():
    pytest.importorskip("torch", reason="torch is not installed")
    return pytest.importorskip("transformers", reason="transformers is not installed")


def _theirs(model_type: str, text: str, build: bool = False) -> bool:
    """Whether transformers' config class loads the file (json.loads, then from_dict, as from_pretrained does),
    and with ``build``, builds its causal LM from it on the meta device."""
    from transformers import CONFIG_MAPPING

    from symparams.verify import meta_model, model_class

    data = json.loads(text)
    data.pop("model_type", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            made = CONFIG_MAPPING[model_type].from_dict(data)
            if build:  # the class whose weights the file holds (a vision-language model's, not its decoder alone)
                meta_model(made, architecture=model_class(model_type))
        except Exception:  # noqa: BLE001 - any failure to load or build is a refusal
            return False
    return True


def _ours(text: str) -> bool:
    """Whether symparams' type check passes the file."""
    try:
        check_types(Config(parse_json(text)))
    except SymparamsError:
        return False
    return True


def _shaping(model_type: str) -> set[str]:
    """The fields a family reads: its context length and its field table's, or a learned family's fields,
    fixed fields, the heads it checks divide the width, aliases, per-layer lists and keywords."""
    from symparams.families.learned import PREFIX, learned

    fam = FAMILIES.for_type(Config({"model_type": model_type}))
    context = {fam.context} if isinstance(fam.context, str) else set()
    if not fam.name.startswith(PREFIX):  # its table, and what it reads beside it (Bamba's attn_layer_indices)
        base = _base(model_type)
        cfg, _ = FAMILIES.config_for(parse_json(base)) if base is not None else (Config({}), None)
        if base is not None:
            fam.build(cfg)
        return context | {n for f in fam.fields for n in f.names} | cfg.read
    lf = learned(model_type)
    from symparams.families.learned.data import config_lists

    features = lf.per_layer.get("features", [])
    lists = {lf.per_layer.get("length"), *config_lists(features), *(f[1] for f in features if isinstance(f, list)
                                                                    and len(f) > 1 and isinstance(f[1], str))}
    heads = {rule[0] for rule in lf.divides}
    return {*context, *heads, *lf.fields, *lf.fixed, *lf.aliases, *lf.aliases.values(), *lists, *lf.derived,
            *lf.legacy, *lf.unread}


def test_the_table_is_what_the_installed_transformers_checks():
    """field_types.json is rewritten by ``python -m symparams.families.field_types_source``; it must be current
    (every model type's entry under CI's profile, a share of them locally)."""
    _transformers()
    from symparams.families.field_types_source import dtypes, generation, text, written

    kept = sample(model_types(), "field types current")
    if kept == model_types():
        assert FILE.read_text(encoding="utf-8") == text(), "run: python -m symparams.families.field_types_source"
    else:
        assert {k: table()[k] for k in kept} == written(kept) and table()["*"] == {"dtypes": dtypes(),
                                                                                   "generation": generation()}, \
            "run: python -m symparams.families.field_types_source"


@given(st.one_of(st.sampled_from(sorted(table())), st.text(max_size=30),
                 st.sampled_from(sorted(table())).map(lambda t: t + ' "x": {}'),
                 st.sampled_from(sorted(table())).map(lambda t: t.upper())))
def test_one_model_types_entry_read_alone_is_its_entry_in_the_whole_table(model_type):
    """A count parses the one line of the table it needs; that line is the model type's whole entry, for every key,
    and nothing for a name the table does not hold (whatever it spells)."""
    assert of_type(model_type) == table().get(model_type)


def test_every_model_type_symparams_reads_has_its_fields_typed():
    assert sorted(set(table()) - {"*"}) == model_types()
    assert all(entry["fields"] for name, entry in table().items() if name != "*")
    assert all(of_type(name) == entry for name, entry in table().items())


@pytest.mark.parametrize("model_type", sample(model_types(), "field types"))
def test_a_value_is_refused_for_its_type_exactly_when_transformers_refuses_it(model_type):
    """Every field transformers' class declares (checked or not, but those only making the model reads, held to
    builds below), set to each kind of JSON value: where the config class loads the file, the type check passes
    it; where the check refuses it, so does the class."""
    transformers = _transformers()
    cls = transformers.CONFIG_MAPPING[model_type]
    import dataclasses

    built = {*BUILT, *table()[model_type].get("built", {})}
    names = [f.name for f in dataclasses.fields(cls) if f.name not in built] + sorted(getattr(cls, "attribute_map", {}))
    for name in names:
        for value in VALUES:
            text = f'{{"model_type": {json.dumps(model_type)}, {json.dumps(name)}: {value}}}'
            ours, theirs = _ours(text), _theirs(model_type, text)
            assert ours or not theirs, f"{name}: {value} is loaded by transformers but refused here"
            entry = table()[model_type]["fields"].get(name)
            if entry is not None and not fits(parse_json(f'{{"v": {value}}}')["v"], entry["type"]):
                assert not theirs, f"{name}: {value} fails its type here but transformers loads it"


def _nested_types() -> list[str]:
    return [t for t in model_types() if table()[t].get("nested")]


@pytest.mark.parametrize("model_type", _nested_types())
def test_a_value_inside_an_object_the_class_makes_a_config_of_is_refused_exactly_when_transformers_refuses_it(
        model_type):
    """Every field of each object the class makes a config of its own from (MPT's attn_config, DBRX's attn_config
    and ffn_config, a vision-language model's text_config and vision_config; a local run takes a share of them),
    set there to each kind of JSON value: where the config class loads the file, the type check
    passes it; where the check refuses it, naming the object and the field, so does the class."""
    transformers = _transformers()
    import dataclasses

    cls = transformers.CONFIG_MAPPING[model_type]
    for name, inner in table()[model_type]["nested"].items():
        for f in sample(dataclasses.fields(cls.sub_configs[name]), f"nested {model_type}.{name}"):
            if f.name in inner.get("built", {}):  # held to builds below
                continue
            for value in VALUES:
                text = f'{{"model_type": {json.dumps(model_type)}, {json.dumps(name)}: {{{json.dumps(f.name)}: {value}}}}}'
                ours, theirs = _ours(text), _theirs(model_type, text)
                assert ours or not theirs, f"{name}.{f.name}: {value} is loaded by transformers but refused here"
                entry = inner["fields"].get(f.name)
                if entry is not None and not fits(parse_json(f'{{"v": {value}}}')["v"], entry["type"]):
                    assert not theirs, f"{name}.{f.name}: {value} fails its type here but transformers loads it"
                    with pytest.raises(SymparamsError, match=f"'{name}.{f.name}'"):
                        check_types(Config(parse_json(text)))


# Values transformers' class refuses only beside the defaults of other fields (its __post_init__ reads them
# together), which symparams counts: a rule found at the defaults would refuse real configs it loads.
COUNTED_LEFT = {
    ("recurrent_gemma", "block_types"): "null, which its __post_init__ reads as a list",
    ("exaone4", "sliding_window"): "null, refused beside the default sliding_window_pattern (EXAONE 4.0 1.2B loads it)",
    ("mellum", "num_mtp_layers"): "above 1, which its class's validator refuses; learn does not learn a bound on a "
                                  "field no layer reads (README, learned families)",
}


@functools.lru_cache(maxsize=None)
def _shipped_configs() -> dict[str, list[dict]]:
    """The presets' and the fixture configs' documents by model type, in file order: read once a run."""
    out: dict[str, list[dict]] = {}
    for folder in (Path(symparams.__file__).parent / "presets", Path(__file__).parent / "fixtures" / "configs"):
        for path in sorted(folder.glob("*.json")):
            doc = json.loads(path.read_text())
            out.setdefault(str(doc.get("model_type")), []).append(doc)
    return out


@functools.lru_cache(maxsize=None)
def _base(model_type: str) -> str | None:
    """A config of ``model_type`` symparams counts, as JSON text: the class's defaults, else a shipped real config."""
    for doc in ({"model_type": model_type}, *_shipped_configs().get(model_type, ())):
        text = json.dumps(doc)
        try:
            symparams.families.from_dict(parse_json(text), "config")
        except SymparamsError:
            continue
        return text
    return None


@pytest.mark.parametrize("value, taken", [("0.5", False), ("null", True), ("[" + ", ".join(["0.5"] * 35) + "]", True)])
def test_a_type_the_annotation_names_but_the_class_fails_on_is_not_taken(value, taken):
    """Gemma 3n's activation_sparsity_pattern is annotated float, list of floats or null, and its config takes len()
    of it: one float fails to load in transformers with a TypeError, and symparams refuses it in one line, naming
    the types the class does take; the list and null load in both."""
    CONFIG_MAPPING = _transformers().CONFIG_MAPPING
    text = '{"model_type": "gemma3n_text", "activation_sparsity_pattern": %s}' % value
    assert _theirs("gemma3n_text", text) is taken
    with pytest.raises(TypeError):
        CONFIG_MAPPING["gemma3n_text"].from_dict({"activation_sparsity_pattern": 0.5})
    if taken:
        assert symparams.families.from_dict(parse_json(text), "config").total > 0
    else:
        with pytest.raises(SymparamsError, match="takes a list of decimals or null here") as err:
            symparams.families.from_dict(parse_json(text), "config")
        assert len(str(err.value).splitlines()) == 1


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_count_is_refused_when_transformers_refuses_a_field_and_unchanged_when_the_field_shapes_nothing(data):
    """A field of a model's config set to any JSON value: symparams counts the file only if transformers'
    config class loads it; a field that no shape reads is refused only where transformers refuses the file or
    builds no model from it, and otherwise leaves the count as it was."""
    _transformers()
    model_type = data.draw(st.sampled_from(model_types()), label="model_type")
    entry = table()[model_type]
    name = data.draw(st.sampled_from(sorted(entry["fields"])), label="field")
    value = data.draw(st.sampled_from(VALUES), label="value")
    base = _base(model_type)
    assume(base is not None)
    expected = symparams.families.from_dict(parse_json(base), "config").total
    doc = json.loads(base)
    doc.pop(name, None)
    text = json.dumps(doc)[:-1] + f", {json.dumps(name)}: {value}}}"
    try:
        total = symparams.families.from_dict(parse_json(text), "config").total
    except SymparamsError as err:
        assert len(str(err).splitlines()) == 1
        if value == "NaN" and name in ROPE_NUMBERS:  # refused on purpose: see the message
            assert "not a finite number" in str(err), err
        elif _theirs(model_type, text) and name not in _shaping(model_type):
            assert not _built(model_type, text), f"{err} (transformers builds the model, and no shape reads {name})"
        return
    if (model_type, name) in COUNTED_LEFT and not _theirs(model_type, text):
        event(f"left: {COUNTED_LEFT[model_type, name]}")
        return
    assert _theirs(model_type, text), f"{name}: {value} is counted ({total:,}) but transformers refuses the file"
    if name not in _shaping(model_type):
        assert total == expected


@pytest.mark.parametrize("model_type", ["llama", "cohere2_moe"])
@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_a_rope_theta_that_is_not_finite_is_refused_saying_transformers_may_build_it(model_type, value):
    """transformers loads and builds a model whose rope_theta is NaN or infinite (its rotary angles are then NaN or
    degenerate); symparams refuses it in one line that says so, not that transformers cannot compute with it."""
    _transformers()
    base = _base(model_type)
    assert base is not None
    doc = {k: v for k, v in json.loads(base).items() if k != "rope_theta"}
    text = json.dumps(doc)[:-1] + f', "rope_theta": {value}}}'
    with pytest.raises(SymparamsError, match="rope_theta.*not a finite number.*transformers may still build") as err:
        symparams.families.from_dict(parse_json(text), "config")
    assert "\n" not in str(err.value)
    assert _theirs(model_type, text) and _built(model_type, text)


def test_null_in_a_field_no_shape_reads_is_refused_where_transformers_types_it():
    """``rms_norm_eps: null`` shapes nothing, but LlamaConfig refuses it: so is the file, naming the field."""
    base = json.loads((Path(symparams.__file__).parent / "presets" / "llama-2-7b.json").read_text())
    for name, value in [("rms_norm_eps", None), ("use_cache", 1), ("initializer_range", 2.0),
                        ("max_position_embeddings", None), ("hidden_act", None)]:
        with pytest.raises(SymparamsError, match=rf"'{name}'"):
            symparams.families.from_dict({**base, name: value}, "config")
    assert symparams.families.from_dict({**base, "attention_dropout": None, "bos_token_id": None}, "config").total \
        == symparams.families.from_dict(base, "config").total


def test_a_decimal_is_a_float_and_a_whole_number_an_int_as_json_loads_makes_them():
    assert fits(Decimal("1e-05"), "float") and not fits(Decimal("4096.0"), "int")
    assert fits(4096, "int") and not fits(4096, "float") and not fits(True, "int")
    assert fits([1, 2], {"union": ["int", {"list": "int"}, "none"]})
    assert not fits([1, Decimal("2.5")], {"union": ["int", {"list": "int"}, "none"]})
    assert fits("full", {"literal": ["full", "sliding"]}) and not fits(1, {"literal": [True]})
    assert in_range(0.02, [0.0, 1.0, True, True]) and not in_range(None, [0.0, 1.0, True, True])
    assert not in_range(1.0, [0.0, 1.0, True, False])



def test_a_list_where_a_tuple_may_be_given_is_counted_only_where_transformers_builds_its_model():
    """A JSON list is never a tuple, but Bamba turns ``time_step_limit`` into one and then checks it holds two
    decimals: [] loads in Mamba-2, whose class keeps the list, and not in Bamba. Every field a config class
    annotates with a tuple, set to lists of 0 to 3 decimals, of text and of whole numbers: counted only where
    transformers builds the model, and refused for its type only where the class refuses it."""
    import dataclasses

    transformers = _transformers()
    seen = 0
    for model_type in model_types():
        if model_type not in transformers.CONFIG_MAPPING:
            continue
        for f in dataclasses.fields(transformers.CONFIG_MAPPING[model_type]):
            if "tuple" not in str(f.type):
                continue
            seen += 1
            for value in ("[]", "[0.5]", "[0.5, 2.0]", "[0.5, 2.0, 4.0]", '["a", "b"]', "[1, 2]"):
                text = f'{{"model_type": {json.dumps(model_type)}, {json.dumps(f.name)}: {value}}}'
                if _reads(text):
                    assert _theirs(model_type, text, build=True), f"{model_type} {f.name}: {value} builds no model"
                if not _ours(text):
                    assert not _theirs(model_type, text), f"{model_type} {f.name}: {value} loads in transformers"
    assert seen


def _reads(text: str) -> bool:
    """Whether symparams counts the file (its whole reading: the family's checks and the type check)."""
    try:
        symparams.families.from_dict(parse_json(text), "config")
    except SymparamsError:
        return False
    return True

@pytest.mark.parametrize("model_type", sorted(k for k, e in table().items() if e.get("divides")))
def test_sizes_the_class_requires_to_divide_are_refused_where_it_refuses_them(model_type):
    """Each pair the class's own validation requires to divide (heads and width, key/value heads and heads):
    its multiple moved off by one is refused, as the class refuses it, and neither field moved is refused where
    the class loads it."""
    _transformers()
    from transformers import CONFIG_MAPPING

    made = CONFIG_MAPPING[model_type]()
    for divisor, multiple, _, _ in table()[model_type]["divides"]:
        first, second = getattr(made, divisor[0]), getattr(made, multiple[0])
        text = json.dumps({"model_type": model_type, divisor[0]: first, multiple[0]: second + 1})
        assert not _ours(text) and not _theirs(model_type, text), (multiple[0], second + 1)
        moves = [{multiple[0]: v} for v in (second + 1, second + first, second - 1)]
        moves += [{divisor[0]: v} for v in (first + 1, first * 2, first - 1)]
        for move in moves:
            text = json.dumps({"model_type": model_type, **move})
            assert _ours(text) or not _theirs(model_type, text), f"{move} is refused; transformers loads it"


TINY = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
        "num_attention_heads": 4, "vocab_size": 100}


@pytest.mark.parametrize("key, value", [(k, v) for k in ("dtype", "torch_dtype") for v in (
    "bfloat16", "float16", "half", "float32", "float", "float64", "double", "float8_e4m3fn", "float4_e2m1fn_x2",
    "int8", "bool", "complex64", "auto", "Float16", "torch.float16", "", 3, True, [], {}, None)] + [
    ("id2label", v) for v in ({}, {"0": "a", "1": "b"}, {"a": 1}, {"1.5": "x"}, [], "x", 0, None)])
def test_a_dtype_or_labels_transformers_cannot_make_a_model_from_is_refused(key, value):
    """The base class's ``dtype`` and ``id2label`` are not type-checked when a file loads, but making the model
    fails on a dtype torch cannot make parameters in or labels not keyed by whole numbers: so does the count."""
    _transformers()
    from symparams.verify import meta_parameters

    doc = {**TINY, key: value}
    try:
        theirs = sum(n for _, n in meta_parameters(doc))
    except SymparamsError:
        theirs = None
    try:
        ours = symparams.families.from_dict(parse_json(json.dumps(doc)), "config").total
    except SymparamsError as err:
        assert key in str(err)
        ours = None
    assert ours == theirs


# transformers refuses these lists, and symparams counts them: the depth they must match is no field's value.
LISTS_LEFT = {"longcat_flash": "num_hidden_layers is twice num_layers, set by the class, not read from the file"}


@pytest.mark.parametrize("model_type", sample(sorted(set(model_types()) - set(FAMILIES.model_types()) - set(LISTS_LEFT)),
                                               "lists"))
def test_a_learned_familys_layer_lists_are_refused_where_its_class_refuses_them(model_type):
    """``layer_types`` and ``mlp_layer_types`` given empty, one entry too long, at the depth, or of an unknown
    kind, in a config the family counts: a file the learned family counts is one transformers' class loads."""
    transformers = _transformers()
    base = json.loads(_base(model_type) or json.dumps({"model_type": model_type}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        made = transformers.CONFIG_MAPPING[model_type].from_dict({k: v for k, v in base.items() if k != "model_type"})
    depth = getattr(made, "num_hidden_layers", None)
    depth = depth if type(depth) is int else 0
    for key, entry in (("layer_types", "full_attention"), ("mlp_layer_types", "dense")):
        stated = getattr(made, key, None)
        entry = stated[0] if isinstance(stated, list) and stated else entry
        for value in ([], [entry] * (depth + 1), [entry] * depth, ["bogus"] * max(depth, 1)):
            text = json.dumps({**base, key: value})
            try:
                symparams.families.from_dict(parse_json(text), "config")
            except SymparamsError:
                continue
            assert _theirs(model_type, text), f"{key} of {len(value)} {value[:1]} is counted; transformers refuses it"


def _built(model_type: str, text: str) -> bool:
    """Whether transformers loads the file and builds its causal LM on the meta device."""
    return _theirs(model_type, text, build=True)


def _counted(text: str) -> int | str:
    """The file's count, or the one line that refuses it."""
    try:
        return symparams.families.from_dict(parse_json(text), "config").total
    except SymparamsError as err:
        assert len(str(err).splitlines()) == 1
        return str(err)



def _with(base: str, name: str, value: str) -> str:
    """``base`` (JSON text) with ``name`` set to ``value`` (JSON text, so a decimal stays as written)."""
    doc = json.loads(base)
    doc.pop(name, None)
    return json.dumps(doc)[:-1] + f", {json.dumps(name)}: {value}}}"


@pytest.mark.parametrize("model_type", sample(sorted(k for k, e in table().items() if e.get("built")), "built"))
def test_a_dropout_the_built_model_refuses_is_refused_and_one_it_takes_is_counted(model_type):
    """Each dropout field the table says the built model refuses outside an interval, set on a config symparams
    counts to values on, inside and past the interval's bounds: counted only where transformers builds the model,
    and then counted as it was; refused as a model transformers does not build only where it does not."""
    _transformers()
    base = _base(model_type)
    assert base is not None and _built(model_type, base)
    expected = _counted(base)
    for name in table()[model_type]["built"]:
        for value in ("-0.25", "0", "0.0", "0.75", "1", "1.0", "1.25", "8", "null", "NaN", "-1e-30"):
            text = _with(base, name, value)
            ours, built = _counted(text), _built(model_type, text)
            if isinstance(ours, int):
                assert built and ours == expected, f"{name}: {value} counted {ours:,}"
            elif NO_MODEL in ours:
                assert not built, f"{name}: {value} refused, but transformers builds the model: {ours}"
            # else refused for another reason (a learned family read at one value of the field)


@pytest.mark.parametrize("model_type", [k for k, e in table().items() if any(
    inner.get("built") for inner in e.get("nested", {}).values())])
def test_a_dropout_inside_an_object_the_built_model_refuses_is_refused_and_one_it_takes_is_counted(model_type):
    """The same for a dropout field of an object the class makes a config of its own from (MPT's
    attn_config.attn_pdrop, typed a whole number): on, inside and past its interval, counted only where
    transformers builds the model, and then as it was; refused, naming the object and the field, only where
    transformers builds no model."""
    _transformers()
    base = _base(model_type)
    assert base is not None
    expected = _counted(base)
    for name, inner in table()[model_type]["nested"].items():
        for key in inner.get("built", {}):
            for value in ("-1", "0", "1", "2", "38", "null"):
                doc = json.loads(base)
                held = doc.get(name) if isinstance(doc.get(name), dict) else {}
                text = _with(base, name, json.dumps(held)[:-1] + (", " if held else "") + f"{json.dumps(key)}: {value}}}")
                ours, built = _counted(text), _built(model_type, text)
                if isinstance(ours, int):
                    assert built and ours == expected, f"{name}.{key}: {value} counted {ours:,}"
                else:
                    assert not built, f"{name}.{key}: {value} refused, but transformers builds the model: {ours}"
                    assert f"'{name}.{key}'" in ours


def _replacing() -> list[str]:
    """The model types whose class replaces head_dim as it loads, of which symparams counts a config."""
    return [k for k, e in table().items() if "head_dim" in e.get("replaced", ()) and _base(k) is not None]


@pytest.mark.parametrize("model_type", _replacing())
@pytest.mark.parametrize("head_dim", ["7", "9", "64"])
def test_a_head_dim_the_class_replaces_as_it_loads_is_counted_exactly_where_transformers_builds_it(model_type,
                                                                                                 head_dim):
    """A class that sets head_dim to another size as it loads (GLM-5's and MiniCPM3's: qk_rope_head_dim) never
    lets its rope validation read the file's, so an odd one is no rotary size there: a file stating one is counted
    exactly where transformers builds the model, to its total, and refused only where it does not."""
    _transformers()
    base = _base(model_type)
    assert base is not None
    text = _with(base, "head_dim", head_dim)
    ours, built = _counted(text), _built(model_type, text)
    if isinstance(ours, int):
        from symparams.verify import meta_parameters

        assert built and ours == sum(n for _, n in meta_parameters(json.loads(text))), f"{head_dim}: {ours:,}"
    else:
        assert not built, f"head_dim {head_dim} refused, but transformers builds the model: {ours}"


@functools.lru_cache(maxsize=1)
def _dropouts() -> list[tuple[str, str]]:
    """(model type, field) of every dropout field (a name holding "drop") the installed transformers' classes declare."""
    import dataclasses

    from transformers import CONFIG_MAPPING

    return [(k, f.name) for k in model_types() if k in CONFIG_MAPPING for f in dataclasses.fields(CONFIG_MAPPING[k])
            if "drop" in f.name.lower()]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_dropout_field_at_any_value_is_counted_exactly_where_transformers_builds_the_model(data):
    """Any dropout field a class declares (a name holding "drop"), at any number or null, on a config symparams
    counts: the file is counted only where transformers loads it and builds its model, and the count is as it was;
    it is refused as a model transformers does not build only where it does not."""
    _transformers()
    model_type, name = data.draw(st.sampled_from(_dropouts()), label="field")
    value = data.draw(st.one_of(st.decimals(-2, 3, places=3).map(str), st.integers(-2, 3).map(str),
                                st.sampled_from(["null", "NaN", "Infinity", "1e-300", "0.9999999999999999999"])),
                      label="value")
    base = _base(model_type)
    assume(base is not None and _built(model_type, base))  # cohere_compass_text's defaults build no model
    text = _with(base, name, value)
    ours = _counted(text)
    if isinstance(ours, int):
        assert _built(model_type, text), f"{name}: {value} is counted ({ours:,}) but transformers builds no model"
        assert ours == _counted(base)
    elif NO_MODEL in ours:
        assert not _built(model_type, text), f"{name}: {value} refused, but transformers builds the model: {ours}"


# The generation fields a causal LM's config hands its generation config as the model is built, and values for them
# as JSON text: every kind (VALUES), cache names, signs and infinities, and watermarking objects right and wrong.
GENERATION = ("cache_implementation", "max_new_tokens", "assistant_ensemble_weight", "compile_config",
              "watermarking_config")
GENERATION_VALUES = [*VALUES, '"static"', '"paged"', '"Static"', "-1", "1e30", "-0.0", "Infinity", "-Infinity", "false",
                     '{"greenlist_ratio": 0.5, "bias": null}', '{"greenlist_ratio": 1.5}', '{"greenlist_ratio": "0.5"}',
                     '{"seeding_scheme": "selfhash"}', '{"seeding_scheme": "hash"}', '{"seeding_scheme": null}',
                     '{"context_width": 0}', '{"context_width": 2}', '{"context_width": true}', '{"colour": 1}']


@pytest.mark.parametrize("name", GENERATION)
@pytest.mark.parametrize("value", GENERATION_VALUES)
def test_a_generation_field_is_refused_exactly_where_transformers_generation_config_refuses_it(name, value):
    """No generation field shapes a parameter, but ``GenerationConfig.validate`` runs as a causal LM is built, and
    refuses an unknown cache implementation, a max_new_tokens of 0 or below, an assistant weight outside (0, 1),
    any compile_config a file can hold and a watermarking config its class refuses: such a file is refused naming
    the field, and any other value leaves the count as it was."""
    _transformers()
    base = json.dumps(TINY)
    text = _with(base, name, value)
    counted = _counted(text)
    if _built("llama", text):
        assert counted == _counted(base), f"{name}: {value} builds in transformers; symparams says {counted}"
    else:
        assert isinstance(counted, str) and name in counted, f"{name}: {value} is counted; transformers refuses it"


def _counted_types() -> list[str]:
    return [m for m in model_types() if _base(m) is not None]


@pytest.mark.parametrize("model_type", sample(_counted_types(), "generation"))
def test_every_model_type_refuses_a_cache_implementation_its_generation_config_refuses(model_type):
    """Every causal LM transformers builds makes its generation config from the model's config first: an unknown
    cache_implementation is refused in every model type symparams reads, and a known one is counted."""
    _transformers()
    base = _base(model_type)
    assert base is not None
    unknown = _with(base, "cache_implementation", '"zz"')
    assert not _built(model_type, unknown), f"{model_type}: transformers builds a model with an unknown cache"
    refused = _counted(unknown)
    assert isinstance(refused, str) and "cache_implementation" in refused, refused
    assert _counted(_with(base, "cache_implementation", '"static"')) == _counted(base)


# Keys of transformers' base config class a file may state, and values for them as JSON text.
BASE_KEYS = ("attribute_map", "quantization_config", "num_labels", "base_model_tp_plan", "base_model_pp_plan",
             "per_layer_config")
BASE_VALUES = [*VALUES, "-1", '""', "false", "{}", '{"quant_method": "gptq", "bits": 4}', '{"0": {"skip": ["mlp"]}}',
               '{"0": {"intermediate_size": 256}}', '{"7": {"intermediate_size": 256}}', '{"n_layer": "n_head"}']
# Refused though transformers builds the same count from some of their values: an attribute_map that renames
# nothing the file holds, and a per-layer table (transformers' Llama builds its layers alike with one it allows).
REFUSED_THOUGH_BUILT = {"attribute_map", "per_layer_config"}


def _meta_total(text: str) -> int | None:
    from symparams.verify import meta_parameters

    try:
        return sum(n for _, n in meta_parameters(json.loads(text)))
    except SymparamsError:
        return None


@pytest.mark.sampled
@pytest.mark.parametrize("name", BASE_KEYS)
@pytest.mark.parametrize("value", BASE_VALUES)
def test_a_base_class_key_is_counted_only_where_transformers_builds_that_count(name, value):
    """Every config class inherits keys a file may state that shape no parameter, but that transformers refuses
    as it loads or builds the model (a quantization_config that is not an object, num_labels that are not a
    whole number, a tensor-parallel plan that is neither an object nor empty): a count is what transformers builds,
    and a refusal names the key."""
    _transformers()
    base = json.dumps({**TINY, "num_hidden_layers": 2})
    text = _with(base, name, value)
    counted, theirs = _counted(text), _meta_total(text)
    if isinstance(counted, int):
        assert counted == theirs, f"{name}: {value} is counted ({counted}); transformers builds {theirs}"
    else:
        assert name in counted
        assert theirs is None or name in REFUSED_THOUGH_BUILT, f"{name}: {value} is refused; transformers builds it"


def test_an_attribute_map_in_the_file_is_refused_as_it_changes_which_field_is_read():
    """A file's own attribute_map makes transformers read one field by another's name: here n_layer, unread by
    Llama's class, becomes the depth, and transformers builds three layers where the file's num_hidden_layers
    says one. Counted by the names, the file would be a silently wrong number: it is refused."""
    _transformers()
    text = json.dumps({**TINY, "attribute_map": {"n_layer": "num_hidden_layers"}, "n_layer": 3})
    assert _meta_total(text) != _counted(json.dumps(TINY))
    refused = _counted(text)
    assert isinstance(refused, str) and "attribute_map" in refused


@pytest.mark.parametrize("model_type", sample(_counted_types(), "read-only"))
def test_a_property_the_config_class_cannot_set_is_refused_where_a_file_states_it(model_type):
    """A file stating a property its config class works out and cannot set (use_return_dict; Jamba's
    layers_num_experts) cannot be loaded by transformers, whatever the value: so it is refused, naming it."""
    _transformers()
    base = _base(model_type)
    assert base is not None
    keys = table()[model_type].get("read_only", [])
    assert "use_return_dict" in keys
    for key in keys:
        text = _with(base, key, "null")
        refused = _counted(text)
        assert isinstance(refused, str) and key in refused, (key, refused)
        assert not _theirs(model_type, text), f"{model_type} loads {key}"


@pytest.mark.parametrize("level", [0, 10, 30, 50])
def test_reading_the_table_from_transformers_leaves_logging_and_warnings_as_they_were(level):
    """The table's probes build models with logging and warnings off; the process's own settings are back after,
    whichever the probe's outcome (a build refused, a class loaded)."""
    import logging

    transformers = _transformers()
    from symparams.families.field_types_source import _builds, _lists

    before = logging.root.manager.disable
    logging.disable(level)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            filters = list(warnings.filters)
            cls = transformers.LlamaConfig
            assert _builds(cls, {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
                                 "num_attention_heads": 4, "num_key_value_heads": 2})
            assert not _builds(cls, {"hidden_size": 15, "num_attention_heads": 4})
            _lists(cls)
            assert logging.root.manager.disable == level and warnings.filters == filters
    finally:
        logging.disable(before)
