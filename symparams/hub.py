"""Hugging Face Hub ids (``org/name[@revision]``) to a local config.json, cache first.

Only ``config.json`` is ever fetched, never weights, and only when the Hub is allowed
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

__all__ = ["HUB_ID", "is_hub_id", "parse_hub_id", "config_path", "offline"]

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


def config_path(text: str) -> str:
    """The local path of the Hub model's config.json: from the cache, else downloaded (config only)."""
    repo, revision = parse_hub_id(text)
    try:
        import huggingface_hub
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise SymparamsError(f"{printable(text)}: reading a Hub id needs huggingface_hub: "
                             f"{install_hint('hub', 'huggingface_hub')}") from None
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
        return huggingface_hub.hf_hub_download(repo, "config.json", revision=revision)
    except Exception as err:
        raise SymparamsError(f"{printable(text)}: cannot fetch config.json from the Hub "
                             f"({type(err).__name__}: {printable(str(err))[:100]})") from None
