"""The families: one module per architecture, each declaring its :class:`Family`.

Adding a family is one module, one line in :data:`SOURCES` below, and ``python -m symparams.families``
to regenerate the index that routes configs to it without importing the other families. Every reader,
reading and output reaches a family through this registry (by model_type, by name, or
through ``spec.family``), never by testing a family's name.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._index import ENTRIES
from .registry import Family, Registry

if TYPE_CHECKING:
    from ..spec import Spec

__all__ = ["FAMILIES", "SOURCES", "Family", "Registry", "from_dict", "from_file"]

# Every family: its module and the name its Family is bound to there, in the order listings show them.
SOURCES = (
    ("nanochat", "FAMILY"), ("nanochat2026", "FAMILY"), ("llama", "FAMILY"), ("mistral", "FAMILY"),
    ("mixtral", "FAMILY"), ("qwen2", "FAMILY"), ("gemma", "FAMILY"), ("gpt2", "FAMILY"), ("opt", "FAMILY"),
    ("gpt_neox", "FAMILY"), ("gptj", "FAMILY"), ("bloom", "FAMILY"), ("falcon", "FAMILY"), ("phi", "FAMILY"),
    ("qwen3", "FAMILY"), ("qwen3_moe", "FAMILY"), ("qwen2_moe", "FAMILY"), ("qwen3_5", "FAMILY"),
    ("qwen3_5", "MOE_FAMILY"), ("qwen3_5_vlm", "FAMILY"), ("qwen3_5_vlm", "MOE_FAMILY"),
    ("qwen2_vl", "FAMILY"), ("qwen2_vl", "FAMILY_2_5"), ("qwen3_vl", "FAMILY"), ("qwen3_vl", "MOE_FAMILY"),
    ("llava", "FAMILY"), ("llava", "NEXT_FAMILY"), ("llava_onevision", "FAMILY"),
    ("llava_onevision", "VIDEO_FAMILY"), ("vipllava", "FAMILY"), ("aya_vision", "FAMILY"), ("cohere2_vision", "FAMILY"),
    ("mllama", "FAMILY"),
    ("internvl", "FAMILY"),
    ("paligemma", "FAMILY"), ("idefics2", "FAMILY"), ("idefics3", "FAMILY"),
    ("idefics3", "SMOLVLM_FAMILY"),
    ("qwen3_next", "FAMILY"), ("llama4", "FAMILY"), ("llama4_vlm", "FAMILY"), ("mistral3_vlm", "FAMILY"), ("phi3", "FAMILY"),
    ("phimoe", "FAMILY"), ("mamba", "FAMILY"), ("mamba2", "FAMILY"), ("jamba", "FAMILY"), ("falcon_h1", "FAMILY"),
    ("bamba", "FAMILY"), ("nemotron_h", "FAMILY"), ("zamba2", "FAMILY"), ("deepseek_v2", "FAMILY"),
    ("deepseek_v3", "FAMILY"), ("mistral4", "FAMILY"),
    ("olmo", "FAMILY"), ("olmo2", "FAMILY"), ("olmo3", "FAMILY"), ("olmoe", "FAMILY"),
    ("granite", "FAMILY"), ("granitemoe", "FAMILY"), ("granitemoe", "SHARED_FAMILY"), ("granitemoehybrid", "FAMILY"),
    ("glm", "FAMILY"),
    ("glm4", "FAMILY"), ("glm4_moe", "FAMILY"), ("ernie4_5", "FAMILY"), ("ernie4_5", "MOE_FAMILY"),
    ("hunyuan", "FAMILY"), ("dbrx", "FAMILY"), ("jetmoe", "FAMILY"), ("mpt", "FAMILY"), ("codegen", "FAMILY"),
    ("gpt_neo", "FAMILY"), ("gpt_bigcode", "FAMILY"), ("deepseek_v32", "FAMILY"), ("deepseek_v4", "FAMILY"),
    ("gemma2", "FAMILY"), ("gemma3", "FAMILY"), ("gemma3_vlm", "FAMILY"), ("vaultgemma", "FAMILY"), ("gpt_oss", "FAMILY"),
    ("starcoder2", "FAMILY"), ("cohere", "FAMILY"), ("cohere2", "FAMILY"), ("stablelm", "FAMILY"),
    ("ministral", "FAMILY"), ("helium", "FAMILY"), ("smollm3", "FAMILY"), ("exaone4", "FAMILY"),
    ("seed_oss", "FAMILY"), ("apertus", "FAMILY"), ("arcee", "FAMILY"), ("nemotron", "FAMILY"), ("gemma4", "FAMILY"),
    ("gemma4_vlm", "FAMILY"),
)

FAMILIES = Registry(__name__, ENTRIES)


def from_dict(data: dict, source: str = "config", name: str | None = None) -> Spec:
    """The Spec for a config.json given as a dict, read by the family of its model_type."""
    return FAMILIES.from_dict(data, source, name)


def from_file(path: str | os.PathLike) -> Spec:
    """The Spec for a config.json file."""
    return FAMILIES.from_file(path)
