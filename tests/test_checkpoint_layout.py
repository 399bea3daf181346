"""Where a checkpoint's bytes lie: a header whose tensors share bytes, leave bytes over, or run past the file is
refused, as the format's own readers refuse it, and an unreachable Hub is one line, soon.

A count read from such a header is no checkpoint's: two tensors in one range of bytes count
one copy of the weights twice. safetensors wants its tensors back to back, in order of
offset, from the first data byte to the last; llama.cpp wants a GGUF file's back to back in
header order, each padded to the file's alignment. The safetensors library, where installed,
is the oracle for its format; GGUF files are written byte by byte here, as llama.cpp's
reader (ggml/src/gguf.cpp) lays them out.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import time
from itertools import accumulate
from math import prod
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.checkpoint import read_checkpoint, read_gguf, read_safetensors
from symparams.cli import main
from symparams.errors import SymparamsError

# Whole-byte dtypes every safetensors release knows, with their bytes per value.
DTYPES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
          "I64": 8, "U64": 8, "F64": 8}


def count_line(path: Path) -> tuple[int, str]:
    """``symparams count PATH --checkpoint`` in this process: (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["count", str(path), "--checkpoint"])
    return code, err.getvalue()


def safetensors_file(path: Path, spans: list[tuple[str, str, list[int], int, int]], data_bytes: int) -> Path:
    header = json.dumps({name: {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}
                         for name, dtype, shape, begin, end in spans}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * data_bytes)
    return path


@st.composite
def layouts(draw):
    """(tensors as (name, dtype, shape, begin, end), data bytes, whether they tile the data exactly).

    Tensors are laid back to back, then one of them is moved, or the data made longer or shorter:
    sharing bytes, leaving a gap, bytes past the last tensor, a tensor past the end of the file.
    """
    tensors = draw(st.lists(st.tuples(st.sampled_from(sorted(DTYPES)), st.lists(st.integers(0, 4), max_size=3)),
                            max_size=5))
    sizes = [DTYPES[dtype] * prod(shape) for dtype, shape in tensors]
    ends = list(accumulate(sizes))
    spans = [[f"t{i}", dtype, shape, end - size, end] for i, ((dtype, shape), size, end) in
             enumerate(zip(tensors, sizes, ends))]
    data_bytes = ends[-1] if ends else 0
    change = draw(st.sampled_from(["none", "move", "data"]))
    if change == "move" and spans:
        span = spans[draw(st.integers(0, len(spans) - 1))]
        shift = draw(st.integers(-span[3], 8).filter(bool))
        span[3] += shift
        span[4] += shift
    elif change == "data":
        data_bytes = max(0, data_bytes + draw(st.integers(-8, 8).filter(bool)))
    at, tiled = 0, True
    for _, _, _, begin, end in sorted(spans, key=lambda s: (s[3], s[4])):
        tiled, at = tiled and begin == at, end
    return [tuple(s) for s in spans], data_bytes, tiled and at == data_bytes


@settings(max_examples=300, deadline=None)
@given(layout=layouts())
def test_any_safetensors_header_whose_tensors_overlap_leave_a_gap_or_run_past_the_file_is_refused_in_one_line(layout):
    """A safetensors file is read exactly when its tensors, in order of offset, lie back to back from the first data
    byte to the last; any other is refused in one line, and where the safetensors library is installed it agrees."""
    spans, data_bytes, tiled = layout
    with tempfile.TemporaryDirectory() as folder:
        path = safetensors_file(Path(folder) / "model.safetensors", list(spans), data_bytes)
        if tiled:
            assert read_safetensors(path).total == sum(prod(shape) for _, _, shape, _, _ in spans)
        else:
            with pytest.raises(SymparamsError):
                read_safetensors(path)
            code, err = count_line(path)
            assert code == 2 and len(err.strip().splitlines()) == 1, err
        try:
            from safetensors import safe_open
        except ImportError:
            return
        try:
            with safe_open(str(path), framework="numpy") as fh:
                their = {name: list(fh.get_slice(name).get_shape()) for name in fh.keys()}
        except Exception:  # noqa: BLE001 - the library refuses with its own error
            their = None
        assert (their is not None) == tiled, (spans, data_bytes)


def test_two_tensors_in_one_range_of_bytes_are_refused_naming_one_as_safetensors_refuses_them(tmp_path):
    """Two F32[1000] tensors both at bytes 0..4000 of a 4,000-byte buffer: once 8,000 bytes were counted from it.
    symparams names the later in the header; safetensors either (it keeps the tensors in a hash map)."""
    path = safetensors_file(tmp_path / "overlap.safetensors", [("a", "F32", [1000], 0, 4000),
                                                               ("b", "F32", [1000], 0, 4000)], 4000)
    with pytest.raises(SymparamsError, match=r"tensor 'b': its bytes 0\.\.4,000 overlap"):
        read_safetensors(path)
    safetensors = pytest.importorskip("safetensors", reason="safetensors is not installed (pip install safetensors)")
    with pytest.raises(safetensors.SafetensorError, match="invalid offset for tensor `[ab]`"):
        safetensors.safe_open(str(path), framework="numpy")


@pytest.mark.parametrize("spans, data_bytes, message", [
    ([("a", "F32", [2], 0, 8)], 12, "end at byte 8 of 12 data bytes"),
    ([("a", "F32", [2], 4, 12)], 12, "'a': its bytes 4..12 leave bytes 0..4"),
    ([("a", "F32", [2], 0, 8), ("z", "F32", [0], 4, 4)], 8, "'z': its bytes 4..4 overlap"),
    ([("a", "F32", [2], 0, 8)], 4, "'a': its bytes 0..8 run past the file's 4 data bytes"),
])
def test_a_gap_bytes_left_over_or_a_tensor_past_the_end_is_named(tmp_path, spans, data_bytes, message):
    """An empty tensor inside another's bytes is refused too: safetensors wants every one at the running offset."""
    path = safetensors_file(tmp_path / "model.safetensors", spans, data_bytes)
    with pytest.raises(SymparamsError, match=message):
        read_safetensors(path)


def test_metadata_and_names_safetensors_cannot_read_are_refused(tmp_path):
    """__metadata__ is an object of strings, and a tensor's name is UTF-8 text (JSON's \\ud800 is not)."""
    for header, message in [(b'{"__metadata__": {"format": 1}}', "__metadata__"),
                            (b'{"\\ud800": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', "not UTF-8")]:
        path = tmp_path / "model.safetensors"
        path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
        with pytest.raises(SymparamsError, match=message):
            read_safetensors(path)


def test_a_sharded_checkpoint_with_an_overlapping_shard_is_refused(tmp_path):
    """Each shard an index names is held to the same rule, so a sharded count never counts shared bytes."""
    safetensors_file(tmp_path / "model-00001-of-00002.safetensors", [("a", "F32", [1], 0, 4)], 4)
    safetensors_file(tmp_path / "model-00002-of-00002.safetensors", [("b", "F32", [1], 0, 4),
                                                                      ("c", "F32", [1], 0, 4)], 4)
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors",
        "c": "model-00002-of-00002.safetensors"}}))
    with pytest.raises(SymparamsError, match="model-00002-of-00002.safetensors: tensor 'c'.* overlap"):
        read_checkpoint(tmp_path)
    code, err = count_line(tmp_path / "model.safetensors.index.json")
    assert code == 2 and len(err.strip().splitlines()) == 1, err


# ---- GGUF ------------------------------------------------------------------------------------

# ggml types by number: (values per block, bytes per block).
GGML = {0: (1, 4), 1: (1, 2), 8: (32, 34)}


def gguf_bytes(tensors: list[tuple[str, int, list[int], int]], alignment: int | None, data_bytes: int) -> bytes:
    """A GGUF v3 file: tensors as (name, ggml type, dims innermost first, offset in the data section)."""
    def text(s: str) -> bytes:
        return struct.pack("<Q", len(s.encode())) + s.encode()

    kv = b"" if alignment is None else text("general.alignment") + struct.pack("<II", 4, alignment)
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 0 if alignment is None else 1) + kv
    for name, kind, dims, offset in tensors:
        out += text(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        out += struct.pack("<IQ", kind, offset)
    out += b"\0" * (-len(out) % (alignment or 32))
    return out + b"\0" * data_bytes


def gguf_nbytes(kind: int, dims: list[int]) -> int:
    block, size = GGML[kind]
    return prod(dims) // block * size


@st.composite
def gguf_layouts(draw):
    """(tensors, alignment, data bytes, whether llama.cpp reads them): back to back at the alignment, then perhaps
    one offset moved, or the data cut short."""
    alignment = draw(st.sampled_from([None, 1, 8, 32, 64]))
    pad = alignment or 32
    tensors, at = [], 0
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(sorted(GGML)))
        dims = [GGML[kind][0] * draw(st.integers(0, 3)), *draw(st.lists(st.integers(0, 3), max_size=2))]
        tensors.append([f"blk.{i}.w", kind, dims, at])
        at += gguf_nbytes(kind, dims) + -gguf_nbytes(kind, dims) % pad
    ends = [t[3] + gguf_nbytes(t[1], t[2]) for t in tensors]
    data_bytes = max(ends, default=0)
    change = draw(st.sampled_from(["none", "move", "short"]))
    fits = True
    if change == "move" and tensors:
        tensor = tensors[draw(st.integers(0, len(tensors) - 1))]
        tensor[3] = max(0, tensor[3] + draw(st.integers(-64, 64).filter(bool)))
        fits = all(t[3] == start for t, start in zip(tensors, accumulate(
            [0] + [gguf_nbytes(t[1], t[2]) + -gguf_nbytes(t[1], t[2]) % pad for t in tensors])))
        data_bytes = max([t[3] + gguf_nbytes(t[1], t[2]) for t in tensors], default=0)
    elif change == "short" and data_bytes:
        data_bytes -= draw(st.integers(1, data_bytes))
        fits = False
    return [tuple(t) for t in tensors], alignment, data_bytes, fits


@settings(max_examples=300, deadline=None)
@given(layout=gguf_layouts())
def test_any_gguf_whose_tensors_are_not_back_to_back_at_its_alignment_or_run_past_the_file_is_refused(layout):
    """A GGUF file is read exactly when each tensor starts where llama.cpp's reader expects it (right after the one
    before, padded to the file's alignment) and ends inside the file; any other is refused in one line."""
    pytest.importorskip("gguf", reason="gguf is not installed (pip install gguf)")
    tensors, alignment, data_bytes, fits = layout
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.gguf"
        path.write_bytes(gguf_bytes(list(tensors), alignment, data_bytes))
        if fits:
            ckpt = read_gguf(path)
            assert ckpt.total == sum(prod(dims) for _, _, dims, _ in tensors)
            assert sum(t.nbytes for t in ckpt.tensors) == sum(gguf_nbytes(k, d) for _, k, d, _ in tensors)
        else:
            with pytest.raises(SymparamsError):
                read_gguf(path)
            code, err = count_line(path)
            assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_two_gguf_tensors_at_one_offset_are_refused_naming_the_second(tmp_path):
    """Two F32[4] tensors both at offset 0: once 32 bytes were counted from a data section of 16."""
    pytest.importorskip("gguf", reason="gguf is not installed (pip install gguf)")
    path = tmp_path / "overlap.gguf"
    path.write_bytes(gguf_bytes([("a", 0, [4], 0), ("b", 0, [4], 0)], None, 16))
    with pytest.raises(SymparamsError, match="tensor 'b': its data starts at byte 0 of the data section, not at 32"):
        read_gguf(path)


@pytest.mark.parametrize("tensor, message", [
    (("q", 8, [33], 0), "33"),  # the gguf package refuses it too, in its own words
    (("w", 0, [1, 1, 1, 1, 1], 0), "5 dimensions, over llama.cpp's 4"),
    (("n" * 64, 0, [1], 0), "name is over 63 bytes"),
    (("big", 0, [2**32, 2**32], 0), "bad.gguf: "),
])
def test_gguf_tensors_llama_cpp_refuses_are_refused(tmp_path, tensor, message):
    """What llama.cpp's reader refuses from the header alone: rows not filling whole quantisation blocks, more than
    four dimensions, a name of 64 bytes or more, an element count past 2^63."""
    pytest.importorskip("gguf", reason="gguf is not installed (pip install gguf)")
    path = tmp_path / "bad.gguf"
    path.write_bytes(gguf_bytes([tensor], None, 64))
    with pytest.raises(SymparamsError, match=message):
        read_gguf(path)


# ---- the Hub, unreachable ---------------------------------------------------------------------


def test_an_unreachable_hub_is_one_line_and_fails_fast(tmp_path):
    """An id not cached, with the Hub out of reach (nothing listens where HF_ENDPOINT points): one line on stderr,
    no retry notes above it, within seconds, not after huggingface_hub's five retries (some 23 s)."""
    pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed (pip install -e '.[hub]')")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME")}
    env.update(HF_HUB_CACHE=str(tmp_path), HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_ETAG_TIMEOUT="5")
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "symparams", "count", "acme/unreachable"], capture_output=True,
                         text=True, env=env, timeout=120)
    took = time.monotonic() - start
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "acme/unreachable: cannot fetch config.json from the Hub" in out.stderr
    assert took < 15, f"{took:.1f} s"


def test_the_hubs_logging_is_back_as_it_was_after_a_failed_fetch(monkeypatch, capsys):
    """Silenced while huggingface_hub asks the Hub, its log is not left silenced for the rest of the process."""
    huggingface_hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub is not installed")
    from huggingface_hub.errors import LocalEntryNotFoundError

    from symparams.hub import config_path

    def unreachable(*args, **kwargs):
        logging.getLogger("huggingface_hub").warning("Retrying in 1s [Retry 1/5].")
        raise ConnectionError("[Errno -2] Name or service not known")

    def download(*args, local_files_only=False, **kwargs):
        if local_files_only:
            raise LocalEntryNotFoundError("not in the cache")
        return unreachable()

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", unreachable)
    before = logging.root.manager.disable
    with pytest.raises(SymparamsError, match="cannot fetch config.json from the Hub"):
        config_path("acme/unreachable")
    assert logging.root.manager.disable == before
    assert "Retrying" not in capsys.readouterr().err


@pytest.mark.parametrize("name", ["\0", "model\0.safetensors", "model\0.gguf", "model.safetensors.index\0.json"])
def test_a_checkpoint_name_no_file_can_have_is_refused_in_one_line(name, capsys):
    """A NUL in the name (which no file system takes) is a usable-name error, not an internal one."""
    from symparams.cli import main

    with pytest.raises(SymparamsError, match="not a usable file name"):
        read_checkpoint(name)
    assert main(["verify", "nanochat", "--checkpoint", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a usable file name" in err and "internal error" not in err
