"""A model's parameter count derived step by step, as Markdown, LaTeX or terminal text.

Every formula and number in the document is computed from the model's module tree:
each component's module, formula, substitution and exact count; blocks, layers and
total; the closed form; approximations and their errors; shares; the family's sizes;
GQA/MQA; derivatives; insights; practice problems with solutions.

The format follows -o's extension (.md, .tex, .txt) unless --format says otherwise;
without either, text for the terminal. An extension no format writes (x.pdf) is
refused. --all -o DIR writes the documents kept in the repository's derivations/
folder, and their index, into DIR. A named model's whole document, printed with
nothing set, comes from the copy the package ships (SYMPARAMS_NO_CACHE=1 builds it).
"""

from __future__ import annotations

import argparse
import functools
from typing import Any

from .common import positive_int

# The documents of ``derive --all``: (file, model name, depth, format, note). nanochat's
# size ladder is added from the guide's depths; presets are written where installed.
GUIDE_DOCUMENTS = (
    ("nanochat-d20.md", "nanochat", 20, "md", "the hand-worked guide's model"),
    ("nanochat-d20.tex", "nanochat", 20, "tex", "the guide's model, as LaTeX for pdflatex"),
)
PRESET_DOCUMENTS = (("gpt2", "GPT-2 124M"), ("llama-2-7b", "Llama-2-7B"), ("mixtral-8x7b", "Mixtral-8x7B"))
# The preset that stands for its family where the family has several: the smallest, or the smallest that builds
# every kind of part (Granite 4.0 H-Micro has no experts).
REPRESENTATIVES = ("opt-125m", "pythia-160m", "gemma-2b", "deepseek-v2-lite", "falcon-7b", "llama-4-scout-17b-16e-text",
                   "granite-4.0-h-small", "llama-4-scout-17b-16e-instruct")
ALL_COMMAND = "symparams derive --all -o derivations/"


# Its options can be read without the report code, which its format choices and sections' help come from.
LIGHT = True


def add_arguments(p: argparse.ArgumentParser, light: bool = False) -> None:
    """The options; ``light`` leaves out the format choices and the sections' help (they need the report code)."""
    if light:
        formats: tuple[str, ...] | None = None
        summaries = ""
    else:
        from ..report import FORMATS, SECTIONS

        p.formatter_class = argparse.RawDescriptionHelpFormatter
        p.epilog = "sections:\n" + "\n".join(f"  {name:<15} {what}" for name, (what, _) in SECTIONS.items())
        formats = tuple(FORMATS)
        summaries = ", ".join(cls.summary or name for name, cls in FORMATS.items())

    p.add_argument("model", nargs="?", metavar="MODEL",
                   help="a family (nanochat), a preset (gpt2, llama-2-7b) or a config.json path")
    p.add_argument("--depth", type=positive_int, help="depth for depth-sized families (nanochat: D = 64*depth)")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
        help="set a symbol: a number (H_kv=1, e=8/3) or an expression in the model's symbols (F=8*D/3)",
    )
    p.add_argument("--format", choices=formats, help=summaries)
    p.add_argument("-o", "--output", metavar="FILE", help="write the document to FILE instead of printing it")
    p.add_argument("--brief", action="store_true",
                   help="a page or two for a paper: sizes, closed form, component table, total, key ratios")
    p.add_argument("--sections", metavar="A,B,...",
                   help="only these sections, in document order (see the list below)")
    p.add_argument("--seq", type=positive_int, metavar="T",
                   help="context length for the FLOPs and memory sections (default: the model's own)")
    p.add_argument("--all", action="store_true",
                   help="write every document of derivations/ and its index into the folder -o names")


def cache_key(args: argparse.Namespace) -> str | None:
    """A document printed to the terminal is cached (symparams.cache); one written to a file is not."""
    from .common import cache_key as key

    return None if args.output or args.all or not args.model else key(args)


def shipped(args: argparse.Namespace) -> str | None:
    """The document the package ships for this run (symparams.documents): a named model's whole
    document printed to the terminal, nothing set; None for anything else, which is built."""
    if args.all or args.output or args.depth is not None or args.sets or args.brief or args.sections \
            or args.seq is not None or not args.model:
        return None
    from ..documents import shipped as kept

    return kept(args.model, args.format or "text")


def command(name: str, depth: int | None, overrides: dict[str, Any]) -> str:
    """The command line that writes the document of this model again, quoted for a POSIX shell."""
    import shlex

    parts = ["symparams", "derive", name]
    if depth is not None:
        parts += ["--depth", str(depth)]
    for k, v in overrides.items():
        parts += ["--set", f"{k}={v}"]
    return " ".join(shlex.quote(p) for p in parts)


def source_for(name: str, depth: int | None, overrides: dict[str, Any]):
    """(Spec, Source) for a model as the user named it: its ladder, or the presets of its family."""
    from ..catalog import depth_families, model, resolve
    from ..errors import SymparamsError
    from ..families import FAMILIES
    from ..report import Source

    spec = resolve(name, depth, overrides)
    spec.env  # noqa: B018 - validate before any output
    ladders = depth_families()
    fam = ladders.get(name) or FAMILIES.of(spec)
    again = command(name, depth, overrides)
    if fam is not None and fam.ladder is not None:
        def ladder(d: int):
            return fam.at_depth(d, **overrides)

        return spec, Source(again, ladder, depth)
    relatives = []
    for other in _preset_families().get(spec.family, ()):
        try:
            s = model(other)
        except SymparamsError:
            continue
        if s.family == spec.family:
            relatives.append((other, s))
    return spec, Source(again, relatives=tuple(relatives))


@functools.lru_cache(maxsize=1)
def _preset_families() -> dict[str, list[str]]:
    """Family name -> its installed presets, read from each preset's model_type (no model is built).

    Read once a process: the presets are the package's own files, and a document of each names its relatives.
    """
    from ..catalog import preset_paths
    from ..config import read_json
    from ..families import FAMILIES

    out: dict[str, list[str]] = {}
    for name, path in sorted(preset_paths().items()):
        fam = FAMILIES.name_for_type(str(read_json(path).get("model_type")))  # type: ignore[arg-type]
        if fam is not None:
            out.setdefault(fam, []).append(name)
    return out


def planned() -> list[tuple[str, str, int | None, str, str]]:
    """(file, model, depth, format, note) of each document ``derive --all`` writes.

    The guide's model and nanochat's size ladder; the named presets; then one document
    for every other family with an installed preset (its first, or its smallest
    listed in :data:`REPRESENTATIVES`), and each depth-sized family at its default depth.
    """
    from ..catalog import depth_families, names
    from ..families import FAMILIES
    from ..report.compare import GUIDE_DEPTHS

    wanted: list[tuple[str, str, int | None, str, str]] = list(GUIDE_DOCUMENTS)
    wanted += [(f"nanochat-d{d}.md", "nanochat", d, "md", "size ladder") for d in GUIDE_DEPTHS if d != 20]
    wanted += [(f"{name}.md", name, None, "md", label) for name, label in PRESET_DOCUMENTS]
    known = set(names())
    wanted = [w for w in wanted if w[1] in known]
    by_family = _preset_families()
    covered = {"nanochat"} | {f for f, presets in by_family.items() if any(w[1] in presets for w in wanted)}
    for fam in FAMILIES:
        if fam.name in covered:
            continue
        if fam.name in depth_families():
            wanted.append((f"{fam.name}-d{fam.default_depth}.md", fam.name, None, "md", fam.summary))
        elif fam.name in by_family:
            presets = by_family[fam.name]
            pick = next((p for p in REPRESENTATIVES if p in presets), presets[0])
            wanted.append((f"{pick}.md", pick, None, "md", fam.summary))
    return wanted


def documents() -> list:
    """The entries ``derive --all`` writes: the guide's model, nanochat's size ladder, installed presets."""
    from ..report.collection import Entry

    out = []
    for filename, name, depth, fmt, note in planned():
        spec, source = source_for(name, depth, {})
        out.append(Entry(filename, spec, source, fmt, note))
    return out


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..config import printable
    from ..errors import SymparamsError
    from ..report import BRIEF, FULL, derive, format_of, sections
    from .common import parse_sets

    if args.all:
        if args.model or args.depth or args.sets or args.format or args.brief or args.sections or args.seq:
            raise SymparamsError("--all writes the whole set as kept in derivations/; it takes only -o DIR")
        if not args.output:
            raise SymparamsError("--all needs -o DIR, the folder to write the documents into")
        from ..report.collection import write

        for path in write(documents(), args.output, ALL_COMMAND):
            print(printable(path))
        return 0
    if not args.model:
        raise SymparamsError("derive needs a MODEL (or --all -o DIR)")
    by_name = format_of(args.output) if args.output else None  # an extension nobody writes is refused
    fmt = args.format or by_name or "text"
    if args.brief and args.sections:
        raise SymparamsError("give --brief or --sections, not both")
    parts = BRIEF if args.brief else sections(args.sections) if args.sections is not None else FULL
    overrides = parse_sets(args.sets)
    spec, source = source_for(args.model, args.depth, overrides)
    if args.seq is not None:
        spec = replace(spec, context=args.seq)
    text = derive(spec, fmt, source, parts)
    if not args.output:
        print(text, end="")
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as err:
        raise SymparamsError(f"cannot write {args.output}: {err.strerror or err}") from None
    return 0

