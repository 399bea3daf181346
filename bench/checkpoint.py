"""A 138 GB checkpoint reads in about the time of its headers (issue 14), measured on sparse files.

Llama-2-70B's tensors in BF16, laid out as its 15 safetensors shards and their index,
are written as sparse files: each holds a real header and a hole where the weights
would be, so the files are 138 GB long but take a few hundred kilobytes of disk.
``read_checkpoint`` on the index (every shard's header checked: lengths, offsets,
shapes, dtypes) is timed against a hand-written baseline that only opens each shard,
reads its 8-byte length and header and parses the JSON. Both give the same count,
checked equal to the symbolic count of the ``llama-2-70b`` preset before timing.
The target allows 10x the bare parse: the checks (every length, offset, shape, dtype and
duplicate name, about 3 us a tensor in Python) are the difference, and the whole read
stays in milliseconds however large the weights behind the headers are.

``python -m bench.checkpoint``
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

from .targets import Result
from .timing import interleaved

__all__ = ["sparse_checkpoint", "llama_tensors", "write_sparse_shards"]

SHARDS = 15


def llama_tensors(config: dict) -> list[tuple[str, list[int]]]:
    """(name, shape) of every tensor of a Llama checkpoint, in transformers' names."""
    d, f, v, n = config["hidden_size"], config["intermediate_size"], config["vocab_size"], config["num_hidden_layers"]
    kv = d // config["num_attention_heads"] * config["num_key_value_heads"]
    out = [("model.embed_tokens.weight", [v, d])]
    for i in range(n):
        p = f"model.layers.{i}."
        out += [(p + "self_attn.q_proj.weight", [d, d]), (p + "self_attn.k_proj.weight", [kv, d]),
                (p + "self_attn.v_proj.weight", [kv, d]), (p + "self_attn.o_proj.weight", [d, d]),
                (p + "mlp.gate_proj.weight", [f, d]), (p + "mlp.up_proj.weight", [f, d]),
                (p + "mlp.down_proj.weight", [d, f]), (p + "input_layernorm.weight", [d]),
                (p + "post_attention_layernorm.weight", [d])]
    return out + [("model.norm.weight", [d]), ("lm_head.weight", [v, d])]


def write_sparse_shards(folder: Path, tensors: list[tuple[str, list[int]]], shards: int = SHARDS) -> int:
    """Write ``tensors`` (BF16) as ``shards`` sparse safetensors files and their index; the total bytes."""
    per = -(-len(tensors) // shards)
    weight_map: dict[str, str] = {}
    total = 0
    for k in range(shards):
        part = tensors[k * per:(k + 1) * per]
        name = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        header: dict = {"__metadata__": {"format": "pt"}}
        offset = 0
        for tname, shape in part:
            nbytes = 2
            for s in shape:
                nbytes *= s
            header[tname] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
            weight_map[tname] = name
        raw = json.dumps(header).encode()
        with open(folder / name, "wb") as fh:
            fh.write(struct.pack("<Q", len(raw)) + raw)
            fh.truncate(8 + len(raw) + offset)  # a hole where the weights would be
        total += 8 + len(raw) + offset
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total},
                                                                     "weight_map": weight_map}))
    return total


def _bare_headers(folder: Path) -> int:
    """The baseline: open each shard, read its header, parse it, add up the elements. No checks."""
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    count = 0
    for shard in sorted(set(index["weight_map"].values())):
        with open(folder / shard, "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(length))
        for name, entry in header.items():
            if name != "__metadata__":
                n = 1
                for s in entry["shape"]:
                    n *= s
                count += n
    return count


def sparse_checkpoint(rounds: int = 15) -> list[Result]:
    """read_checkpoint on a sparse 138 GB Llama-2-70B checkpoint vs reading its headers bare."""
    import symparams
    from symparams.catalog import preset_paths
    from symparams.checkpoint import read_checkpoint
    from symparams.config import read_json

    config = read_json(preset_paths()["llama-2-70b"])  # type: ignore[arg-type]
    expected = symparams.model("llama-2-70b").total
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        size = write_sparse_shards(folder, llama_tensors(config))
        on_disk = sum(os.stat(p).st_blocks * 512 for p in folder.iterdir())
        ckpt = read_checkpoint(folder)
        if not ckpt.total == _bare_headers(folder) == expected:
            raise RuntimeError(f"counts differ: {ckpt.total} {_bare_headers(folder)} {expected}")
        start = time.perf_counter()
        read_checkpoint(folder)
        once = time.perf_counter() - start
        stats = interleaved({"symparams": lambda: read_checkpoint(folder), "bare": lambda: _bare_headers(folder)},
                            rounds, clock=time.perf_counter)
    ours, bare = stats["symparams"].best, stats["bare"].best
    detail = (f"{size / 1e9:,.1f} GB in {SHARDS} shards ({on_disk / 1e3:,.0f} kB on disk), {len(ckpt.tensors):,} "
              f"tensors, {expected:,} parameters: {ours * 1e3:,.1f} ms vs {bare * 1e3:,.1f} ms bare "
              f"(first read {once * 1e3:,.1f} ms)")
    return [Result("138 GB checkpoint (sparse) headers: read_checkpoint vs bare header parse", ours / bare, 10.0, True,
                   detail)]


if __name__ == "__main__":
    results = sparse_checkpoint()
    for r in results:
        print(r.line())
    sys.exit(0 if all(r.ok for r in results) else 1)
