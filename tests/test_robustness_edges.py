"""Robustness at the edges: one value gives one answer, huge values stay exact, hostile text stays text.

Each test states a promise the tool keeps for a whole class of inputs (issue 18), not
for the one example that broke it: a width counts the same however it is written,
figures too large for a float still print, and a model's name or path reaches every
output escaped for that output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from budget import sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from symparams.config import MAX_LAYERS
from symparams.errors import SymparamsError
from symparams.families import FAMILIES
from symparams.symbols import D, H


def _total(model: str, depth: int, width: str) -> int | None:
    try:
        return symparams.model(model, depth=depth, D=width).total
    except SymparamsError:
        return None


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(["nanochat", "nanochat-2026"]), depth=st.integers(1, 40), width=st.integers(1, 5000))
def test_a_width_counts_the_same_written_as_a_number_or_as_an_expression_of_the_depth(model, depth, width):
    """Whether H follows D depends on D's value, never on how D was written: ``D=1280`` and
    ``D=320*L`` at depth 4 are one model with one total (or both are refused)."""
    assert _total(model, depth, str(width)) == _total(model, depth, f"{width}*L/{depth}")


def test_nanochat_2026_at_depth_4_with_width_1280_has_one_total():
    assert symparams.model("nanochat-2026", depth=4, D="320*L").total == \
        symparams.model("nanochat-2026", depth=4, D=1280).total == 246_415_634


def test_a_width_written_through_the_head_count_leaves_the_head_count_alone():
    spec = symparams.model("nanochat", depth=4, D="128*H")
    assert (spec.env[H], spec.env[D]) == (2, 256)


@pytest.mark.parametrize("exponent", [51, 60, 61, 300])
def test_a_value_too_small_is_refused_as_too_small_never_as_too_large(exponent):
    """A tiny value (``e=1e-60``) is refused as too small or too fine a fraction, never as too large."""
    with pytest.raises(SymparamsError, match="too fine a fraction|too small") as err:
        symparams.model("nanochat", e=f"1e-{exponent}").total
    assert "too large" not in str(err.value)


HUGE = ["--set", "L=10^50", "--set", "D=10^49", "--set", "H=10^49", "--seq", "1e50", "--batch", "1e50",
        "--attention", "eager", "--mask-bytes", "1e50", "--dropout", "attention"]


@pytest.mark.parametrize("extra", [[], ["--budget", "1e60"], ["--tp", "2", "--pp", "2"], ["--json"]])
def test_memory_at_the_largest_sizes_allowed_prints_every_figure_exactly(extra, capsys):
    """Bytes of 10^299, every size at its bound of 10^50 (or near it), print in full, in GiB too: no float
    overflows or rounds midway, and nothing is printed before every figure is known."""
    from symparams.cli import main

    assert main(["memory", "nanochat", *HUGE, *extra]) == 0
    out = capsys.readouterr().out
    if "--json" in extra:
        assert json.loads(out)["total_bytes"] > 10**298
    else:
        assert out.count("GiB") >= 4 and out.startswith("nanochat d20: ")


# ---- hostile names in every output ------------------------------------------------------

TINY = {"model_type": "llama", "vocab_size": 320, "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4}
HOSTILE = ["x``<img src=x onerror=alert(1)>``y", "![t](javascript:alert(1))", "[a]: javascript:alert(1)",
           "<script>alert(1)", "&lt;b&gt;", "`", "\\*not emphasis\\*", "a|b", "$x$", "\\input{passwd}",
           "\\write18{touch pwned}", "100%", "#~^{}", "\x1b]0;title\x07", "\x1b[31mred", "line\nbreak", "\r",
           "\u202eevil", "\u2066iso\u2069", "\x00"[:0] + "tab\there", "\u0085"]
HOSTILE_NAMES = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=3).map(lambda parts: "m" + "".join(parts))


def _hostile_model(root, name: str) -> str:
    folder = root / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(TINY))
    return name


def _outputs(name: str, capsys) -> dict[str, str]:
    from symparams.cli import main

    outs = {}
    for argv in (["count", name, "--format", f] for f in ("text", "md", "csv", "json", "tex")):
        assert main(argv) == 0, argv
        outs[argv[-1]] = capsys.readouterr().out
    for fmt in ("text", "md", "tex"):
        assert main(["derive", name, "--brief", "--format", fmt]) == 0
        outs[f"derive {fmt}"] = capsys.readouterr().out
    return outs


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=HOSTILE_NAMES)
def test_a_hostile_model_name_is_escaped_in_every_output_format(name, tmp_path_factory, capsys, monkeypatch):
    """A model whose folder is named with HTML, Markdown links, backticks, TeX commands, control
    characters or bidi overrides is written in every format (text, md, csv, json, tex; count
    and derive) as inert text: no control or invisible character reaches the output, the
    Markdown renders to HTML without a tag, an image or a javascript: link of the name's making,
    TeX gets no command of the name's, and JSON and CSV carry the name as data."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed (pip install -e '.[test]')")

    root = tmp_path_factory.mktemp("hostile")
    monkeypatch.chdir(root)
    outs = _outputs(_hostile_model(root, name), capsys)
    for what, out in outs.items():
        bad = sorted({c for c in out if not c.isprintable() and c != "\n"})
        assert not bad, f"{what}: {bad}"
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(outs["md"] + outs["derive md"])
    for tag in ("<img", "<script", "href=\"javascript", "src=\"javascript", "<b>"):
        assert tag not in html, tag
    for what in ("tex", "derive tex"):
        assert "\\input" not in outs[what] and "\\write18" not in outs[what]
    assert json.loads(outs["json"])["model"].startswith("m")


def test_a_code_span_is_fenced_longer_than_any_backtick_run_inside_it():
    from symparams.report.markdown import code_span

    for text in ("a", "a`b", "x``<img>``y", "```", "`a`"):
        span = code_span(text)
        fence = len(span) - len(span.lstrip("`"))
        assert "`" * fence not in span[fence:-fence]


def test_verify_shows_a_hostile_path_escaped_in_its_header(tmp_path, capsys, monkeypatch):
    """verify's header names the model with its control characters shown, not sent to the terminal."""
    pytest.importorskip("transformers")
    from symparams.cli import main

    monkeypatch.chdir(tmp_path)
    name = _hostile_model(tmp_path, "m\x1b]0;title\x07\u202e")
    assert main(["verify", name]) == 0
    out = capsys.readouterr().out
    assert "\\x1b]0;title\\x07\\u202e" in out.splitlines()[0]
    assert all(c.isprintable() or c == "\n" for c in out)


# ---- surprises refused or explained -----------------------------------------------------


def test_a_preset_name_shadowing_a_file_in_the_folder_is_read_as_the_preset_and_says_so(tmp_path, monkeypatch):
    """A bare preset name is the preset even when a file of that name is in the current folder
    (the documented rule); the note a command prints names the preset read and how to ask for the file."""
    from symparams.catalog import shadowed

    monkeypatch.chdir(tmp_path)
    assert shadowed("gpt2") is None
    (tmp_path / "gpt2").write_text(json.dumps(TINY))
    assert symparams.model("gpt2").total == symparams.model("preset:gpt2").total != symparams.model("./gpt2").total
    note = shadowed("gpt2")
    assert note is not None and "preset gpt2" in note and "./gpt2" in note
    assert shadowed("./gpt2") is None and shadowed("preset:gpt2") is None


def test_learn_refuses_a_probe_count_it_could_not_finish_in_bounded_time(capsys):
    """learn builds one model per probe, so --probes is capped (6 to 200) and refused in one line beyond."""
    from symparams.cli import main

    assert main(["learn", "llama", "--probes", "1000000"]) == 2
    err = capsys.readouterr().err
    assert "more than 200" in err and len(err.strip().splitlines()) == 1


def test_plot_says_where_matplotlib_keeps_its_font_cache():
    """plot's help names MPLCONFIGDIR, the way to keep matplotlib's font cache out of the home folder."""
    import symparams.cli.plot as plot

    assert "MPLCONFIGDIR" in (plot.__doc__ or "")


# ---- the Python API refuses in SymparamsError, never in a raw exception ----------------------


@pytest.mark.parametrize("reading", ["__class__", "__init__", "__dict__", "read", "children", "name", "", "PARAMS"])
def test_a_reading_is_one_of_a_named_set_and_no_attribute_of_a_node(reading):
    """``Spec.count(reading=...)`` takes only the readings the nodes define: a dunder or any other
    attribute name of a node is refused as an unknown reading, never looked up."""
    spec = symparams.model("gpt2")
    with pytest.raises(SymparamsError, match="unknown reading"):
        spec.count(reading=reading)


def test_a_model_is_named_by_a_path_as_well_as_text_and_anything_else_is_refused(tmp_path):
    """``symparams.model`` reads a pathlib.Path as it reads the same path as text; None, a number
    or bytes are refused with a SymparamsError naming the type."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(TINY))
    assert symparams.model(config).total == symparams.model(str(config)).total
    assert symparams.model(tmp_path).total == symparams.model(str(tmp_path)).total
    for bad in (None, 3, b"gpt2"):
        with pytest.raises(SymparamsError, match="named by text or a path"):
            symparams.model(bad)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inner=st.sampled_from(FAMILIES.model_types()),
       outer=st.sampled_from(["glm4v", "qwen2_audio", "gemma3n", "lfm2_vl", "cohere_compass"]))
def test_a_multimodal_wrapper_is_refused_naming_the_language_model_it_holds(inner, outer, tmp_path_factory):
    """A vision-language config whose towers are not modelled is never counted as if it were its language model
    alone: one line says which text_config model type it wraps and how to count that part (the wrappers whose towers
    are modelled are counted whole: tests/test_families_vision.py)."""
    path = tmp_path_factory.mktemp("wrap") / "config.json"
    path.write_text(json.dumps({"model_type": outer, "text_config": {"model_type": inner}}))
    with pytest.raises(SymparamsError) as err:
        symparams.model(str(path))
    message = str(err.value)
    assert "\n" not in message and repr(inner) in message and "text_config" in message


FIXTURE_CONFIGS = sorted((Path(__file__).parent / "fixtures" / "configs").glob("*.json"))
LAYER_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers")


def _with_layers(path, layers: int) -> tuple[dict, str]:
    doc = json.loads(path.read_text())
    holder = doc.get("text_config", doc)  # a vision-language wrapper's decoder
    key = next((k for k in LAYER_KEYS if k in holder), "num_hidden_layers")  # LLaVA-1.5's leaves Llama's default
    holder[key] = layers
    return doc, key


@settings(max_examples=40, deadline=None)
@given(path=st.sampled_from(FIXTURE_CONFIGS), layers=st.integers(MAX_LAYERS + 1, 10**50))
def test_a_layer_count_past_the_limit_is_refused_naming_the_field(path, layers):
    """Families lay models out layer by layer; a config deeper than that bound is one line, never a long wait.
    (A family whose layer list decides the depth ignores the field, as transformers does: the same model.)"""
    doc, key = _with_layers(path, layers)
    try:
        spec = FAMILIES.from_dict(doc)
    except SymparamsError as err:
        assert key in str(err) and f"at most {MAX_LAYERS:,}" in str(err), err
    else:
        assert spec.total == FAMILIES.from_dict(json.loads(path.read_text())).total
        assert any(f"{key} ({layers}) is ignored" in note for note in spec.notes), spec.notes


@settings(max_examples=25, deadline=None)
@given(value=st.one_of(st.text(min_size=41, max_size=100_000), st.lists(st.integers(), min_size=30),
                       st.floats(allow_nan=False, allow_infinity=False)))
def test_a_layer_count_a_layer_list_overrides_is_quoted_in_its_note_in_one_short_line(value):
    """Nemotron-H ignores num_hidden_layers whatever it holds, as transformers does; the note that says so
    quotes the value cut short and on one line, however long or odd the value is."""
    path = next(p for p in FIXTURE_CONFIGS if p.stem == "nemotron-h-8b-base-8k")
    doc = json.loads(path.read_text())
    doc["num_hidden_layers"] = value
    spec = FAMILIES.from_dict(doc)
    assert spec.total == FAMILIES.from_dict(json.loads(path.read_text())).total
    note = next(n for n in spec.notes if "num_hidden_layers" in n)
    assert "is ignored" in note and len(note) < 160 and "\n" not in note, note


@pytest.mark.parametrize("path", sample(FIXTURE_CONFIGS, "deepest"), ids=lambda p: p.stem)
def test_a_config_at_the_layer_limit_is_counted_or_refused_in_bounded_time(path):
    """At the limit every family finishes: a count, or a refusal for another reason (a per-layer list of
    other length), within 5 s (the test's own alarm stops a runaway loop over layers)."""
    import signal

    def stop(signum, frame):
        raise TimeoutError(f"{path.name} at {MAX_LAYERS:,} layers took over 5 s")

    doc, _ = _with_layers(path, MAX_LAYERS)
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(5)
    try:
        assert FAMILIES.from_dict(doc).total > 0
    except SymparamsError as err:
        assert "at most" not in str(err) or "layers" not in str(err), err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("field", ["hybrid_override_pattern", "layers_block_type"])
def test_a_layer_pattern_that_decides_the_depth_keeps_the_same_limit(field):
    """Nemotron-H's depth is its pattern's length, not num_hidden_layers: the pattern is held to the same bound."""
    doc = json.loads((Path(__file__).parent / "fixtures" / "configs" / "nemotron-h-8b-base-8k.json").read_text())
    doc.pop("hybrid_override_pattern", None)

    def pattern(n: int):
        return "M-" * (n // 2) + "M" * (n % 2) if field == "hybrid_override_pattern" else ["mamba", "mlp"] * (n // 2)

    doc[field] = pattern(MAX_LAYERS)
    assert FAMILIES.from_dict(doc).value(symparams.symbols.L) == MAX_LAYERS
    doc[field] = pattern(MAX_LAYERS + 2)
    with pytest.raises(SymparamsError, match=f"{field}.*at most {MAX_LAYERS:,}"):
        FAMILIES.from_dict(doc)


FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def test_a_required_field_given_as_null_is_called_null_not_missing():
    """transformers tells a null from a missing field; so does every message: a field whose absence is
    refused as missing is, when null, either read as transformers reads a null or refused as null."""
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text())
        for key in data:
            try:
                symparams.families.from_dict({k: v for k, v in data.items() if k != key})
            except SymparamsError as err:
                if f"required field {key!r} is missing" not in str(err):
                    continue
            else:
                continue
            with pytest.raises(SymparamsError) as null:
                symparams.families.from_dict({**data, key: None})
            assert "is missing" not in str(null.value) and "null" in str(null.value), (path.name, key, str(null.value))


@pytest.mark.parametrize("family", ["nanochat", "nanochat-2026"])
@pytest.mark.parametrize("depth", [MAX_LAYERS + 2, 10**60, 10**5000], ids=["max+2", "1e60", "1e5000"])
def test_a_depth_past_what_a_ladder_builds_is_one_line_and_exit_2(family, depth, capsys):
    """A depth ladder that lays its model out layer by layer (nanochat-2026) takes at most MAX_LAYERS layers,
    and no ladder takes a depth past 10^50: each is refused in one line, from the API and the command line,
    never a long wait or an overflow."""
    from symparams.catalog import model
    from symparams.cli import main

    if family == "nanochat" and depth <= 10**50:
        assert model(family, depth=depth).total > 0
        return
    with pytest.raises(SymparamsError, match="depth"):
        model(family, depth=depth)
    if depth < 10**64:
        assert main(["count", family, "--depth", str(depth), "--json"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "depth" in err and "internal error" not in err, err
