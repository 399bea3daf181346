"""One exception type for every input the tool refuses.

The CLI turns it into a single line on stderr and exit status 2; the library lets it
propagate. It subclasses ValueError because every case is a bad value.
"""

from __future__ import annotations


class SymparamsError(ValueError):
    """An input symparams refuses, with a one-line message naming the bad value."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


def install_hint(extra: str, packages: str) -> str:
    """The pip command that brings in the optional ``extra`` (its ``packages``), for how symparams was installed.

    symparams is not on the package index yet, so ``pip install 'symparams[verify]'`` fails
    for most users. From a source checkout (run in place, or installed with ``pip install -e``)
    the command names the checkout; from a local wheel or folder, that path; otherwise
    the index's name. The bare packages are named too, which always works.
    """
    import json
    import os
    import sys
    from importlib import metadata

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = f"symparams[{extra}]"
    try:
        with open(os.path.join(here, "pyproject.toml"), encoding="utf-8") as fh:
            checkout = 'name = "symparams"' in fh.read()
    except OSError:
        checkout = False
    if checkout:
        root = "." if os.path.abspath(os.getcwd()) == here else here
        command = f"pip install -e '{root}[{extra}]'"
    else:
        command = f"pip install '{target}'"
        try:
            url = json.loads(metadata.distribution("symparams").read_text("direct_url.json") or "{}").get("url", "")
        except (metadata.PackageNotFoundError, ValueError, OSError):
            url = ""
        if url.startswith("file://"):
            command = f"pip install '{url[len('file://'):]}[{extra}]'"
    python = os.path.basename(sys.executable or "python")
    return f"{command} (or {python} -m pip install {packages})"
