"""Write ``symparams/known_documents/<name>.json.gz``: every named model's derivation, shipped with the package.

    python -m symparams.cli.known_documents

For each preset, and each depth-sized family at its default depth, the document
``symparams derive NAME`` prints, in every format, under the digest of the package as it
is now (:mod:`symparams.documents`). Run it after any change to the package: a document
whose digest is not the running package's is never printed. tests/test_derive.py checks
every file is current and holds what derive builds.
"""

from __future__ import annotations

import sys

__all__ = ["names", "documents", "write", "main"]


def names() -> list[str]:
    """The models whose documents are shipped: every name ``symparams list`` shows."""
    from ..catalog import names as known

    return known()


def documents(name: str) -> dict[str, str]:
    """Format -> the text ``symparams derive NAME --format FORMAT`` prints, the document built once."""
    from ..report import FORMATS, document, render
    from .derive import source_for

    spec, source = source_for(name, None, {})
    doc = document(spec, source)
    return {fmt: render(doc, fmt) for fmt in FORMATS}


def write() -> list[str]:
    """Write the shipped file of every name, remove those of names no longer known; returns the names written."""
    from ..documents import DIGEST, SHIPPED, entry, package_digest, shipped_file

    every = names()
    SHIPPED.mkdir(exist_ok=True)
    for name in every:
        data = entry(name, documents(name))
        path = shipped_file(name)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    for stale in SHIPPED.glob("*.json.gz"):
        if stale.name.removesuffix(".json.gz") not in every:
            stale.unlink()
    (SHIPPED / DIGEST).write_text(package_digest() + "\n", encoding="ascii")
    return every


def main() -> int:
    for name in write():
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
