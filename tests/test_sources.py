"""Where models live: presets by any case, checkpoint folders, safetensors and GGUF headers, Hub ids.

No test touches the network: Hub ids are resolved from a Hugging Face cache laid out in a
temporary folder (the layout huggingface_hub documents: models--org--name/refs/main and
snapshots/<commit>/config.json), with HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
from itertools import accumulate
from pathlib import Path

import pytest
from budget import examples
from hypothesis import HealthCheck, assume, given, settings

from symparams.catalog import model
from symparams.checkpoint import SAVED_BUFFERS, check_checkpoint, read_checkpoint, read_gguf, read_safetensors
from symparams.cli import main
from symparams.errors import SymparamsError
from symparams.families import FAMILIES, from_dict

from strategies import CONFIGS

SMALL_LLAMA = {"model_type": "llama", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
               "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64}


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``symparams ARGS`` in this process; in a fresh one where ``env`` sets what huggingface_hub reads at import."""
    if env is not None:
        return subprocess.run([sys.executable, "-m", "symparams", *args], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=120)
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="") for _ in range(2))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    text = [stream.flush() or stream.buffer.getvalue().decode("utf-8") for stream in (out, err)]
    return subprocess.CompletedProcess(list(args), code, *text)


def test_presets_match_without_regard_to_case_and_near_misses_get_a_suggestion():
    """LLAMA-2-7B is llama-2-7b; llama-2-7 is refused with 'did you mean'."""
    assert model("LLAMA-2-7B").total == model("llama-2-7b").total
    with pytest.raises(SymparamsError, match="did you mean 'llama-2-7b'"):
        model("llama-2-7")


def test_a_file_named_like_a_preset_does_not_shadow_it(tmp_path, monkeypatch):
    """A bare preset name is the preset; ./name is the file."""
    (tmp_path / "gpt2").write_text(json.dumps(SMALL_LLAMA))
    monkeypatch.chdir(tmp_path)
    assert model("gpt2").total == model("preset:gpt2").total
    assert model("./gpt2").total == from_dict(SMALL_LLAMA).total


def write_cache(root: Path, repo: str, config: dict, commit: str = "0123456789abcdef0123456789abcdef01234567") -> None:
    base = root / ("models--" + repo.replace("/", "--"))
    (base / "refs").mkdir(parents=True)
    (base / "refs" / "main").write_text(commit)
    snap = base / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / "config.json").write_text(json.dumps(config))


def test_hub_ids_resolve_from_the_local_cache_offline(tmp_path):
    """org/name reads config.json from HF_HUB_CACHE with HF_HUB_OFFLINE=1; an uncached id is one clear line."""
    pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed (pip install -e '.[hub]')")
    write_cache(tmp_path, "acme/tiny-llama", SMALL_LLAMA)
    env = {"HF_HUB_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    out = run("count", "acme/tiny-llama", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] == from_dict(SMALL_LLAMA).total
    missing = run("count", "acme/absent", env=env)
    assert missing.returncode == 2
    assert "acme/absent" in missing.stderr and "HF_HUB_OFFLINE" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_hub_ids_with_path_traversal_are_refused():
    out = run("count", "acme/../../etc", env={"HF_HUB_OFFLINE": "1"})
    assert out.returncode == 2 and "Hub id" in out.stderr


def _save(config: dict, folder: Path, shard: str | None = None) -> set[str]:
    """Save a random tiny model; return the names of the buffers it saves beside its weights."""
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[verify]')")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    data = {k: v for k, v in config.items() if k != "model_type"}
    tcfg = transformers.AutoConfig.for_model(config["model_type"], **data)
    from symparams.verify import model_class

    torch.manual_seed(0)
    name = model_class(config["model_type"])  # the class whose weights a vision-language file holds
    m = getattr(transformers, name)._from_config(tcfg) if name else transformers.AutoModelForCausalLM.from_config(tcfg)
    m.save_pretrained(folder, max_shard_size=shard) if shard else m.save_pretrained(folder)
    return {name for name, _ in m.named_buffers()}


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("shard", [None, "20KB"])
def test_a_checkpoint_folder_counts_as_its_config_and_its_headers_agree(tmp_path, tied, shard):
    """A folder written by save_pretrained: the model from its config.json equals the tensors in its headers."""
    config = {**SMALL_LLAMA, "tie_word_embeddings": tied}
    _save(config, tmp_path, shard)
    spec = model(str(tmp_path))
    ckpt = read_checkpoint(tmp_path)
    assert ckpt.total == spec.total == from_dict(config).total
    assert check_checkpoint(spec, FAMILIES.of(spec).group, ckpt).ok
    assert sum(ckpt.bytes_by_dtype().values()) == 4 * spec.total


TYPES = sorted(t for t in CONFIGS if t in FAMILIES.by_type)


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TYPES)
def test_header_counts_equal_the_symbolic_count_for_every_family(tmp_path_factory, model_type):
    """For random tiny models of every family, the count from the safetensors headers is the symbolic count."""

    @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
    @given(config=CONFIGS[model_type])
    def check(config):
        # A digit string for Mamba's time_step_rank builds on the meta device (and is counted), but
        # transformers' weight init raises on it (str ** float), so no checkpoint can be saved to read.
        assume(not (isinstance(config.get("time_step_rank"), str) and config["time_step_rank"] != "auto"))
        folder = tmp_path_factory.mktemp(model_type)
        try:
            buffers = _save(config, folder)
        except (RuntimeError, ValueError, NotImplementedError) as err:  # pragma: no cover - a config CPU cannot init
            pytest.fail(f"transformers could not build {config}: {err}")
        spec = from_dict(config)
        ckpt = read_checkpoint(folder)
        # Buffers some models save beside their weights (xIELU's beta and eps, a router's score
        # correction bias) are not parameters. Saving may rename the base model (Nemotron-H's
        # model. is stored as backbone.), so names are matched past their first part.
        inner = {b.split(".", 1)[-1] for b in buffers}
        saved = {t.name for t in ckpt.tensors if t.name in buffers or t.name.split(".", 1)[-1] in inner}
        # symparams sets the buffers it knows apart by itself; the rest are dropped here first.
        assert check_checkpoint(spec, FAMILIES.of(spec).group, ckpt).buffers == tuple(
            t.name for t in ckpt.tensors if t.name in saved and t.name.endswith(SAVED_BUFFERS))
        weights = tuple(t for t in ckpt.tensors if t.name not in saved or t.name.endswith(SAVED_BUFFERS))
        ckpt = type(ckpt)(ckpt.source, ckpt.format, weights, ckpt.file_bytes)
        result = check_checkpoint(spec, FAMILIES.of(spec).group, ckpt)
        assert result.total.match, result.to_json()

    check()


def test_count_checkpoint_and_verify_checkpoint_on_the_command_line(tmp_path):
    _save(SMALL_LLAMA, tmp_path)
    out = run("count", str(tmp_path), "--checkpoint", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["checkpoint"]["params"] == data["total"]
    ok = run("verify", "--checkpoint", str(tmp_path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # a head stored although the config ties it: a mismatch, exit 1
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["tie_word_embeddings"] = True
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    bad = run("verify", "--checkpoint", str(tmp_path))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "lm_head" in bad.stdout


def _header_file(path: Path, header: bytes, length: int | None = None, data: bytes = b"") -> Path:
    path.write_bytes(struct.pack("<Q", len(header) if length is None else length) + header + data)
    return path


@pytest.mark.parametrize("name, header, length, data, message", [
    ("truncated", b"{\"a\": ", None, b"", "not valid JSON"),
    ("beyond", b"{}", 10**6, b"", "runs past the end"),
    ("notjson", b"\xff\xfe", None, b"", "not UTF-8"),
    ("duplicate", b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},'
                  b' "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', None, b"\0" * 4, "more than once"),
    ("negative", b'{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', None, b"\0" * 4, "shape"),
    ("absurd", b'{"a": {"dtype": "F32", "shape": [99999999999999], "data_offsets": [0, 4]}}', None, b"\0" * 4, "shape"),
    ("offsets", b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}', None, b"\0" * 8, "do not hold"),
    ("dtype", b'{"a": {"dtype": "F3", "shape": [2], "data_offsets": [0, 1]}}', None, b"\0" * 1, "unknown dtype 'F3'"),
    ("packed", b'{"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}', None, b"\0" * 2,
     "3 values of F4 do not fill whole bytes"),
])
def test_damaged_safetensors_headers_are_refused_with_one_line(tmp_path, name, header, length, data, message):
    path = _header_file(tmp_path / f"{name}.safetensors", header, length, data)
    with pytest.raises(SymparamsError, match=message):
        read_safetensors(path)
    out = run("count", str(path), "--checkpoint")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_every_dtype_safetensors_writes_from_torch_is_read_at_the_bytes_it_takes(tmp_path):
    """safetensors' own writer, for each dtype torch and it share (4-bit values packed two to a byte, stated as
    F4 with their own shape; 8-bit floats of every kind; complex numbers): each tensor read at its byte range."""
    torch = pytest.importorskip("torch", reason="torch is not installed")
    pytest.importorskip("safetensors", reason="safetensors is not installed")
    from safetensors.torch import _TYPES, save_file

    made = {}
    for i, dtype in enumerate(sorted({*_TYPES.values(), getattr(torch, "float4_e2m1fn_x2", None)} - {None}, key=str)):
        made[f"t{i}"] = torch.zeros(3, 8, dtype=torch.uint8).view(dtype) if dtype.itemsize == 1 else torch.zeros(
            3, 8 // dtype.itemsize, dtype=dtype)
    save_file(made, tmp_path / "model.safetensors")
    read = {t.name: t for t in read_safetensors(tmp_path / "model.safetensors").tensors}
    assert {name: read[name].nbytes for name in made} == dict.fromkeys(made, 24)
    if hasattr(torch, "float4_e2m1fn_x2"):
        packed = [t for t in read.values() if t.dtype == "F4"]
        assert [(t.shape, t.numel) for t in packed] == [((3, 16), 48)]


def test_an_index_naming_a_missing_shard_is_refused(tmp_path):
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"a": "absent.safetensors"}}))
    with pytest.raises(SymparamsError, match="missing"):
        read_checkpoint(tmp_path)


def test_gguf_headers_are_read_without_the_weights(tmp_path):
    """A GGUF written by the gguf package's own writer: names, shapes, dtypes and the total."""
    gguf = pytest.importorskip("gguf", reason="gguf is not installed (pip install gguf)")
    np = pytest.importorskip("numpy")
    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tensor("token_embd.weight", np.zeros((64, 32), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((32, 32), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    ckpt = read_gguf(path)
    assert ckpt.total == 64 * 32 + 32 * 32
    assert {t.name: t.shape for t in ckpt.tensors} == {"token_embd.weight": (64, 32), "blk.0.attn_q.weight": (32, 32)}
    assert ckpt.bytes_by_dtype() == {"F16": 32 * 32 * 2, "F32": 64 * 32 * 4}


def test_a_gguf_of_an_unknown_version_is_refused(tmp_path):
    path = tmp_path / "future.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<I", 99) + b"\0" * 64)
    with pytest.raises(SymparamsError, match="version 99"):
        read_gguf(path)


def test_list_names_the_presets_families_and_model_types():
    """`symparams list --json` holds every preset (with its exact total) and every model type a family reads."""
    out = run("list", "--json")
    assert out.returncode == 0, out.stderr
    known = json.loads(out.stdout)
    presets = {p["name"]: p for p in known["presets"]}
    assert presets["llama-2-7b"]["total"] == model("llama-2-7b").total
    assert presets["llama-2-7b"]["model_type"] == "llama"
    assert {f["name"] for f in known["depth_families"]} >= {"nanochat"}
    assert known["model_types"] == FAMILIES.model_types()
    assert {t for f in known["families"] for t in f["model_types"]} == set(FAMILIES.model_types())
    text = run("list")
    assert text.returncode == 0 and "llama-2-7b" in text.stdout and "6,738,415,616" in text.stdout


@pytest.mark.parametrize("name", ["nanochat", "gpt2", "llama-2-7b", "mixtral-8x7b"])
def test_count_json_holds_the_groups_and_the_non_embedding_count(name):
    """groups partition the total; non-embedding is the total less embedding and head, and its form evaluates to it."""
    from symparams.counting import non_embedding

    out = run("count", name, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    spec = model(name)
    assert sum(data["groups"].values()) == data["total"] == spec.total
    assert data["non_embedding"] == spec.total - data["groups"].get("embedding", 0) - data["groups"].get("head", 0)
    count, form = non_embedding(spec)
    assert count == data["non_embedding"] == int(spec.value(form))
    assert data == json.loads(run("count", name, "--json").stdout)  # --json is --format json


def test_count_formats_max_depth_and_non_embedding():
    """Each --format prints the same rows; --max-depth cuts the tree; --non-embedding adds the Kaplan count."""
    import csv
    import io

    full = json.loads(run("count", "gpt2", "--json").stdout)
    top = json.loads(run("count", "gpt2", "--json", "--max-depth", "1").stdout)
    assert [c["name"] for c in top["components"]] == [c["name"] for c in full["components"] if "." not in c["name"]]
    assert sum(c["total"] for c in top["components"]) == full["total"]
    rows = list(csv.DictReader(io.StringIO(run("count", "gpt2", "--format", "csv", "--max-depth", "1",
                                               "--non-embedding").stdout)))
    assert [r["component"] for r in rows] == [c["name"] for c in top["components"]] + ["total", "non-embedding"]
    assert int(rows[-1]["total"]) == full["non_embedding"] == 85_056_000
    md = run("count", "gpt2", "--format", "md", "--max-depth", "1")
    assert md.returncode == 0 and md.stdout.count("\n| ") == len(top["components"]) + 2  # header, rows, total
    tex = run("count", "gpt2", "--format", "tex", "--non-embedding")
    assert tex.returncode == 0 and r"\begin{tabular}" in tex.stdout and "85{,}056{,}000" in tex.stdout
    text = run("count", "gpt2", "--non-embedding", "--max-depth", "1")
    assert "85,056,000" in text.stdout and "ln_1" not in text.stdout
    bad = run("count", "gpt2", "--format", "xml")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("blocked, argv, extra", [
    ("torch", ["verify", "gpt2"], "verify"),
    ("huggingface_hub", ["count", "acme/tiny-llama"], "hub"),
])
def test_a_missing_extra_names_the_install_command_that_works_from_a_checkout(tmp_path, blocked, argv, extra):
    """From a source checkout the hint is pip install -e '<checkout>[extra]', never the index's 'symparams[extra]'."""
    code = (f"import sys; sys.modules[{blocked!r}] = None; from symparams.cli import main; "
            f"sys.exit(main({argv!r}))")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path)})
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"pip install -e '{root}[{extra}]'" in out.stderr and f"'symparams[{extra}]'" not in out.stderr


def _cache_with_checkpoint(root: Path, repo: str, tied: bool = False) -> Path:
    """A Hugging Face cache holding a real tiny checkpoint (config.json and model.safetensors) for ``repo``."""
    write_cache(root, repo, {**SMALL_LLAMA, "tie_word_embeddings": tied})
    snap = next((root / ("models--" + repo.replace("/", "--")) / "snapshots").iterdir())
    _save({**SMALL_LLAMA, "tie_word_embeddings": tied}, snap)
    return snap


def test_a_hub_id_checkpoint_is_read_from_the_cache_offline(tmp_path):
    """verify --checkpoint ORG/NAME and count ORG/NAME --checkpoint read the cached headers with HF_HUB_OFFLINE=1."""
    pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed (pip install -e '.[hub]')")
    _cache_with_checkpoint(tmp_path / "hub", "acme/tiny-llama")
    env = {"HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}  # HF_HOME/hub is the cache
    env_clean = {k: v for k, v in os.environ.items() if k != "HF_HUB_CACHE"}
    ok = subprocess.run([sys.executable, "-m", "symparams", "verify", "--checkpoint", "acme/tiny-llama", "--json"],
                        capture_output=True, text=True, env={**env_clean, **env}, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    result = json.loads(ok.stdout)
    assert result["match"] and result["total"]["stored"] == from_dict(SMALL_LLAMA).total
    assert "(cached)" in result["checkpoint"]["source"]
    counted = subprocess.run([sys.executable, "-m", "symparams", "count", "acme/tiny-llama", "--checkpoint", "--json"],
                             capture_output=True, text=True, env={**env_clean, **env}, timeout=120)
    data = json.loads(counted.stdout)
    assert data["checkpoint"]["params"] == data["total"] == from_dict(SMALL_LLAMA).total
    absent = run("verify", "--checkpoint", "acme/absent", env={"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"})
    assert absent.returncode == 2 and "acme/absent" in absent.stderr and len(absent.stderr.strip().splitlines()) == 1


def test_a_hub_id_checkpoint_online_reads_only_the_headers(tmp_path, monkeypatch):
    """Online and not cached: get_safetensors_metadata's headers (faked here from a real file, no network) are checked."""
    huggingface_hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed")
    from huggingface_hub.utils import SafetensorsFileMetadata, SafetensorsRepoMetadata, TensorInfo

    from symparams.catalog import checkpoint_of

    _save(SMALL_LLAMA, tmp_path)
    local = read_checkpoint(tmp_path)
    ends = dict(zip((t.name for t in local.tensors), accumulate(t.nbytes for t in local.tensors)))
    tensors = {t.name: TensorInfo(dtype=t.dtype, shape=list(t.shape), data_offsets=(ends[t.name] - t.nbytes, ends[t.name]))
               for t in local.tensors}
    meta = SafetensorsRepoMetadata(metadata=None, sharded=False, weight_map={n: "model.safetensors" for n in tensors},
                                   files_metadata={"model.safetensors": SafetensorsFileMetadata(metadata={},
                                                                                                tensors=tensors)})
    asked = []
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_safetensors_metadata", lambda repo, revision=None: asked.append(repo) or meta)
    monkeypatch.setattr(huggingface_hub.HfApi, "get_paths_info", lambda *a, **k: [])
    ckpt = checkpoint_of("acme/remote@main")
    assert asked == ["acme/remote"] and ckpt.total == local.total and "Hub headers" in ckpt.source
    first = local.tensors[0]
    tensors[first.name] = TensorInfo(dtype=first.dtype, shape=list(first.shape), data_offsets=(0, first.nbytes))
    tensors["model.twin.weight"] = TensorInfo(dtype=first.dtype, shape=list(first.shape), data_offsets=(0, first.nbytes))
    with pytest.raises(SymparamsError, match="'model.twin.weight': its bytes .* overlap"):
        checkpoint_of("acme/remote")  # two tensors in one range of bytes, as a local header may not have them
    tensors["model.embed_tokens.weight"] = TensorInfo(dtype="F32", shape=[-1, 4], data_offsets=(0, 0))
    with pytest.raises(SymparamsError, match="shape"):
        checkpoint_of("acme/remote")


def _gguf_llama(path: Path, config: dict, tied: bool) -> None:
    """A GGUF file of a Llama model's tensors, named and shaped as llama.cpp writes them, via gguf's writer."""
    gguf = pytest.importorskip("gguf", reason="gguf is not installed (pip install gguf)")
    np = pytest.importorskip("numpy")
    d, f, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    kv = d // config["num_attention_heads"] * config["num_key_value_heads"]
    writer = gguf.GGUFWriter(str(path), "llama")
    shapes = {"token_embd.weight": (v, d), "output_norm.weight": (d,)}
    if not tied:
        shapes["output.weight"] = (v, d)
    for i in range(config["num_hidden_layers"]):
        shapes.update({f"blk.{i}.attn_q.weight": (d, d), f"blk.{i}.attn_k.weight": (kv, d),
                       f"blk.{i}.attn_v.weight": (kv, d), f"blk.{i}.attn_output.weight": (d, d),
                       f"blk.{i}.ffn_gate.weight": (f, d), f"blk.{i}.ffn_up.weight": (f, d),
                       f"blk.{i}.ffn_down.weight": (d, f), f"blk.{i}.attn_norm.weight": (d,),
                       f"blk.{i}.ffn_norm.weight": (d,)})
    for name, shape in shapes.items():
        writer.add_tensor(name, np.zeros(shape, dtype=np.float16 if len(shape) == 2 else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.mark.parametrize("tied", [False, True])
def test_verify_checkpoint_on_a_gguf_file_sorts_llama_cpp_names_into_groups(tmp_path, tied):
    """A .gguf with config.json beside it: every group matches, with each tensor's dtype and the file's bytes."""
    config = {**SMALL_LLAMA, "tie_word_embeddings": tied}
    (tmp_path / "config.json").write_text(json.dumps(config))
    _gguf_llama(tmp_path / "model.gguf", config, tied)
    out = run("verify", "--checkpoint", str(tmp_path / "model.gguf"), "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["match"] and data["total"]["stored"] == from_dict(config).total
    assert {g["group"] for g in data["groups"]} >= {"embedding", "attention", "mlp", "norm"}
    tensors = {t["name"]: t for t in data["checkpoint"]["by_tensor"]}
    assert tensors["token_embd.weight"]["dtype"] == "F16" and tensors["output_norm.weight"]["dtype"] == "F32"
    assert data["checkpoint"]["file_bytes"] == (tmp_path / "model.gguf").stat().st_size


def test_a_routers_saved_score_bias_is_set_apart_not_counted_as_a_parameter(tmp_path, capsys):
    """DeepSeek-V3 saves each router's e_score_correction_bias (a buffer) beside its weights: the checkpoint's
    parameters still equal the symbolic count, and the buffers are named apart, by verify and by count."""
    from symparams.cli import main

    config = {"model_type": "deepseek_v3", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
              "moe_intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
              "n_routed_experts": 4, "num_experts_per_tok": 2, "n_group": 1, "topk_group": 1, "n_shared_experts": 1,
              "first_k_dense_replace": 1, "q_lora_rank": 16, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
              "qk_rope_head_dim": 8, "v_head_dim": 8}
    _save(config, tmp_path)
    spec = model(str(tmp_path))
    ckpt = read_checkpoint(tmp_path)
    result = check_checkpoint(spec, FAMILIES.of(spec).group, ckpt)
    assert result.ok and result.buffers == ("model.layers.1.mlp.gate.e_score_correction_bias",)
    assert ckpt.total == spec.total + 4
    assert main(["count", str(tmp_path), "--checkpoint"]) == 0
    out = capsys.readouterr().out
    assert f"{spec.total:,} stored parameters (besides 4 elements of 1 saved buffer, not parameters)" in out and "equal to" in out
