"""The derivations the package ships, so that ``symparams derive NAME`` starts without SymPy.

A derivation differentiates, simplifies and solves the closed form: a second or more of
SymPy on top of importing it. When the model is one the package names (a preset, or a
depth-sized family at its default depth) and nothing about it is set, that document is a
fixed function of the package's own files. So the package ships it, in every format,
made by ``python -m symparams.cli.known_documents``; tests check each one equals what
``derive`` builds.

The folder records the digest of the package its documents were made from (``DIGEST``):
the content of every file in it (modules, presets, learned families), not the modification
times, so a wheel installed anywhere matches, and a package edited since does not. A
document is printed only under a matching digest, from a file that holds its own name and
passes gzip's check; anything else (a stale, truncated or flipped file) is ignored and the
document is built. The documents themselves are kept apart from the digest, so a change to
the package rewrites only the documents it changes. ``SYMPARAMS_NO_CACHE=1`` turns shipped documents
off too, as it does shipped forms. This module imports nothing beyond the standard library.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import re
import zlib
from pathlib import Path

__all__ = ["SHIPPED", "DIGEST", "package_digest", "shipped_file", "shipped", "entry"]

PACKAGE = Path(__file__).resolve().parent
SHIPPED = PACKAGE / "known_documents"
# The file of SHIPPED holding the digest of the package the documents were made from.
DIGEST = "DIGEST"
# Folders whose content no document depends on: generated data, and bytecode.
_NOT_HASHED = frozenset({"known_documents", "known_shapes", "__pycache__"})
# A shipped name is a plain file stem: nothing a path or a shell could read differently.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@functools.lru_cache(maxsize=1)
def package_digest() -> str:
    """SHA-256 of the version and of every package file's path and bytes (generated data left out)."""
    from . import __version__

    h = hashlib.sha256(f"{__version__}\n".encode())
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_HASHED)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, PACKAGE).replace(os.sep, "/")
            with open(path, "rb") as fh:
                data = fh.read()
            h.update(f"{rel}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
            h.update(data)
    return h.hexdigest()


def shipped_file(name: str) -> Path:
    """Where the package keeps the documents of the model ``name``."""
    return SHIPPED / f"{name}.json.gz"


def entry(name: str, documents: dict[str, str]) -> bytes:
    """The bytes of a shipped file: ``documents`` (format -> text) of the model ``name``, the same bytes each time."""
    text = json.dumps({"name": name, "documents": documents}, ensure_ascii=False, sort_keys=True)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def made_under() -> str | None:
    """The digest of the package the shipped documents were made from, or None."""
    try:
        return (SHIPPED / DIGEST).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None


def shipped(name: str, fmt: str) -> str | None:
    """The shipped document of the model ``name`` in the format ``fmt``, or None when there is none to trust."""
    if os.environ.get("SYMPARAMS_NO_CACHE", "") not in ("", "0") or not _NAME.fullmatch(name):
        return None
    if made_under() != package_digest():
        return None
    try:
        data = json.loads(gzip.decompress(shipped_file(name).read_bytes()).decode("utf-8"))
    except (OSError, ValueError, EOFError, zlib.error):
        return None
    if not (isinstance(data, dict) and data.get("name") == name):
        return None
    documents = data.get("documents")
    text = documents.get(fmt) if isinstance(documents, dict) else None
    return text if isinstance(text, str) else None
