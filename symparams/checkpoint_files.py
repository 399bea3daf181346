"""What a checkpoint is called on disk: its files' endings and the name of a sharded checkpoint's index.

Apart from :mod:`symparams.checkpoint` so that resolving a model's name, which asks
whether a path is a checkpoint for every config file counted, does not load the
header readers.
"""

from __future__ import annotations

__all__ = ["INDEX_NAME", "SUFFIXES", "is_checkpoint"]

INDEX_NAME = "model.safetensors.index.json"
SUFFIXES = (".safetensors", ".gguf")


def is_checkpoint(path: str) -> bool:
    """Whether ``path`` names a checkpoint file: a .safetensors or .gguf file, or a sharded checkpoint's index."""
    return path.endswith((*SUFFIXES, INDEX_NAME))
