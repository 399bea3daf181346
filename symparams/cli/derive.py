"""A model's parameter count derived step by step, as Markdown, LaTeX or terminal text.

Every formula and number in the document is computed from the model's module tree:
each component's module, formula, substitution and exact count; blocks, layers and
total; the closed form; approximations and their errors; shares; the family's sizes;
GQA/MQA; derivatives; insights; practice problems with solutions.

The format follows -o's extension (.md, .tex, .txt) unless --format says otherwise;
without either, text for the terminal. An extension no format writes (x.pdf) is
refused. --all -o DIR writes the documents kept in the repository's derivations/
folder, and their index, into DIR.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import positive_int

# The documents of ``derive --all``: (file, model name, depth, format, note). nanochat's
# size ladder is added from the guide's depths; presets are written where installed.
GUIDE_DOCUMENTS = (
    ("nanochat-d20.md", "nanochat", 20, "md", "the hand-worked guide's model"),
    ("nanochat-d20.tex", "nanochat", 20, "tex", "the guide's model, as LaTeX for pdflatex"),
)
PRESET_DOCUMENTS = (("gpt2", "GPT-2 124M"), ("llama-2-7b", "Llama-2-7B"), ("mixtral-8x7b", "Mixtral-8x7B"))
ALL_COMMAND = "symparams derive --all -o derivations/"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..report import FORMATS

    p.add_argument("model", nargs="?", metavar="MODEL",
                   help="a family (nanochat), a preset (gpt2, llama-2-7b) or a config.json path")
    p.add_argument("--depth", type=positive_int, help="depth for depth-sized families (nanochat: D = 64*depth)")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
        help="set a symbol: a number (H_kv=1, e=8/3) or an expression in the model's symbols (F=8*D/3)",
    )
    summaries = ", ".join(cls.summary or name for name, cls in FORMATS.items())
    p.add_argument("--format", choices=tuple(FORMATS), help=summaries)
    p.add_argument("-o", "--output", metavar="FILE", help="write the document to FILE instead of printing it")
    p.add_argument("--all", action="store_true",
                   help="write every document of derivations/ and its index into the folder -o names")


def command(name: str, depth: int | None, overrides: dict[str, Any]) -> str:
    """The command line that writes the document of this model again."""
    parts = ["symparams", "derive", name]
    if depth is not None:
        parts += ["--depth", str(depth)]
    for k, v in overrides.items():
        parts += ["--set", f"{k}={v}"]
    return " ".join(parts)


def source_for(name: str, depth: int | None, overrides: dict[str, Any]):
    """(Spec, Source) for a model as the user named it: its ladder, or the presets of its family."""
    from ..catalog import depth_families, model, preset_paths
    from ..errors import SymparamsError
    from ..families import FAMILIES
    from ..report import Source

    spec = model(name, depth=depth, **overrides)
    spec.env  # noqa: B018 - validate before any output
    ladders = depth_families()
    fam = ladders.get(name) or FAMILIES.of(spec)
    again = command(name, depth, overrides)
    if fam is not None and fam.ladder is not None:
        def ladder(d: int):
            return fam.at_depth(d, **overrides)

        return spec, Source(again, ladder, depth)
    relatives = []
    for other in sorted(preset_paths()):
        try:
            s = model(other)
        except SymparamsError:
            continue
        if s.family == spec.family:
            relatives.append((other, s))
    return spec, Source(again, relatives=tuple(relatives))


def planned() -> list[tuple[str, str, int | None, str, str]]:
    """(file, model, depth, format, note) of each document ``derive --all`` writes, where its model is installed."""
    from ..catalog import names
    from ..report.compare import GUIDE_DEPTHS

    wanted = list(GUIDE_DOCUMENTS)
    wanted += [(f"nanochat-d{d}.md", "nanochat", d, "md", "size ladder") for d in GUIDE_DEPTHS if d != 20]
    wanted += [(f"{name}.md", name, None, "md", label) for name, label in PRESET_DOCUMENTS]
    known = set(names())
    return [w for w in wanted if w[1] in known]


def documents() -> list:
    """The entries ``derive --all`` writes: the guide's model, nanochat's size ladder, installed presets."""
    from ..report.collection import Entry

    out = []
    for filename, name, depth, fmt, note in planned():
        spec, source = source_for(name, depth, {})
        out.append(Entry(filename, spec, source, fmt, note))
    return out


def run(args: argparse.Namespace) -> int:
    from ..errors import SymparamsError
    from ..report import derive, format_of
    from .common import parse_sets

    if args.all:
        if args.model or args.depth or args.sets or args.format:
            raise SymparamsError("--all writes the whole set; it takes no MODEL, --depth, --set or --format")
        if not args.output:
            raise SymparamsError("--all needs -o DIR, the folder to write the documents into")
        from ..report.collection import write

        for path in write(documents(), args.output, ALL_COMMAND):
            print(path)
        return 0
    if not args.model:
        raise SymparamsError("derive needs a MODEL (or --all -o DIR)")
    by_name = format_of(args.output) if args.output else None  # an extension nobody writes is refused
    fmt = args.format or by_name or "text"
    overrides = parse_sets(args.sets)
    spec, source = source_for(args.model, args.depth, overrides)
    text = derive(spec, fmt, source)
    if not args.output:
        print(text, end="")
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as err:
        raise SymparamsError(f"cannot write {args.output}: {err.strerror or err}") from None
    return 0

