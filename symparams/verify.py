"""Cross-check a symbolic count against the model transformers really builds.

The model is instantiated on PyTorch's ``meta`` device: shapes without storage, so
even a 70B config costs no memory and downloads nothing. Parameters are counted
once each (a tied LM head shares the embedding's tensor), then sorted into the
same groups the module tree uses (embedding, attention, mlp, norm, head, other)
by the family's ``hf_group(name)``.

Needs the optional extra ``symparams[verify]`` (torch, transformers).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .errors import SymparamsError

__all__ = ["meta_parameters", "Verification", "verify"]


def _require():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise SymparamsError(
            f"verify needs torch and transformers ({err.name} is not installed): pip install 'symparams[verify]'"
        ) from None


def meta_parameters(config: dict) -> list[tuple[str, int]]:
    """(name, numel) of every distinct parameter of the transformers model for ``config``."""
    _require()
    import torch
    import transformers

    data = {k: v for k, v in config.items() if not k.startswith("_")}
    model_type = data.pop("model_type")
    cfg = transformers.AutoConfig.for_model(model_type, **data)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    seen: set[int] = set()
    out = []
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in seen:
            continue
        seen.add(id(p))
        out.append((name, p.numel()))
    return out
