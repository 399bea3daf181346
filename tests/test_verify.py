"""``symparams verify``: symbolic counts against transformers' meta-device model.

Exit status 0 when every group matches, 1 when anything differs, 2 for bad input;
a missing torch/transformers is one line naming the extra to install.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from budget import sample
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.catalog import config_of
from symparams.cli import main
from symparams.errors import SymparamsError
from symparams.verify import MAX_LAYERS, GroupCheck, Verification, meta_parameters, verify_config

pytest.importorskip("torch", reason="torch is not installed (pip install 'symparams[verify]')")
pytest.importorskip("transformers", reason="transformers is not installed (pip install 'symparams[verify]')")

FIXTURES = Path(__file__).parent / "fixtures" / "configs"


def verify(name: str) -> Verification:
    """A preset or config path verified the way the command resolves it (names are the catalog's)."""
    return verify_config(*config_of(name))


SMALL = {"model_type": "llama", "vocab_size": 100, "hidden_size": 16, "intermediate_size": 24,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}


@pytest.mark.parametrize("name", ["mixtral-8x7b", "gemma-2b", "qwen2-7b", "llama-3-70b"])
def test_presets_verify_group_by_group(name):
    result = verify(name)
    assert result.ok
    assert result.total.symbolic == result.total.transformers > 0
    assert sum(g.transformers for g in result.groups) == result.total.transformers


RMS_TYPES = {"llama", "mistral", "mixtral", "qwen2", "gemma", "nanochat"}
RMS_FIXTURES = sorted(p for p in FIXTURES.glob("*.json") if json.loads(p.read_text())["model_type"] in RMS_TYPES)


@pytest.mark.parametrize("path", RMS_FIXTURES, ids=lambda p: p.stem)
def test_every_real_config_of_the_rms_families_verifies(path):
    """Each shipped config.json of llama, mistral, mixtral, qwen2, gemma, nanochat matches transformers."""
    assert verify(str(path)).ok


def test_the_rms_fixtures_cover_every_rms_family():
    assert {json.loads(p.read_text())["model_type"] for p in RMS_FIXTURES} == RMS_TYPES


def test_cli_report_lists_groups_and_exits_0(capsys):
    assert main(["verify", "llama-2-7b"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("group"))
    assert header.split() == ["group", "symbolic", "transformers", "match"]
    for group in ("embedding", "attention", "mlp", "norm", "head", "total"):
        assert any(line.startswith(group) and line.rstrip().endswith("yes") for line in out.splitlines())
    assert "6,738,415,616" in out


def test_cli_json_reports_each_group_and_the_total(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**SMALL, "tie_word_embeddings": True, "attention_bias": True}))
    assert main(["verify", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["match"] is True and out["model_type"] == "llama"
    assert out["total"]["symbolic"] == out["total"]["transformers"]
    assert {g["group"] for g in out["groups"]} == {"embedding", "attention", "mlp", "norm"}
    assert all(g["match"] for g in out["groups"])


def test_a_tied_head_is_counted_once():
    """transformers shares one tensor between embedding and tied head; it is counted once, like the tree does."""
    untied = sum(n for _, n in meta_parameters({**SMALL, "tie_word_embeddings": False}))
    tied = sum(n for _, n in meta_parameters({**SMALL, "tie_word_embeddings": True}))
    assert untied - tied == SMALL["vocab_size"] * SMALL["hidden_size"]


def test_a_wrong_symbolic_tree_is_reported_and_exits_1(monkeypatch, capsys):
    """If the tree and transformers disagree, verify says so: the check is able to fail."""
    from symparams.families import FAMILIES

    family = FAMILIES.by_type["llama"]
    real = family.build

    def without_final_norm(cfg):
        spec = real(cfg)
        return replace(spec, tree=replace(spec.tree, parts=tuple(
            p for p in spec.tree.parts if p.name != "norm")))

    broken = replace(family, build=without_final_norm)
    monkeypatch.setitem(FAMILIES.by_type, "llama", broken)
    monkeypatch.setitem(FAMILIES.by_name, family.name, broken)
    result = verify("llama-2-7b")
    assert not result.ok
    bad = [g for g in result.groups if not g.match]
    assert [g.group for g in bad] == ["norm"]
    assert bad[0].transformers - bad[0].symbolic == 4096
    assert main(["verify", "llama-2-7b"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["verify", "nanochat"],
    ["verify", "no-such-model"],
    ["verify", "missing/config.json"],
])
def test_bad_input_is_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symparams: error:") and err.count("\n") == 1


def test_a_config_the_reader_takes_and_transformers_refuses_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    """Whatever transformers raises while it builds a config the reader took is one line naming the config."""
    pytest.importorskip("torch", reason="torch is not installed")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")

    def refuse(*args, **kwargs):
        raise ValueError("a check of a later transformers\nspread over two lines")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", refuse)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(SMALL))
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "transformers cannot build this llama config: ValueError: a check of a later" in err
    assert err.count("\n") == 1


def test_a_config_transformers_refuses_is_exit_2(tmp_path, capsys):
    """Llama's config class insists that H divides D even with an explicit head_dim; that is bad input, which
    the reader refuses before transformers is asked, saying that transformers requires it."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**SMALL, "hidden_size": 18, "head_dim": 4}))
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert "transformers requires hidden_size to be a multiple" in err and err.count("\n") == 1


def test_a_symbolically_invalid_config_is_refused_before_transformers_runs(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**SMALL, "num_key_value_heads": 3}))
    with pytest.raises(SymparamsError, match="num_key_value_heads"):
        verify(str(path))


def _run_without(module: str, *argv: str) -> subprocess.CompletedProcess:
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from symparams.cli import main\n"
        f"sys.exit(main({list(argv)!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("missing", ["torch", "transformers"])
def test_missing_extra_names_the_pip_install(missing):
    proc = _run_without(missing, "verify", "llama-2-7b")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    # run from this checkout, so the hint names it (symparams is not on the package index yet)
    assert "pip install -e '" in proc.stderr and "[verify]'" in proc.stderr and missing in proc.stderr
    assert "'symparams[verify]'" not in proc.stderr


def test_a_bad_config_is_reported_as_such_even_without_the_extra(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mixtral", "num_local_experts": 1}))
    proc = _run_without("torch", "verify", str(path))
    assert proc.returncode == 2 and "num_experts_per_tok" in proc.stderr


def test_no_code_named_by_the_config_is_run(tmp_path, monkeypatch):
    """auto_map may name custom modeling code; verify always builds transformers' own class."""
    marker = tmp_path / "ran"
    (tmp_path / "custom_model.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    config = {**SMALL, "auto_map": {"AutoConfig": "custom_model.Config", "AutoModelForCausalLM": "custom_model.Model"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert verify("config.json").ok
    assert not marker.exists()


def test_verification_is_ok_only_when_every_group_and_the_total_match():
    same, off = GroupCheck("mlp", 10, 10), GroupCheck("norm", 3, 4)
    assert Verification("m", "llama", (same,), GroupCheck("total", 10, 10)).ok
    assert not Verification("m", "llama", (same, off), GroupCheck("total", 13, 14)).ok
    assert not Verification("m", "llama", (same,), GroupCheck("total", 10, 11)).ok


def test_verify_config_accepts_a_dict():
    assert verify_config(dict(SMALL), "inline").ok


def test_an_opt_config_dropping_its_final_norm_verifies(tmp_path, capsys):
    """OPT's ``_remove_final_layer_norm`` is a field transformers honours: verify passes it on, so a config
    that drops the final LayerNorm matches, 2*D norm weights below the one that keeps it (bookkeeping keys
    such as ``_name_or_path`` are still dropped)."""
    config = json.loads((FIXTURES / "opt-125m.json").read_text())
    config.update({"_name_or_path": "facebook/opt-125m", "_commit_hash": "0" * 40})
    norms = {}
    for remove in (False, True):
        path = tmp_path / f"{remove}.json"
        path.write_text(json.dumps({**config, "_remove_final_layer_norm": remove}))
        assert main(["verify", str(path), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["match"]
        norms[remove] = next(g["transformers"] for g in doc["groups"] if g["group"] == "norm")
    assert norms[False] - norms[True] == 2 * config["hidden_size"]


@pytest.mark.parametrize("layers, experts", [(20_000, None), (MAX_LAYERS + 1, None), (600, 200)])
def test_huge_layer_and_expert_counts_are_refused_before_transformers_builds_them(tmp_path, capsys, layers, experts):
    """transformers builds every layer and expert even on the meta device (20,000 layers: 31 s, 1.1 GB)."""
    import time

    config = {**SMALL, "num_hidden_layers": layers}
    if experts:
        config = {**config, "model_type": "mixtral", "num_local_experts": experts, "num_experts_per_tok": 2}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    start = time.perf_counter()
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exceed its limit" in err
    assert time.perf_counter() - start < 10


def test_a_hostile_directory_name_reaches_the_verify_header_escaped(tmp_path, capsys):
    folder = tmp_path / "x\x1b]0;title\x07y"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(SMALL))
    assert main(["verify", str(folder / "config.json")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out


@pytest.mark.parametrize("path", sample(sorted(FIXTURES.glob("*.json")), "meta builds initialised"), ids=lambda p: p.stem)
def test_skipping_the_weight_initialisers_changes_no_parameter(path):
    """A meta build skips the initialisers (a meta tensor has no values): the same parameters, tied alike, as a
    plain ``from_config``; and the initialisers are torch's own again afterwards."""
    import torch

    from symparams.config import read_json

    config = read_json(path)
    try:
        plain = meta_parameters(config, initialise=True, remember=False)
    except SymparamsError:
        with pytest.raises(SymparamsError):
            meta_parameters(config, remember=False)
        return
    assert meta_parameters(config, remember=False) == plain
    assert torch.nn.init.normal_.__module__ == "torch.nn.init"
    assert torch.nn.modules.activation.xavier_uniform_ is torch.nn.init.xavier_uniform_  # a copy held by name


def test_a_meta_build_first_in_a_process_leaves_every_later_build_initialised():
    """The first meta build of a fresh interpreter may import the modules that keep torch's initialisers by value
    (transformers.initialization): none of them may keep the no-ops, so a model built afterwards has its weights."""
    script = (
        "import json, sys, torch, transformers\n"
        "from symparams.verify import meta_parameters\n"
        "meta_parameters(json.load(open(sys.argv[1])))\n"
        "from transformers import initialization\n"
        "kept = {n: f is getattr(torch.nn.init, n) for n, f in initialization.TORCH_INIT_FUNCTIONS.items()}\n"
        "model = transformers.AutoModelForCausalLM.from_config(transformers.AutoConfig.for_model(\n"
        "    'llama', hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,\n"
        "    vocab_size=64))\n"
        "print(json.dumps({'kept': kept, 'zero': [n for n, p in model.named_parameters()\n"
        "                                        if 'norm' not in n and not p.any()]}))\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(FIXTURES / "gpt2.json")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert all(found["kept"].values()) and found["kept"], found
    assert found["zero"] == [], found


def test_a_remembered_build_is_the_build_made_afresh_and_the_callers_own_copy():
    from symparams import verify as v

    config = {**SMALL, "num_hidden_layers": 3}
    first = meta_parameters(config)
    first.append(("changed by the caller", 1))
    again = meta_parameters(config)
    assert again == meta_parameters(config, remember=False) == first[:-1]
    assert v.build_key("parameters", v._versions(), v._as_json(config), False) in v._BUILT


def test_a_refused_build_is_refused_again_with_the_same_line():
    config = {**SMALL, "hidden_act": "no-such-activation"}
    with pytest.raises(SymparamsError) as first:
        meta_parameters(config)
    with pytest.raises(SymparamsError) as again:
        meta_parameters(config)
    assert str(first.value) == str(again.value) and "no-such-activation" in str(first.value)


def test_a_layout_learn_builds_twice_is_its_own_copy_each_time():
    import transformers

    from symparams.learn import _build

    cls = transformers.CONFIG_MAPPING["llama"]
    small = {k: v for k, v in SMALL.items() if k != "model_type"}
    one = _build(cls, small)
    one["extra"] = (1,)
    one.modules["extra"] = "other"
    one.config["hidden_size"] = -1
    two = _build(cls, small)
    fresh = _build(cls, small, fresh=True)
    assert dict(two) == dict(fresh) and two.modules == fresh.modules and two.config == fresh.config
    assert "extra" not in two and two.config["hidden_size"] == SMALL["hidden_size"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 400), max_size=600))
def test_remembered_gives_what_make_gives_and_keeps_at_most_its_share(keys):
    """Whatever order builds are asked for, each answer is what making it gives, and at most 256 are kept."""
    from symparams import verify as v

    v._BUILT.clear()
    made = []

    def make(k):
        made.append(k)
        if k % 7 == 0:
            raise ValueError(f"refused {k}")
        return ("built", k)

    for k in keys:
        try:
            assert v.remembered(("test", k), lambda k=k: make(k)) == ("built", k)
        except ValueError as err:
            assert str(err) == f"refused {k}" and k % 7 == 0
        assert len(v._BUILT) <= v._KEPT_BUILDS
    assert len(made) <= len(keys) and set(made) == set(keys)
    v._BUILT.clear()


def test_a_key_tells_whole_numbers_decimals_truth_values_and_text_apart():
    from symparams.verify import build_key

    keys = [build_key("parameters", {"x": value}) for value in (1, 1.0, True, "1", None, [1], {"1": 1})]
    assert len(set(keys)) == len(keys) and None not in keys
    for written_alike_or_not_at_all in (object(), (1,), {1: 1}, {True: 1}, [{"a": (1,)}]):
        assert build_key("parameters", {"x": written_alike_or_not_at_all}) is None


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]), st.sampled_from(["verify", "learn"]))
def test_a_build_hears_transformers_at_error_or_above_and_leaves_its_level_as_it_found_it(level, builder):
    """Each build holds transformers' log at ERROR (a higher level stays higher), and the caller's level is back
    once it ends."""
    import logging

    import transformers

    from symparams.learn import _build

    root = logging.getLogger("transformers")
    heard: list[int] = []
    init = transformers.LlamaConfig.__init__

    def listening(self, *args, **kwargs):
        heard.append(root.getEffectiveLevel())
        init(self, *args, **kwargs)

    before = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity(getattr(logging, level))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(transformers.LlamaConfig, "__init__", listening)
            if builder == "verify":
                meta_parameters(SMALL, remember=False)
            else:
                _build(transformers.LlamaConfig, {k: v for k, v in SMALL.items() if k != "model_type"}, fresh=True)
        assert heard and all(h == max(logging.ERROR, getattr(logging, level)) for h in heard)
        assert transformers.logging.get_verbosity() == getattr(logging, level)
    finally:
        transformers.logging.set_verbosity(before)
