"""A small table of accelerators: dense bf16 FLOP/s, memory bandwidth and memory, each with its source.

Peak figures are the vendors' published dense (not 2:4 sparse) bf16 tensor-core rates:
where a datasheet gives only the sparse figure (marked with an asterisk there), the dense
one is half of it. Bandwidths and memories are as published, in decimal units (1 TB/s =
10^12 bytes per second, 1 GB = 10^9 bytes). Every value is an exact integer, so figures
computed from them stay exact until they are printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SymparamsError

__all__ = ["GPU", "GPUS", "gpu"]

T12 = 10**12
G9 = 10**9


@dataclass(frozen=True)
class GPU:
    """One accelerator: dense bf16 FLOP/s, memory bandwidth in bytes/s, memory in bytes, and where they come from."""

    name: str
    label: str
    bf16_flops: int
    bandwidth: int
    memory: int
    source: str

    def to_json(self) -> dict:
        return {"gpu": self.name, "label": self.label, "peak_flops": self.bf16_flops,
                "bandwidth": self.bandwidth, "memory_bytes": self.memory, "source": self.source}


GPUS: dict[str, GPU] = {g.name: g for g in (
    GPU("a100-40g", "NVIDIA A100 SXM 40GB", 312 * T12, 1555 * G9, 40 * G9,
        "NVIDIA A100 Tensor Core GPU datasheet (2021): BF16 312 TFLOPS (624 sparse), HBM2 1,555 GB/s, 40 GB"),
    GPU("a100-80g", "NVIDIA A100 SXM 80GB", 312 * T12, 2039 * G9, 80 * G9,
        "NVIDIA A100 Tensor Core GPU datasheet (2021): BF16 312 TFLOPS (624 sparse), HBM2e 2,039 GB/s, 80 GB"),
    GPU("h100-sxm", "NVIDIA H100 SXM", 989_500 * G9, 3350 * G9, 80 * G9,
        "NVIDIA H100 Tensor Core GPU datasheet (2023): BF16 1,979 TFLOPS with sparsity (989.5 dense), "
        "HBM3 3.35 TB/s, 80 GB"),
    GPU("h100-pcie", "NVIDIA H100 PCIe", 756_500 * G9, 2000 * G9, 80 * G9,
        "NVIDIA H100 Tensor Core GPU datasheet (2023): BF16 1,513 TFLOPS with sparsity (756.5 dense), "
        "HBM2e 2 TB/s, 80 GB"),
    GPU("h200", "NVIDIA H200 SXM", 989_500 * G9, 4800 * G9, 141 * G9,
        "NVIDIA H200 Tensor Core GPU datasheet (2024): BF16 1,979 TFLOPS with sparsity (989.5 dense), "
        "HBM3e 4.8 TB/s, 141 GB"),
    GPU("b200", "NVIDIA B200 (HGX)", 2250 * T12, 8000 * G9, 180 * G9,
        "NVIDIA HGX B200 specifications (2024): FP16/BF16 4.5 PFLOPS with sparsity (2.25 dense), "
        "HBM3e 8 TB/s, 180 GB per GPU"),
    GPU("l40s", "NVIDIA L40S", 362_050 * G9, 864 * G9, 48 * G9,
        "NVIDIA L40S datasheet (2023): BF16 Tensor Core 362.05 TFLOPS (733 sparse), GDDR6 864 GB/s, 48 GB"),
    GPU("rtx4090", "NVIDIA GeForce RTX 4090", 165_200 * G9, 1008 * G9, 24 * G9,
        "NVIDIA Ada Lovelace GPU architecture whitepaper (2022), RTX 4090: peak BF16 tensor TFLOPS with FP32 "
        "accumulate 165.2 (330.4 sparse), GDDR6X 1,008 GB/s, 24 GB"),
    GPU("mi300x", "AMD Instinct MI300X", 1_307_400 * G9, 5300 * G9, 192 * G9,
        "AMD Instinct MI300X data sheet (2023): BF16 1,307.4 TFLOPS dense, HBM3 5.3 TB/s, 192 GB"),
)}


def gpu(name: str) -> GPU:
    """The accelerator called ``name`` (case-insensitive), or one clear error listing the known ones."""
    key = str(name).strip().lower()
    if key in GPUS:
        return GPUS[key]
    shown = str(name) if len(str(name)) <= 40 else str(name)[:37] + "..."
    close = [n for n in GPUS if key and n.startswith(key)]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise SymparamsError(f"unknown GPU {shown!r}{hint} (known: {', '.join(GPUS)}; or give --peak-flops and "
                         "--bandwidth)")
