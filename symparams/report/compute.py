"""FLOPs per token and memory, read from the same tree by their own modules.

The conventions live in :mod:`symparams.flops` and the byte counts in
:mod:`symparams.memory`; these sections only lay out what those modules compute,
so a derivation and ``symparams flops`` / ``symparams memory`` cannot disagree.
Each section is left out when its module is absent.
"""

from __future__ import annotations

from ..errors import SymparamsError
from .context import Reader
from .document import Block, Code, Heading, Math, Para, Rounded, Table
from .math import Form

__all__ = ["sections", "flops", "memory", "CONTEXT", "MEMORY_SETTINGS"]

# The context length FLOPs are quoted at: nanochat's (and the guide's) sequence length.
CONTEXT = 2048


def _context(r: Reader) -> int:
    if r.spec.family == "nanochat":
        from ..families.nanochat import SEQUENCE_LEN

        return SEQUENCE_LEN
    return CONTEXT


def flops(r: Reader) -> list[Block]:
    try:
        from .. import flops as fl
    except ImportError:
        return []
    seq = _context(r)
    try:
        rows = fl.flops_table(r.spec, seq)
    except SymparamsError:
        return []
    table = tuple((f.convention.name, f.convention.source, Math(Form(f.train_form)), f.train, Rounded(f.train))
                  for f in rows)
    return [
        Heading(2, "FLOPs per token"),
        Para(("Training FLOPs per token (forward and backward, 3 x forward) under each published convention, "
              "each a reading of the same tree; T is the context length. See ", Code("symparams flops"), " for "
              "forward-only figures and the conventions' sources.",)),
        Table("flops", f"Training FLOPs per token at T={seq:,}",
              ("convention", "source", "formula", "per token", "rounded"), table, "lllrr"),
    ]


# Settings of the memory table: label -> arguments of symparams.memory.memory (seq filled in).
MEMORY_SETTINGS: dict[str, dict] = {
    "inference, bf16 weights": {"dtype": "bf16", "training": False},
    "inference, bf16, with KV cache": {"dtype": "bf16", "training": False, "seq": True},
    "training, bf16, AdamW": {"dtype": "bf16", "optimizer": "adamw"},
    "training, mixed precision AdamW": {"dtype": "bf16", "optimizer": "adamw", "master_weights": True},
}


def memory(r: Reader) -> list[Block]:
    try:
        from .. import memory as mem
    except ImportError:
        return []
    seq = _context(r)
    rows = []
    try:
        for label, kwargs in MEMORY_SETTINGS.items():
            args = {**kwargs, "seq": seq} if kwargs.get("seq") else kwargs
            m = mem.memory(r.spec, **args)
            rows.append((label, Math(Form(m.formula)), m.total_bytes, mem.gib(m.total_bytes)))
    except SymparamsError:
        return []
    return [
        Heading(2, "Memory"),
        Para(("Bytes for the weights, and for training their gradients and optimizer state (mixed precision adds "
              "an fp32 master copy and fp32 states); the KV cache holds keys and values for T tokens of B "
              "sequences. Activations are not counted. See ", Code("symparams memory"), " for other settings.",)),
        Table("memory", f"Memory in bytes at T={seq:,}, B=1", ("setting", "formula", "bytes", "GiB"),
              tuple(rows), "llrr"),
    ]


def sections(r: Reader) -> list[Block]:
    return flops(r) + memory(r)
