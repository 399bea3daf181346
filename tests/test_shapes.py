"""Counts from a shape's kept forms (symparams.shapes) print what counting the tree prints, byte for byte.

A config whose family reads it to plain data is counted from the forms its shape keeps
once any config of that shape was counted. Every property here compares against the same
command with the cache off, so kept forms that were stale, wrong for another config of
the shape, or corrupted would fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from budget import examples, sample
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import symparams
from symparams import counting, shapes
from symparams.cli import count as count_cli
from symparams.cli import main
from symparams.families import FAMILIES
from symparams.families.registry import counted_shape

from strategies import CONFIGS

SIZES = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
         "num_key_value_heads", "head_dim", "num_local_experts", "num_experts", "num_experts_per_tok", "n_embd",
         "n_layer", "n_head", "n_positions", "n_inner")
# Values a size may be given that the reader or the Spec refuses, or that break a rule between sizes.
BAD = st.sampled_from([0, -3, 10**60, 7.5, "12", None, True, [8]])


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def uncached(argv: list[str]) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as m:
        m.setenv("SYMPARAMS_NO_CACHE", "1")
        return run(argv)


# The model types whose families' readers are split from their trees (Family.read).
READERS = tuple(t for t in sorted(CONFIGS) if FAMILIES.by_type.get(t) and FAMILIES.by_type[t].read)


@st.composite
def siblings(draw) -> tuple[dict, dict]:
    """Two configs of one family: mostly with the same switches (biases, tying, activation) and the second's
    sizes drawn afresh, at times broken; else two drawn whole."""
    model_type = draw(st.sampled_from(READERS))
    first = draw(CONFIGS[model_type])
    other = draw(CONFIGS[model_type])
    if draw(st.integers(0, 2)) == 0:  # drawn whole: where the reader finds the same shape, the same forms hold
        return first, other
    second = json.loads(json.dumps(_mixed(first, other)))
    for part in ("text_config", "vision_config"):  # a wrapper's: its decoder's and its tower's sizes drawn afresh
        if isinstance(first.get(part), dict) and isinstance(other.get(part), dict):
            second[part] = _mixed(first[part], other[part])
    if draw(st.integers(0, 4)) == 0:
        inner = draw(st.sampled_from([second, *(v for v in second.values() if isinstance(v, dict))]))
        inner[draw(st.sampled_from(SIZES))] = draw(BAD)
    return first, second


def _mixed(first: dict, other: dict) -> dict:
    """``first`` with ``other``'s sizes (SIZES and an image's), its switches kept."""
    sizes = (*SIZES, "image_size", "patch_size", "out_hidden_size")
    return {**{k: v for k, v in first.items() if k not in sizes}, **{k: v for k, v in other.items() if k in sizes}}


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(pair=siblings(), fmt=st.sampled_from([[], ["--json"], ["--non-embedding"], ["--max-depth", "2", "--json"]]),
       shipped=st.booleans())
def test_a_config_counted_from_its_shape_prints_what_its_tree_prints(pair, fmt, shipped, tmp_path_factory):
    """Any config, valid or not, prints what the tree prints once another config's shape is kept (with
    or without the forms shipped for the presets' shapes); where the two share a shape and the second is
    valid, no tree is built for it."""
    folder = tmp_path_factory.mktemp("shapes")
    first, second = folder / "first.json", folder / "second.json"
    first.write_text(json.dumps(pair[0]))
    second.write_text(json.dumps(pair[1]))
    expected = uncached(["count", str(second), *fmt])
    built = []
    with pytest.MonkeyPatch.context() as m:
        m.delenv("SYMPARAMS_NO_CACHE", raising=False)
        m.setenv("SYMPARAMS_CACHE_DIR", str(folder / "cache"))
        if not shipped:
            m.setattr(shapes, "_shipped", lambda family, found: None)
        assert run(["count", str(first), "--json"])[0] == 0
        real = count_cli.load_spec
        m.setattr(count_cli, "load_spec", lambda *a, **k: built.append(a) or real(*a, **k))
        assert run(["count", str(second), *fmt]) == expected
        a, b = counting.read(str(first)), counting.read(str(second))
    same = a is not None and b is not None and a[3].shape == b[3].shape
    event(f"{pair[0]['model_type']}: same shape: {same}, counted: {expected[0] == 0}")
    if same and expected[0] == 0:
        assert not built


# The vision-language wrappers read to plain data: their decoder's reading, their towers' sizes and choices.
WRAPPERS = tuple(t for t in READERS if "text_config" in FAMILIES.by_type[t].fields)


@pytest.mark.parametrize("model_type", WRAPPERS)
def test_a_wrapper_counted_from_its_shape_prints_what_its_tree_prints(model_type, tmp_path_factory):
    """A vision-language config of a wrapper's kept shape, its decoder's and tower's sizes drawn afresh (at times
    broken), prints what its tree prints, and builds no tree where its shape is the kept one."""

    @settings(max_examples=examples(25), deadline=None, suppress_health_check=list(HealthCheck))
    @given(first=CONFIGS[model_type], other=CONFIGS[model_type], broken=st.booleans(), data=st.data())
    def check(first, other, broken, data):
        second = json.loads(json.dumps(_mixed(first, other)))
        for part in ("text_config", "vision_config"):
            if isinstance(first.get(part), dict) and isinstance(other.get(part), dict):
                second[part] = _mixed(first[part], other[part])
        if broken:
            inner = data.draw(st.sampled_from([v for v in second.values() if isinstance(v, dict)] or [second]))
            inner[data.draw(st.sampled_from(SIZES))] = data.draw(BAD)
        folder = tmp_path_factory.mktemp("wrapper")
        (folder / "first.json").write_text(json.dumps(first))
        (folder / "second.json").write_text(json.dumps(second))
        expected = uncached(["count", str(folder / "second.json"), "--json"])
        built = []
        with pytest.MonkeyPatch.context() as m:
            m.delenv("SYMPARAMS_NO_CACHE", raising=False)
            m.setenv("SYMPARAMS_CACHE_DIR", str(folder / "cache"))
            run(["count", str(folder / "first.json"), "--json"])
            a = counting.read(str(folder / "first.json"))
            kept = shapes.kept_forms(a[2].name, a[3].shape) if a is not None else None  # before the second keeps its own
            real = count_cli.load_spec
            m.setattr(count_cli, "load_spec", lambda *a, **k: built.append(a) or real(*a, **k))
            assert run(["count", str(folder / "second.json"), "--json"]) == expected
            b = counting.read(str(folder / "second.json"))
            same = a is not None and b is not None and a[3].shape == b[3].shape
            event(f"same shape: {same}, counted: {expected[0] == 0}, from the forms: {not built}")
            if same and kept is not None and expected[0] == 0:  # else a rule the forms keep (an odd head) sent it on
                assert not built or shapes.evaluate(kept, b[3], None) is None

    check()


# The real configs whose families read them to plain data.
BY_SHAPE = [p for p in sorted((Path(__file__).parent / "fixtures" / "configs").glob("*.json"))
            if counting.read(str(p)) is not None]


@pytest.mark.parametrize("path", sample(BY_SHAPE, "shapes-fixtures"), ids=lambda p: p.stem)
def test_a_real_config_counted_by_shape_prints_what_its_tree_prints(path, tmp_path):
    """Every real config whose family reads it to plain data, as saved and with another vocabulary (a config
    never seen), prints in text and JSON what its tree prints."""
    config = json.loads(path.read_text())
    with pytest.MonkeyPatch.context() as m:
        m.delenv("SYMPARAMS_NO_CACHE", raising=False)
        m.setenv("SYMPARAMS_CACHE_DIR", str(tmp_path / "cache"))
        for i, variant in enumerate((config, {**config, "vocab_size": int(config.get("vocab_size") or 32000) + 64})):
            copy = tmp_path / f"{i}" / "config.json"
            copy.parent.mkdir()
            copy.write_text(json.dumps(variant))
            for fmt in ([], ["--json"]):
                assert run(["count", str(copy), *fmt]) == uncached(["count", str(copy), *fmt])


FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def _reads(m: pytest.MonkeyPatch) -> list[str]:
    """The files symparams' catalog reads from here on."""
    from symparams import catalog

    opened: list[str] = []
    real = catalog.read_json
    m.setattr(catalog, "read_json", lambda path: opened.append(os.fspath(path)) or real(path))
    return opened


@pytest.mark.parametrize("cache", [True, False])
@pytest.mark.parametrize("how", ["api", "cli"])
@pytest.mark.parametrize("variant", ["kept shape", "new shape", "wrapper", "refused"])
def test_a_name_is_read_once_however_it_is_counted(variant, how, cache, tmp_path):
    """A config is read from disk once, whether its count comes from its shape's forms, from its tree (a shape not
    yet kept, a wrapper not read to plain data (Mllama's), or no cache in use) or is refused; and the count is the
    uncached one."""
    source = "llama-3.2-11b-vision-instruct" if variant == "wrapper" else "llama-2-7b"
    config = json.loads((FIXTURES / f"{source}.json").read_text())
    if variant == "new shape":
        config["hidden_act"] = "gelu_new"
    if variant == "refused":
        config["num_attention_heads"] = 33
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    expected = uncached(["count", str(path), "--json"])
    with pytest.MonkeyPatch.context() as m:
        if cache:
            m.delenv("SYMPARAMS_NO_CACHE", raising=False)
            m.setenv("SYMPARAMS_CACHE_DIR", str(tmp_path / "cache"))
        opened = _reads(m)
        if how == "cli":
            assert run(["count", str(path), "--json"]) == expected
        elif variant == "refused":
            with pytest.raises(symparams.SymparamsError, match="num_attention_heads"):
                symparams.count(str(path))
        else:
            assert symparams.count(str(path)) == json.loads(expected[1])
    assert expected[0] == (2 if variant == "refused" else 0)
    assert opened == [str(path)]


@pytest.mark.parametrize("path", sample(sorted(FIXTURES.glob("*.json")), "read-leaves-data"), ids=lambda p: p.stem)
def test_reading_a_config_to_plain_data_leaves_it_as_it_was(path):
    """The config read for a shape's forms is the one its tree is then built from: reading it to plain data, and
    building its tree, change nothing in it."""
    import copy

    with pytest.MonkeyPatch.context() as m:
        m.delenv("SYMPARAMS_NO_CACHE", raising=False)
        found = counting.named(str(path))
    assert found is not None
    before = copy.deepcopy(found.where.data)
    counting._plain(found.where)
    assert found.where.data == before
    try:
        symparams.model(str(path))
        FAMILIES.from_dict(found.where.data, found.where.source)
    except symparams.SymparamsError:
        pass
    assert found.where.data == before


# Real configs that list their layers' kinds, and the field that lists them.
LISTED = [("exaone-4.0-32b", "layer_types"), ("gemma-3-270m", "layer_types"), ("gpt-oss-20b", "layer_types"),
          ("olmo-3-1025-7b", "layer_types"), ("qwen3.5-9b-text", "layer_types"), ("qwen3.5-35b-a3b-text", "layer_types"),
          ("nemotron-h-8b-base-8k", "hybrid_override_pattern"), ("nemotron-h-nano-30b-a3b", "hybrid_override_pattern"),
          ("zamba2-1.2b", "layers_block_type")]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_configs_that_differ_only_in_the_order_or_number_of_their_layers_share_forms(data, tmp_path_factory):
    """A real config's layers reordered, some dropped or repeated (every kind kept), prints what its own tree
    prints once the config itself was counted; where its kinds first appear in the same order, it counts from
    the forms that count kept, with no tree built."""
    name, field = data.draw(st.sampled_from(LISTED))
    config = json.loads((Path(__file__).parent / "fixtures" / "configs" / f"{name}.json").read_text())
    kinds = list(config[field])
    order = data.draw(st.permutations(kinds))
    cut = data.draw(st.integers(1, len(kinds)))
    extra = data.draw(st.lists(st.sampled_from(sorted(set(kinds))), max_size=12))
    layers = order[:cut] + extra
    layers += [k for k in sorted(set(kinds)) if k not in layers]
    layers = data.draw(st.permutations(layers))
    if data.draw(st.booleans()):  # the first layer's kind as before: the same stacks, in the same order
        layers.insert(0, layers.pop(layers.index(kinds[0])))
    other = {**config, field: "".join(layers) if isinstance(config[field], str) else list(layers)}
    if "num_hidden_layers" in config:
        other["num_hidden_layers"] = len(layers)
    folder = tmp_path_factory.mktemp("layers")
    first, second = folder / "first.json", folder / "second.json"
    first.write_text(json.dumps(config))
    second.write_text(json.dumps(other))
    expected = uncached(["count", str(second), "--json"])
    built: list = []
    with pytest.MonkeyPatch.context() as m:
        m.delenv("SYMPARAMS_NO_CACHE", raising=False)
        m.setenv("SYMPARAMS_CACHE_DIR", str(folder / "cache"))
        m.setattr(shapes, "_shipped", lambda family, found: None)
        assert run(["count", str(first), "--json"])[0] == 0
        real = count_cli.load_spec
        m.setattr(count_cli, "load_spec", lambda *a, **k: built.append(a) or real(*a, **k))
        assert run(["count", str(second), "--json"]) == expected
        a, b = counting.read(str(first)), counting.read(str(second))
    same = a is not None and b is not None and counted_shape(a[3].shape) == counted_shape(b[3].shape)
    event(f"{name}: same shape: {same}, counted: {expected[0] == 0}")
    if same and expected[0] == 0:
        assert not built


PROBE = ("import sys; from symparams.cli import main; code = main(['count', sys.argv[1], '--json']); "
         "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'numpy'}), code, file=sys.stderr)")


def _probe(path: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.parametrize("act", ["silu", "gelu_new"])
def test_a_known_shape_counts_a_new_config_without_sympy(act, tmp_path):
    """In a new process with an empty cache, a config never seen before imports no SymPy when its shape is
    shipped (silu, a preset's); of another shape, after one count of that shape kept its forms."""
    env = {**os.environ, "SYMPARAMS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SYMPARAMS_NO_CACHE", None)
    config = json.loads((Path(__file__).parent / "fixtures" / "configs" / "llama-2-7b.json").read_text())
    config.update(hidden_act=act)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    first = _probe(path, env)
    assert first.stderr.strip().endswith("[] 0" if act == "silu" else "['sympy'] 0")
    config.update(vocab_size=32_064, num_hidden_layers=40)
    path.write_text(json.dumps(config))
    done = _probe(path, env)
    assert done.stderr.strip().endswith("[] 0")
    assert done.stdout == uncached(["count", str(path), "--json"])[1]


ALL_PROBE = ("import json, sys; import symparams; "
             "totals = {p: symparams.count(p)['total'] for p in sys.argv[1:]}; "
             "print(json.dumps([totals, sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'numpy'})]))")


def test_every_real_config_counts_from_the_shipped_forms_without_sympy(tmp_path):
    """In a new process with an empty cache, every real fixture config, vision-language wrappers included, is
    counted from the forms shipped with the package: no SymPy is imported, and each total is its tree's."""
    env = {**os.environ, "SYMPARAMS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SYMPARAMS_NO_CACHE", None)
    paths = [str(p) for p in sorted(FIXTURES.glob("*.json"))]
    done = subprocess.run([sys.executable, "-c", ALL_PROBE, *paths], capture_output=True, text=True, env=env,
                          timeout=300)
    totals, imported = json.loads(done.stdout)
    assert imported == []
    assert totals == {p: symparams.model(p).total for p in paths}


def test_the_shipped_forms_are_what_the_presets_give():
    """symparams/known_shapes/ holds what ``python -m symparams.cli.known_shapes`` writes now, file for file
    (locally, for a share of the families: writing them all builds some thousand trees)."""
    from symparams.cli import known_shapes

    shipped = sorted(p.stem for p in shapes.SHIPPED.glob("*.json"))
    families = sample(shipped, "known-shapes")
    made = known_shapes.texts() if families == shipped else known_shapes.texts(frozenset(families))
    assert sorted(made) == families
    for family, text in made.items():
        assert shapes.shipped_file(family).read_text(encoding="utf-8") == text


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(where=st.integers(0, 10**6), byte=st.integers(1, 255),
       how=st.sampled_from(["flip", "truncate", "forms", "version", "swap-secret"]))
def test_corrupted_or_edited_forms_are_never_trusted(where, byte, how, tmp_path_factory):
    """Whatever is done to a kept shape, a new config of that shape prints what its tree prints."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as m:
        m.delenv("SYMPARAMS_NO_CACHE", raising=False)
        m.setenv("SYMPARAMS_CACHE_DIR", str(folder))
        m.setattr(shapes, "_shipped", lambda family, found: None)
        run(["count", "llama-2-7b", "--json"])
        for entry in folder.glob("*.json"):
            data = bytearray(entry.read_bytes())
            doc = json.loads(data)
            if how == "flip":
                data[where % len(data)] ^= byte
                entry.write_bytes(bytes(data))
            elif how == "truncate":
                entry.write_bytes(bytes(data[: where % len(data)]))
            elif how in ("forms", "version"):  # edited forms under a MAC made with another secret
                payload = doc["payload"].replace("D*V", "D*D") if how == "forms" else doc["payload"].replace(
                    '"version": 1', '"version": 2')
                doc["payload"] = payload
                doc["mac"] = shapes.hashlib.sha256(os.urandom(32) + payload.encode()).hexdigest()
                entry.write_text(json.dumps(doc))
            else:
                (folder / "secret").write_bytes(os.urandom(32))
        assert run(["count", "llama-2-13b", "--json"]) == uncached(["count", "llama-2-13b", "--json"])
        assert run(["count", "llama-3-8b"]) == uncached(["count", "llama-3-8b"])


NAMES = ("D", "V", "L", "H", "F", "d_h")
LEAVES = st.one_of(st.sampled_from([sympy.Symbol(n, positive=True) for n in NAMES]),
                   st.integers(-50, 50).map(sympy.Integer),
                   st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda t: sympy.Rational(*t)))
EXPRS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, min_size=2, max_size=4).map(lambda xs: sympy.Add(*xs)),
    st.lists(inner, min_size=2, max_size=4).map(lambda xs: sympy.Mul(*xs)),
    st.tuples(inner, st.integers(-3, 4)).map(lambda t: t[0] ** t[1]),
    st.tuples(inner, st.sampled_from([sympy.Symbol(n, positive=True) for n in NAMES])).map(lambda t: t[0] / t[1]),
    st.tuples(st.sampled_from([sympy.floor, sympy.ceiling]), inner).map(lambda t: t[0](t[1])),
), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(expr=EXPRS, values=st.lists(st.integers(1, 10**6), min_size=len(NAMES), max_size=len(NAMES)))
def test_a_form_evaluates_exactly_as_sympy_does(expr, values):
    """SymPy's printed text of any sum, product, quotient, whole power, floor or ceiling, evaluated as a form, is
    SymPy's value."""
    assume(not expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo))
    env = dict(zip(NAMES, values))
    form = shapes._compile(str(expr))
    want = expr.xreplace({sympy.Symbol(k, positive=True): sympy.Integer(v) for k, v in env.items()})
    if not want.is_Rational:  # a denominator that is zero at these values
        with pytest.raises(ZeroDivisionError):
            form({k: Fraction(v) for k, v in env.items()})
        return
    assert form({k: Fraction(v) for k, v in env.items()}) == Fraction(int(want.p), int(want.q))


@pytest.mark.parametrize("text", ["sqrt(D)", "floor(D, 2)", "floor(x=D)", "__import__('os')", "D.real", "D if H else V",
                                  "D**H", "D**-100", "D**(1/2)",
                                  "[D]", "D**100", "1.5*D", "lambda: 1", "D; V", "True*D", "Max(D, V)",
                                  "_divide(D, H)", "__builtins__", "None*D", "abs(D)", "007*D", "D**2**2", "floor",
                                  "(floor)(D)", "floor(D)(H)", "D**(-2", "(D", "D)", "D H", "D +", "D\tH", "1_000*D",
                                  "0x10*D", "D := 2", "-"])
def test_anything_but_whole_number_arithmetic_is_not_a_form(text):
    """Calls other than floor and ceiling of one argument, attributes, variable or huge exponents, floats and
    statements are refused."""
    with pytest.raises(shapes._NotAForm):
        shapes._compile(text)


@pytest.mark.parametrize("preset, field, refused", [("llama-3-8b", None, {127}), ("qwen3-0.6b", "head_dim", {127}),
                                                   ("deepseek-v3", "qk_rope_head_dim", {127})])
def test_an_odd_rotary_head_is_counted_or_refused_from_a_kept_shape_as_by_its_tree(preset, field, refused, tmp_path,
                                                                                   monkeypatch):
    """A config of a kept shape whose rotary head is odd (stated, or hidden_size/heads) is refused where its tree
    refuses it, and otherwise counted from the forms as the tree counts it: the forms keep no rotary rule of the
    config they came from, and each config's own check runs as it is read."""
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    monkeypatch.setenv("SYMPARAMS_CACHE_DIR", str(tmp_path / "cache"))
    where, _, fam, reading = counting.read(preset)
    assert shapes._shipped(fam.name, shapes.shape_id(fam.name, reading.shape)) is not None
    heads = where.data["num_attention_heads"]
    outcomes = set()
    for head in (3, 4, 127, 128):
        data = dict(where.data)
        if field is None:
            data.pop("head_dim", None)
            data["hidden_size"] = heads * head
        else:
            data[field] = head
        path = tmp_path / f"{head}" / "config.json"
        path.parent.mkdir()
        path.write_text(json.dumps(data, default=float))  # the exact reader's Decimals, each printed as it was read
        found = counting.named(str(path))
        from_forms = counting.from_forms(found) if found is not None else None
        try:
            total = symparams.model(str(path)).total
        except symparams.SymparamsError:
            total = None
        if total is None:
            outcomes.add(head)
        assert (from_forms.report["total"] if from_forms is not None else None) == total, head
    assert outcomes == refused


def test_forms_kept_from_a_config_that_states_its_head_count_a_sibling_whose_derived_head_is_odd(tmp_path, monkeypatch):
    """transformers checks a head_dim a Qwen2 text config states, not hidden_size // heads: forms kept from a config
    that states its head count a sibling of its shape whose derived head is odd (5, which its tree counts), rather
    than carrying the first config's rotary check over to it. (A search found the pair.)"""
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    monkeypatch.setenv("SYMPARAMS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(shapes, "_shipped", lambda family, found: None)
    text = {"model_type": "qwen2", "num_hidden_layers": 1, "vocab_size": 2, "tie_word_embeddings": False,
            "sliding_window": None, "max_window_layers": 0}
    vision = {"hidden_size": 1, "num_attention_heads": 1, "num_hidden_layers": 1, "patch_size": 1, "image_size": 1}
    first, second = tmp_path / "first" / "config.json", tmp_path / "second" / "config.json"
    for path, sizes in ((first, {"num_attention_heads": 32, "head_dim": 2, "hidden_size": 2}),
                        (second, {"num_attention_heads": 2, "num_key_value_heads": 1, "hidden_size": 11})):
        path.parent.mkdir()
        path.write_text(json.dumps({"model_type": "vipllava", "text_config": {**text, **sizes}, "vision_config": vision,
                                    "vision_feature_layer": [0]}))
    assert counting.read(str(first))[3].shape == counting.read(str(second))[3].shape
    counting.count(str(first))  # keeps the shape's forms
    tree = symparams.model(str(second))
    assert tree.env[sympy.Symbol("d_h", positive=True, integer=True)] == 5
    found = counting.from_forms(counting.named(str(second)))
    assert found is not None and found.report["total"] == tree.total
