"""Exact parameter count of a model, with a per-component breakdown table.

Each row is a node of the model's module tree: its module, its formula per copy,
its exact count (times the copies, e.g. x L for everything in a block) and its
share of the total. ``--non-embedding`` also gives the count without the embedding
tables and the LM head (Kaplan et al.'s and DeepSeek's N), as a closed form and exactly;
``--max-depth N`` keeps the tree's top N levels; ``--format`` picks text, Markdown, CSV,
JSON or a LaTeX tabular. JSON always holds the parameter groups and the non-embedding count.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .. import counting
from ..counting import _tree, counted, learned_note, non_embedding
from ..errors import SymparamsError
from .common import add_format_argument, add_model_arguments, csv_text, emit_json, load_spec, positive_int
from .common import cache_key as _key

if TYPE_CHECKING:
    from ..shapes import Counted

def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, json_flag=False, many=True)
    add_format_argument(p)
    p.add_argument("--non-embedding", action="store_true",
                   help="also the count without the embedding tables and the LM head (Kaplan et al., DeepSeek)")
    p.add_argument("--max-depth", type=positive_int, metavar="N",
                   help="show the breakdown tree to depth N (1: the top-level components only)")
    p.add_argument("--checkpoint", action="store_true",
                   help="also read the tensors of MODEL's checkpoint (a folder, .safetensors, index or .gguf) from "
                        "their headers alone: the exact stored count and bytes by dtype, beside the symbolic count")


def cache_key(args: argparse.Namespace) -> str | None:
    """Cached unless a checkpoint's tensors are read (symparams.cache)."""
    return None if args.checkpoint else _key(args)


def _checkpoint_only(args: argparse.Namespace, ckpt, indent: int | None = 2) -> int:
    """A checkpoint with no config.json beside it: what its headers say, and nothing symbolic."""
    if args.format == "json":
        emit_json({"model": ckpt.source, "checkpoint": ckpt.to_json()}, indent)
        return 0
    if args.format != "text":
        raise SymparamsError(f"{ckpt.source}: no config.json beside it, so only --format text or json")
    print(f"{ckpt.source} ({ckpt.format}): {ckpt.total:,} parameters in {len(ckpt.tensors):,} tensors, "
          f"{ckpt.file_bytes:,} bytes; no config.json beside it, so no symbolic count")
    _dtypes(ckpt)
    return 0


def _dtypes(ckpt) -> None:
    for dtype, n in ckpt.bytes_by_dtype().items():
        print(f"  {dtype}: {ckpt.params_by_dtype()[dtype]:,} parameters, {n:,} bytes")


def _markdown(spec, bd, args) -> str:
    from ..format import grouped, human, md_text
    from ..report.jupyter import breakdown_markdown

    lines = [f"**{md_text(spec.name)}**: {grouped(spec.total)} parameters ({human(spec.total)})", "",
             breakdown_markdown(bd)]
    if args.non_embedding:
        count, form = non_embedding(spec)
        lines += ["", f"non-embedding: {grouped(count)} ({human(count)}) = `{form}`"]
    return "\n".join(lines)


def _csv(spec, bd, args) -> str:
    rows: list[tuple[object, ...]] = [(r.path, r.node.describe(), str(r.formula), r.count, r.copies, r.total,
                                       r.node.group if r.is_leaf else "")
                                      for r in bd.rows]
    rows.append(("total", spec.tree.describe(), str(spec.closed_form), spec.total, 1, spec.total, ""))
    if args.non_embedding:
        count, form = non_embedding(spec)
        rows.append(("non-embedding", "", str(form), count, 1, count, ""))
    header = ("component", "module", "formula", "count", "copies", "total", "group")
    first = getattr(args, "csv_first_of_several", None)  # set by run where several models make one table
    if first is None:
        return csv_text(header, rows)
    text = csv_text(("model", *header), [(spec.name, *row) for row in rows])
    return text if first else text.split("\n", 1)[1]


def _tex(spec, bd, args) -> str:
    from fractions import Fraction

    from ..format import grouped, share
    from ..report.math import escape_latex, form_latex

    def num(n: int) -> str:
        return grouped(n).replace(",", "{,}")

    lines = [r"\begin{tabular}{llrr}", r"\toprule", r"component & formula (per copy) & parameters & share \\", r"\midrule"]
    for r in bd.rows:
        copies = rf" \times {form_latex(r.copies_formula)}" if r.copies != 1 else ""
        lines.append(rf"\hspace{{{r.depth - 1}em}}{escape_latex(r.name)} & ${form_latex(r.formula)}{copies}$ & "
                     rf"{num(r.total)} & {escape_latex(share(r.share))} \\")
    lines += [r"\midrule", rf"total & ${form_latex(spec.closed_form)}$ & {num(spec.total)} & 100.0\% \\"]
    if args.non_embedding:
        count, form = non_embedding(spec)
        lines.append(rf"non-embedding & ${form_latex(form)}$ & {num(count)} & "
                     rf"{escape_latex(share(Fraction(count, spec.total)))} \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Count each MODEL; with several, a bad one gets its one-line error and the rest are still counted.

    Several models print one after another (text, Markdown, LaTeX) separated by a blank
    line, as one CSV table whose first column names the model, or as one JSON object per
    line; the exit status is 2 if any failed.
    """
    from . import one_line

    names = args.model if isinstance(args.model, list) else [args.model]
    if len(names) == 1:
        return _one(args, names[0], indent=2)
    failed = printed = False
    for name in names:
        try:
            if args.format == "csv":  # one table: a model column, one header
                args.csv_first_of_several = not printed
            elif printed and args.format != "json":
                print()
            _one(args, name, indent=None)
            printed = True
        except SymparamsError as err:
            failed = True
            print(f"symparams: error: {one_line(str(err))}", file=sys.stderr)
    return 2 if failed else 0


def _one(args: argparse.Namespace, name: str, indent: int | None) -> int:
    ckpt = None
    if getattr(args, "checkpoint", False):
        from ..catalog import checkpoint_of, locate

        ckpt = checkpoint_of(name)
        try:
            locate(name)
        except SymparamsError:
            return _checkpoint_only(args, ckpt, indent)
    plain = ckpt is None and args.format in ("json", "text") and not args.sets and args.depth is None
    read = counting.named(name) if plain else None
    found = counting.from_forms(read) if read is not None else None
    if found is not None:
        if args.format != "json":
            from . import one_line

            for note in found.report.get("notes", ()):
                print(f"symparams: note: {one_line(note)}", file=sys.stderr)
        return _print(args, found, indent)
    spec = load_spec(args, name, notes=args.format != "json", where=read.where if read is not None else None)
    note = learned_note(spec)
    if note and args.format != "json":
        print(f"symparams: note: {note}", file=sys.stderr)
    if args.format in ("md", "csv", "tex"):
        if ckpt is not None:
            raise SymparamsError("--checkpoint prints as text or JSON (--format text or json)")
        render = {"md": _markdown, "csv": _csv, "tex": _tex}[args.format]
        text = render(spec, _tree(spec, args.max_depth), args)
        print(text, end="" if text.endswith("\n") else "\n")
        return 0
    found = counted(spec)
    if read is not None:
        counting.keep(read, spec, found)
    if ckpt is None:
        return _print(args, found, indent)
    if args.format == "json":
        out = _json(found, args.max_depth)
        out["checkpoint"] = ckpt.to_json()
        emit_json(out, indent)
        return 0
    _text(found, args)
    from ..checkpoint import saved_buffers

    buffers = saved_buffers(spec, ckpt)
    stored = ckpt.total - sum(t.numel for t in buffers)
    same = "equal to" if stored == spec.total else "DIFFERENT from"
    plural = "s" if len(buffers) != 1 else ""
    beside = (f" (besides {sum(t.numel for t in buffers):,} elements of {len(buffers):,} saved buffer{plural}, "
              "not parameters)" if buffers else "")
    print(f"\ncheckpoint {ckpt.source} ({ckpt.format}): {stored:,} stored parameters{beside}, {same} the symbolic count")
    _dtypes(ckpt)
    return 0


def _json(found: "Counted", max_depth: int | None) -> dict:
    out = dict(found.report)
    if max_depth is not None:
        out["components"] = [c for c, d in zip(out["components"], found.depths) if d <= max_depth]
    return out


def _print(args: argparse.Namespace, found: "Counted", indent: int | None) -> int:
    """Print a count in text or JSON: from the tree or from its shape's kept forms, the same way."""
    if args.format == "json":
        emit_json(_json(found, args.max_depth), indent)
    else:
        _text(found, args)
    return 0


def _text(found: "Counted", args: argparse.Namespace) -> None:
    from ..format import human, tree_table

    rep = found.report
    total = rep["total"]
    values = ", ".join(f"{k}={v}" for k, v in {**rep["config"], **rep["derived"]}.items())
    print(f"{rep['model']}: {total:,} parameters ({human(total)})")
    print(f"values: {values}")
    print()
    rows = ((d, label, c["module"], c["formula"], c["count"], c["copies"], c["total"])
            for c, d, label in zip(rep["components"], found.depths, found.labels)
            if args.max_depth is None or d <= args.max_depth)
    print(tree_table(rows, found.tree, rep["formula"], total))
    if "active" in rep:
        print(f"\nactive per token: {rep['active']:,} ({human(rep['active'])}) = {rep['active_formula']}")
        compute = rep["active_without_embeddings"]
        print(f"active without the embedding tables (the head kept, as the gpt-oss model card counts): "
              f"{compute:,} ({human(compute)}) = {rep['active_without_embeddings_formula']}")
    if args.non_embedding:
        count = rep["non_embedding"]
        print(f"\nnon-embedding (without the embedding tables and the LM head): {count:,} ({human(count)}) = "
              f"{rep['non_embedding_formula']}")
