"""Checkpoint headers: tensor names, shapes and dtypes, read without loading a single weight.

A ``.safetensors`` file starts with an 8-byte little-endian length and a JSON header
that lists every tensor's dtype, shape and byte range; a sharded checkpoint adds
``model.safetensors.index.json`` naming the shard of each tensor. A GGUF file lists its
tensors after a small binary header (read with the ``gguf`` package's reader, which
maps the file and touches only the header). So a 100 GB checkpoint is read in the time
of its headers.

Headers come from strangers: every length, offset and shape is checked before it is
used, and each problem is one :class:`~symparams.errors.SymparamsError` naming the file.
The tensors must lie in the file as the format's own reader wants them (safetensors:
back to back by offset, to the file's last byte; GGUF: back to back in header order,
each padded to the alignment, inside the file), so no byte is counted twice.
"""

from __future__ import annotations

import json
import os
import stat
import struct
from dataclasses import dataclass
from math import prod
from typing import Any, Iterable

from .checkpoint_files import INDEX_NAME, SUFFIXES, is_checkpoint
from .config import printable
from .errors import SymparamsError, install_hint

__all__ = ["Tensor", "Checkpoint", "read_safetensors", "read_index", "read_gguf", "read_checkpoint", "is_checkpoint",
           "stored_bytes", "gguf_group"]

MAX_HEADER = 100 * 1024 * 1024
MAX_DIM = 2**40
MAX_RANK = 8
MAX_TENSORS = 1_000_000
# llama.cpp's limits on a GGUF tensor (GGML_MAX_DIMS, GGML_MAX_NAME counting its closing NUL): its reader refuses past them.
GGUF_MAX_DIMS = 4
GGUF_MAX_NAME = 63
# Bits per value of each safetensors dtype (F4 and F6 pack values across bytes; a tensor fills whole bytes).
SAFETENSORS_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64, "C64": 64,
}


@dataclass(frozen=True)
class Tensor:
    """One stored tensor: its name, dtype, shape and the bytes it takes."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int

    @property
    def numel(self) -> int:
        return prod(self.shape)


@dataclass(frozen=True)
class Checkpoint:
    """The tensors a checkpoint stores, and where they came from."""

    source: str
    format: str
    tensors: tuple[Tensor, ...]
    file_bytes: int

    @property
    def total(self) -> int:
        """Elements stored, every tensor once (a tied head stored twice counts twice here)."""
        return sum(t.numel for t in self.tensors)

    def bytes_by_dtype(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tensors:
            out[t.dtype] = out.get(t.dtype, 0) + t.nbytes
        return dict(sorted(out.items()))

    def params_by_dtype(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tensors:
            out[t.dtype] = out.get(t.dtype, 0) + t.numel
        return dict(sorted(out.items()))

    def to_json(self) -> dict:
        return {
            "source": self.source, "format": self.format, "tensors": len(self.tensors), "params": self.total,
            "file_bytes": self.file_bytes, "params_by_dtype": self.params_by_dtype(),
            "bytes_by_dtype": self.bytes_by_dtype(),
            "by_tensor": [{"name": t.name, "dtype": t.dtype, "shape": list(t.shape), "bytes": t.nbytes} for t in self.tensors],
        }


def _fail(source: str, message: str) -> SymparamsError:
    return SymparamsError(f"{source}: {message}")


def _regular(path: str, source: str) -> int:
    try:
        info = os.stat(path)
    except OSError as err:
        raise _fail(source, f"cannot read ({err.strerror or err})") from None
    except (TypeError, ValueError) as err:
        raise _fail(source, f"not a usable file name ({err})") from None
    if not stat.S_ISREG(info.st_mode):
        raise _fail(source, "is not a regular file")
    return info.st_size


def _unique_object(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"tensor {printable(key)!r} appears more than once")
        out[key] = value
    return out


def _shape(value: Any, name: str, source: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > MAX_RANK:
        raise _fail(source, f"tensor {printable(name)!r}: shape must be a list of at most {MAX_RANK} sizes")
    for d in value:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0 or d > MAX_DIM:
            raise _fail(source, f"tensor {printable(name)!r}: shape {printable(str(value))[:60]} is not a list of sizes "
                                f"from 0 to 2^40")
    return tuple(value)


def read_safetensors(path: str | os.PathLike) -> Checkpoint:
    """The tensors of one ``.safetensors`` file, from its header alone."""
    path = os.fspath(path)
    source = printable(path)
    size = _regular(path, source)
    if size < 8:
        raise _fail(source, f"is {size} bytes, too short for a safetensors header")
    with open(path, "rb") as fh:
        (length,) = struct.unpack("<Q", fh.read(8))
        if length > size - 8:
            raise _fail(source, f"header length {length:,} runs past the end of the file ({size:,} bytes)")
        if length > MAX_HEADER:
            raise _fail(source, f"header length {length:,} is over {MAX_HEADER:,} bytes")
        raw = fh.read(length)
    if len(raw) != length:
        raise _fail(source, "header is truncated")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_object)
    except UnicodeDecodeError:
        raise _fail(source, "header is not UTF-8 text") from None
    except ValueError as err:
        raise _fail(source, f"header is not valid JSON: {err}") from None
    if not isinstance(header, dict):
        raise _fail(source, "header is not a JSON object")
    if len(header) > MAX_TENSORS:
        raise _fail(source, f"header lists over {MAX_TENSORS:,} tensors")
    tensors = []
    spans = []
    data_bytes = size - 8 - length
    for name, entry in header.items():
        if name == "__metadata__":
            _metadata(entry, source)
            continue
        _utf8(name, source)
        if not isinstance(entry, dict):
            raise _fail(source, f"tensor {printable(name)!r}: entry is not an object")
        dtype = entry.get("dtype")
        shape = _shape(entry.get("shape"), name, source)
        nbytes = stored_bytes(dtype, shape, name, source)
        offsets = entry.get("data_offsets")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or any(isinstance(o, bool) or not isinstance(o, int) for o in offsets)):
            raise _fail(source, f"tensor {printable(name)!r}: data_offsets must be two whole numbers")
        begin, end = offsets
        if not 0 <= begin <= end or end - begin != nbytes:
            raise _fail(source, f"tensor {printable(name)!r}: its bytes {begin:,}..{end:,} do not hold shape "
                                f"{list(shape)} of {dtype}")
        if end > data_bytes:
            raise _fail(source, f"tensor {printable(name)!r}: its bytes {begin:,}..{end:,} run past the file's "
                                f"{data_bytes:,} data bytes")
        spans.append((begin, end, name))
        tensors.append(Tensor(name, str(dtype), shape, nbytes))
    back_to_back(spans, data_bytes, source)
    return Checkpoint(source, "safetensors", tuple(tensors), size)


def back_to_back(spans: list[tuple[int, int, str]], data_bytes: int | None, source: str) -> None:
    """Refuse byte ranges ``(begin, end, name)`` that do not tile the data buffer, as safetensors refuses them.

    safetensors' own reader sorts the tensors by offset and wants each to start where the
    one before it ended and the last to end at the end of the file. Tensors that share
    bytes would be counted twice from one copy of the weights, and bytes no tensor holds
    mean the header does not describe the file; either way the count would not be the
    checkpoint's. ``data_bytes`` is None where the file's length is not known (the Hub's
    parsed headers), and then only the order is checked.
    """
    at = 0
    for begin, end, name in sorted(spans, key=lambda span: span[:2]):
        if begin < at:
            raise _fail(source, f"tensor {printable(name)!r}: its bytes {begin:,}..{end:,} overlap another tensor's, "
                                f"which run to {at:,}; safetensors refuses tensors that share bytes")
        if begin > at:
            raise _fail(source, f"tensor {printable(name)!r}: its bytes {begin:,}..{end:,} leave bytes {at:,}..{begin:,} "
                                "before it in no tensor; safetensors refuses a gap")
        at = end
    if data_bytes is not None and at != data_bytes:
        raise _fail(source, f"its tensors end at byte {at:,} of {data_bytes:,} data bytes; safetensors refuses bytes "
                            "past the last tensor")


def _metadata(value: Any, source: str) -> None:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _fail(source, "__metadata__ is not an object of strings, as safetensors requires")


def _utf8(name: str, source: str) -> None:
    """A name JSON can spell but UTF-8 cannot (a lone surrogate, \\ud800) is refused, as safetensors refuses it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(source, f"tensor {printable(name)!r}: name is not UTF-8 text") from None


def stored_bytes(dtype: Any, shape: tuple[int, ...], name: str, source: str) -> int:
    """The bytes a safetensors tensor of ``dtype`` and ``shape`` takes; an unknown dtype, or values of 4 or 6 bits
    that do not fill whole bytes (safetensors refuses them), is refused."""
    if not isinstance(dtype, str) or dtype not in SAFETENSORS_BITS:
        raise _fail(source, f"tensor {printable(name)!r}: unknown dtype {printable(str(dtype))[:20]!r}")
    bits = prod(shape) * SAFETENSORS_BITS[dtype]
    if bits % 8:
        raise _fail(source, f"tensor {printable(name)!r}: {prod(shape):,} values of {dtype} do not fill whole bytes")
    return bits // 8


def read_index(path: str | os.PathLike) -> Checkpoint:
    """A sharded checkpoint: the index's weight map, each shard's header, nothing more."""
    from .config import read_json

    path = os.fspath(path)
    source = printable(path)
    index = read_json(path)
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise _fail(source, "has no weight_map of tensor names to shard files")
    folder = os.path.dirname(os.path.abspath(path))
    shards = sorted(set(weight_map.values()))
    tensors: list[Tensor] = []
    file_bytes = 0
    seen: set[str] = set()
    for shard in shards:
        if os.path.basename(shard) != shard or shard in ("", ".", ".."):
            raise _fail(source, f"shard {printable(shard)!r} is not a file name in the checkpoint's folder")
        shard_path = os.path.join(folder, shard)
        if not os.path.exists(shard_path):
            raise _fail(source, f"names shard {printable(shard)!r}, which is missing")
        part = read_safetensors(shard_path)
        file_bytes += part.file_bytes
        for t in part.tensors:
            if t.name in seen:
                raise _fail(source, f"tensor {printable(t.name)!r} is stored in more than one shard")
            seen.add(t.name)
            tensors.append(t)
    missing = sorted(set(weight_map) - seen)
    if missing:
        raise _fail(source, f"{len(missing)} tensor(s) of the weight map are in no shard, e.g. {printable(missing[0])!r}")
    return Checkpoint(source, "safetensors (sharded)", tuple(tensors), file_bytes)


def read_gguf(path: str | os.PathLike) -> Checkpoint:
    """The tensors of a ``.gguf`` file, from its header (through the ``gguf`` package's reader)."""
    path = os.fspath(path)
    source = printable(path)
    size = _regular(path, source)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if len(head) < 8 or head[:4] != b"GGUF":
        raise _fail(source, "is not a GGUF file (no GGUF magic)")
    (version,) = struct.unpack("<I", head[4:8])
    if version not in (2, 3):
        raise _fail(source, f"GGUF version {version} is not one this reader knows (2 or 3)")
    try:
        import gguf
    except ImportError:
        raise _fail(source, f"reading GGUF needs the gguf package: {install_hint('checkpoint', 'gguf')}") from None
    try:
        reader = gguf.GGUFReader(path, "r")
    except Exception as err:  # the reader raises many kinds on a damaged file
        raise _fail(source, f"not a readable GGUF file ({type(err).__name__}: {printable(str(err))[:80]})") from None
    tensors = []
    names: set[str] = set()
    at = 0
    for t in reader.tensors:
        if t.name in names:
            raise _fail(source, f"tensor {printable(t.name)!r} appears more than once")
        names.add(t.name)
        dims = [int(d) for d in t.shape]
        nbytes = _gguf_bytes(t.name, t.tensor_type, dims, gguf.GGML_QUANT_SIZES, source)
        offset = int(t.data_offset) - int(reader.data_offset)
        if offset != at:
            raise _fail(source, f"tensor {printable(t.name)!r}: its data starts at byte {offset:,} of the data section, "
                                f"not at {at:,}; llama.cpp reads tensors back to back in header order, each padded to "
                                f"{int(reader.alignment)} bytes")
        if int(t.data_offset) + nbytes > size:
            raise _fail(source, f"tensor {printable(t.name)!r}: its {nbytes:,} bytes run past the end of the file "
                                f"({size:,} bytes)")
        at += nbytes + -nbytes % int(reader.alignment)
        tensors.append(Tensor(t.name, t.tensor_type.name, tuple(reversed(dims)), nbytes))
    return Checkpoint(source, f"gguf v{version}", tuple(tensors), size)


def _gguf_bytes(name: str, kind: Any, dims: list[int], sizes: dict, source: str) -> int:
    """The bytes a GGUF tensor takes, once its header entry passes llama.cpp's checks.

    The ``gguf`` package reads what llama.cpp refuses: more than four dimensions, a name
    past 63 bytes, rows that do not fill whole quantisation blocks (their bytes rounded
    down), element counts past 2^63 (multiplied in 64 bits, so they wrap). Each is a file
    llama.cpp will not load, and a count read from it would be no checkpoint's.
    """
    if len(name.encode("utf-8")) > GGUF_MAX_NAME:
        raise _fail(source, f"tensor {printable(name)!r}: name is over {GGUF_MAX_NAME} bytes, llama.cpp's limit")
    if len(dims) > GGUF_MAX_DIMS:
        raise _fail(source, f"tensor {printable(name)!r}: {len(dims)} dimensions, over llama.cpp's {GGUF_MAX_DIMS}")
    numel = prod(dims)
    if any(d >= 2**63 for d in dims) or numel >= 2**63:
        raise _fail(source, f"tensor {printable(name)!r}: shape {dims[::-1]} holds 2^63 elements or more")
    if kind not in sizes:
        raise _fail(source, f"tensor {printable(name)!r}: type {printable(str(kind))[:30]} has no known size")
    block, type_bytes = sizes[kind]
    row = dims[0] if dims else 1
    if row % block:
        raise _fail(source, f"tensor {printable(name)!r}: rows of {row:,} values do not fill whole blocks of {block} "
                            f"for type {kind.name}")
    return numel // block * type_bytes


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """A checkpoint file or folder: a .safetensors or .gguf file, a sharded index, or a folder holding one."""
    path = os.fspath(path)
    if os.path.isdir(path):
        for name in (INDEX_NAME, "model.safetensors"):
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return read_checkpoint(candidate)
        found = sorted(f for f in os.listdir(path) if f.endswith(SUFFIXES))
        if len(found) == 1:
            return read_checkpoint(os.path.join(path, found[0]))
        raise _fail(printable(path), "holds no model.safetensors, index or single .gguf file")
    if path.endswith(".gguf"):
        return read_gguf(path)
    if path.endswith(".json"):
        return read_index(path)
    return read_safetensors(path)


def gguf_group(name: str) -> str:
    """The tree group of a tensor named as llama.cpp's GGUF files name them (token_embd, blk.N.attn_q, output).

    GGUF renames transformers' tensors, one scheme for every architecture, so its
    groups are read from the name's parts, not from a family's table.
    """
    parts = name.split(".")
    stem = parts[2] if parts[0] == "blk" and len(parts) > 2 else parts[0]
    if stem in ("token_embd", "position_embd", "token_types"):
        return "embedding"
    if stem == "output":
        return "head"
    if stem.endswith("_norm") or stem.startswith("norm"):
        return "norm"
    if stem.startswith("attn_"):
        return "attention"
    if stem.startswith("ffn_"):
        return "mlp"
    return "other"


def group_counts(tensors: Iterable[Tensor], group) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tensors:
        g = group(t.name)
        out[g] = out.get(g, 0) + t.numel
    return out


@dataclass(frozen=True)
class GroupCount:
    """One group's parameters: by the symbolic tree and by the checkpoint's tensors."""

    group: str
    symbolic: int
    stored: int

    @property
    def match(self) -> bool:
        return self.symbolic == self.stored


@dataclass(frozen=True)
class CheckpointCheck:
    """A model's tree against a checkpoint's tensors: per group, the total, and what does not fit."""

    model: str
    checkpoint: Checkpoint
    groups: tuple[GroupCount, ...]
    total: GroupCount
    extra: tuple[str, ...]
    buffers: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.total.match and all(g.match for g in self.groups) and not self.extra

    def to_json(self) -> dict:
        return {
            "model": self.model, "checkpoint": self.checkpoint.to_json(), "match": self.ok,
            "groups": [{"group": g.group, "symbolic": g.symbolic, "stored": g.stored, "match": g.match}
                       for g in self.groups],
            "total": {"symbolic": self.total.symbolic, "stored": self.total.stored, "match": self.total.match},
            "extra": list(self.extra),
            "buffers": list(self.buffers),
        }


# Tensors transformers registers as persistent buffers, so save_pretrained stores them beside the
# weights although no optimizer updates them: a router's score correction bias (DeepSeek-V3, GLM-4.5,
# Nemotron-H, MiniMax-M2, ...) and xIELU's beta and eps (Apertus). Matched by the end of the name.
SAVED_BUFFERS = ("e_score_correction_bias", "act_fn.beta", "act_fn.eps")


def _saved_buffer(name: str, leaves: set[str]) -> bool:
    """Whether a stored tensor is one of the known buffers, and the tree has no parameter of its name."""
    return name.endswith(SAVED_BUFFERS) and name.rsplit(".", 1)[-1] not in leaves


def saved_buffers(spec, checkpoint: Checkpoint) -> tuple[Tensor, ...]:
    """The checkpoint's tensors that are known buffers, not parameters of ``spec``'s tree."""
    leaves = {r.name for r in spec.breakdown().rows if r.is_leaf}
    return tuple(t for t in checkpoint.tensors if _saved_buffer(t.name, leaves))


def check_checkpoint(spec, group, checkpoint: Checkpoint) -> CheckpointCheck:
    """Every tensor of ``checkpoint`` sorted into the tree's groups by ``group(name)``, then compared.

    Tensors no group claims, and a head stored although the tree ties it to the
    embedding (a tied matrix saved twice), are listed as extra. Known buffers saved
    beside the weights (:data:`SAVED_BUFFERS`) are listed apart and counted in neither
    side's total, unless the tree holds a parameter of that name (ERNIE 4.5's is one).
    """
    from .components import GROUPS

    bd = spec.breakdown()
    leaves = {r.name for r in bd.rows if r.is_leaf}
    buffers = tuple(t for t in checkpoint.tensors if _saved_buffer(t.name, leaves))
    weights = tuple(t for t in checkpoint.tensors if not _saved_buffer(t.name, leaves))
    ours = bd.groups()
    stored = group_counts(weights, group)
    extra = [t.name for t in weights if group(t.name) == "other" and not ours.get("other")]
    if ours.get("head", 0) == 0 and stored.get("head", 0):
        extra += [f"{t.name} (a tied head stored again)" for t in weights if group(t.name) == "head"]
    names = [g for g in GROUPS if ours.get(g, 0) or stored.get(g, 0)]
    groups = tuple(GroupCount(g, ours.get(g, 0), stored.get(g, 0)) for g in names)
    return CheckpointCheck(spec.name, checkpoint, groups,
                           GroupCount("total", spec.total, sum(t.numel for t in weights)),
                           tuple(printable(e) for e in extra), tuple(printable(t.name) for t in buffers))
