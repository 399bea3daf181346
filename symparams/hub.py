"""Hugging Face Hub ids (``org/name[@revision]``) to a local config.json, cache first.

Only ``config.json`` is ever fetched, never weights (a checkpoint's tensors are read from
the cached files' headers, or online from the safetensors headers alone, by range requests), and only when the Hub is allowed
(``HF_HUB_OFFLINE`` unset). The cache huggingface_hub keeps (``HF_HOME``,
``HF_HUB_CACHE``) is read first, through huggingface_hub's own functions, so a model
already on disk costs no network. huggingface_hub is an optional extra
(``symparams[hub]``); without it a Hub id is refused with what to install.
"""

from __future__ import annotations

import os
import re

from .config import printable
from .errors import SymparamsError, install_hint
from .silence import silenced

__all__ = ["HUB_ID", "is_hub_id", "parse_hub_id", "config_path", "offline", "read_hub_checkpoint"]

# owner/name with an optional @revision: letters, digits, "-", "_", "." (no "..", no leading ".").
HUB_ID = re.compile(
    r"(?P<repo>[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95})"
    r"(?:@(?P<rev>[A-Za-z0-9._/-]{1,128}))?"
)


def is_hub_id(text: str) -> bool:
    """Whether ``text`` has the shape of a Hub id (and is not a file or folder that exists)."""
    return bool(HUB_ID.fullmatch(text)) and not os.path.exists(text) and not text.endswith(".json")


def parse_hub_id(text: str) -> tuple[str, str | None]:
    """(repo id, revision) of ``org/name[@revision]``; path traversal and odd characters refused."""
    m = HUB_ID.fullmatch(text)
    if not m or ".." in text or "//" in text:
        raise SymparamsError(f"{printable(text)!r} is not a Hub id of the form org/name[@revision]")
    return m.group("repo"), m.group("rev")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub(text: str):
    try:
        import huggingface_hub
    except ImportError:
        raise SymparamsError(f"{printable(text)}: reading a Hub id needs huggingface_hub: "
                             f"{install_hint('hub', 'huggingface_hub')}") from None
    return huggingface_hub


def config_path(text: str) -> str:
    """The local path of the Hub model's config.json: from the cache, else downloaded (config only).

    The Hub is asked once before the download: hf_hub_download, finding no cached copy,
    tries a failed connection five times more over some 23 s, and a Hub out of reach is
    seldom back within them. Its notes on each try are silenced; the failure is one line.
    """
    repo, revision = parse_hub_id(text)
    huggingface_hub = _hub(text)
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return huggingface_hub.hf_hub_download(repo, "config.json", revision=revision, local_files_only=True)
    except LocalEntryNotFoundError:
        pass
    except Exception as err:  # a malformed cache entry or revision
        raise SymparamsError(f"{printable(text)}: cannot read the cached config ({type(err).__name__})") from None
    if offline():
        raise SymparamsError(f"{printable(text)}: not in the Hugging Face cache and HF_HUB_OFFLINE is set; "
                             "download it once online, or give a config.json path")
    try:
        with silenced():
            huggingface_hub.get_hf_file_metadata(huggingface_hub.hf_hub_url(repo, "config.json", revision=revision))
            return huggingface_hub.hf_hub_download(repo, "config.json", revision=revision)
    except Exception as err:
        raise SymparamsError(f"{printable(text)}: cannot fetch config.json from the Hub "
                             f"({type(err).__name__}: {printable(str(err))[:100]})") from None


def _cached(text: str) -> str | None:
    """The cached checkpoint file of a Hub id (its shard index, else model.safetensors), or None."""
    from .checkpoint_files import INDEX_NAME

    repo, revision = parse_hub_id(text)
    huggingface_hub = _hub(text)
    for name in (INDEX_NAME, "model.safetensors"):
        try:
            found = huggingface_hub.try_to_load_from_cache(repo, name, revision=revision)
        except Exception:  # a malformed cache entry or revision: treat as not cached
            found = None
        if isinstance(found, str):
            return found
    return None


def read_hub_checkpoint(text: str):
    """The tensors of a Hub model's safetensors checkpoint, from their headers alone.

    The local cache first (every shard must be there; nothing is fetched for it). When
    the Hub is allowed and the cache lacks the checkpoint, huggingface_hub's
    ``get_safetensors_metadata`` reads each file's header by range requests, never the
    weights; every entry is checked as a local header is.
    """
    from .checkpoint import Checkpoint, read_checkpoint

    repo, revision = parse_hub_id(text)
    cached = _cached(text)
    if cached is not None:
        ckpt = read_checkpoint(cached)
        return Checkpoint(f"{printable(text)} (cached)", ckpt.format, ckpt.tensors, ckpt.file_bytes)
    if offline():
        raise SymparamsError(f"{printable(text)}: no safetensors checkpoint in the Hugging Face cache and HF_HUB_OFFLINE "
                             "is set; download it once online, or give a checkpoint folder")
    huggingface_hub = _hub(text)
    try:
        with silenced():
            meta = huggingface_hub.get_safetensors_metadata(repo, revision=revision)
    except Exception as err:
        raise SymparamsError(f"{printable(text)}: cannot read the safetensors headers from the Hub "
                             f"({type(err).__name__}: {printable(str(err))[:100]})") from None
    files = sorted(meta.files_metadata)
    try:
        with silenced():
            infos = huggingface_hub.HfApi().get_paths_info(repo, files, revision=revision)
        file_bytes = sum(int(getattr(i, "size", 0) or 0) for i in infos)
    except Exception:  # the sizes are a courtesy: the tensors' own bytes stand in
        file_bytes = 0
    return _from_metadata(f"{printable(text)} (Hub headers)", meta, file_bytes)


def _from_metadata(source: str, meta, file_bytes: int):
    """A Checkpoint from huggingface_hub's parsed headers, checked like a local header.

    Each file's tensors must lie back to back from its first data byte, as safetensors
    requires; the header's own length is not in huggingface_hub's answer, so where the
    data ends is not checked.
    """
    from .checkpoint import MAX_TENSORS, Checkpoint, Tensor, _fail, _shape, back_to_back, stored_bytes

    tensors = []
    seen: set[str] = set()
    for file in sorted(meta.files_metadata):
        infos = meta.files_metadata[file].tensors
        if len(infos) > MAX_TENSORS:
            raise _fail(source, f"{printable(file)} lists over {MAX_TENSORS:,} tensors")
        spans = []
        for name, info in infos.items():
            if name in seen:
                raise _fail(source, f"tensor {printable(name)!r} is stored in more than one shard")
            seen.add(name)
            shape = _shape(list(info.shape), name, source)
            nbytes = stored_bytes(info.dtype, shape, name, source)
            offsets = list(info.data_offsets) if isinstance(info.data_offsets, (list, tuple)) else []
            if len(offsets) != 2 or any(isinstance(o, bool) or not isinstance(o, int) for o in offsets):
                raise _fail(source, f"tensor {printable(name)!r}: data_offsets must be two whole numbers")
            begin, end = offsets
            if not 0 <= begin <= end or end - begin != nbytes:
                raise _fail(source, f"tensor {printable(name)!r}: its bytes {begin:,}..{end:,} do not hold shape "
                                    f"{list(shape)} of {info.dtype}")
            spans.append((begin, end, name))
            tensors.append(Tensor(name, info.dtype, shape, nbytes))
        back_to_back(spans, None, f"{source} {printable(file)}")
    data = sum(t.nbytes for t in tensors)
    return Checkpoint(source, "safetensors (sharded)" if meta.sharded else "safetensors", tuple(tensors),
                      file_bytes or data)
