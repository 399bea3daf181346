"""table, flops, memory and sensitivity write every --format, and every format carries the JSON's figures.

Each command's output parses in its own format (CSV with the csv module, JSON with
json.loads, Markdown tables with markdown-it, the LaTeX tabulars with pdflatex), and
the figures read back from each format equal those of the JSON, read from it, not
typed here. A name with Markdown, LaTeX and terminal specials in it is escaped in
every format.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest

from symparams.cli import main

CONFIG = str(Path(__file__).parent / "fixtures" / "configs" / "falcon-7b.json")

CASES = [
    ["table", "nanochat", "--depths", "4,20"],
    ["table", "nanochat-2026", "--depths", "2,8", "--set", "H_kv=1"],
    ["flops", "llama-2-7b"],
    ["flops", "nanochat", "--convention", "exact", "--tokens", "1000", "--sensitivity"],
    ["flops", "mixtral-8x7b", "--seq", "4096", "--sensitivity", "--tokens", "1e12"],
    ["flops", CONFIG, "--seq", "512", "--causal"],
    ["memory", "llama-2-7b"],
    ["memory", "nanochat", "--seq", "1024", "--tp", "2", "--pp", "2", "--dp", "2"],
    ["memory", "mixtral-8x7b", "--inference", "--budget", "96GiB"],
    ["memory", CONFIG, "--inference", "--seq", "100", "--budget", "24GiB"],
    ["sensitivity", "llama-2-7b"],
    ["sensitivity", "nanochat", "--hold", "d_h"],
    ["sensitivity", "mixtral-8x7b"],
    ["sensitivity", CONFIG],
]
PAGE = ("\\documentclass[10pt,a4paper]{article}\n\\usepackage[margin=2.5cm]{geometry}\n\\usepackage{booktabs}\n"
        "\\begin{document}\n")
IDS = [" ".join(Path(a).name for a in argv) for argv in CASES]

# Columns that hold figures (the rest hold names, formulas and rounded figures), and the places a Fixed cell shows.
NUMERIC = {"depth", "L", "D", "H", "parameters", "forward", "train (3x)", "training FLOPs", "FLOPs", "at this size",
           "bytes", "value", "elasticity (x/N) dN/dx"}


def run(capsys, argv: list[str]) -> str:
    assert main(argv) == 0, argv
    out, err = capsys.readouterr()
    return out


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def expected(argv: list[str], data: dict) -> list[int | float]:
    """The figures each command's tables show, read from its JSON in the order the tables show them."""
    command = argv[0]
    if command == "table":
        return [v for r in data["rows"] for v in r.values()]
    if command == "sensitivity":
        return [v for s in data["symbols"] if s["differentiable"]
                for v in ([s["derivative_value"]] if isinstance(s["derivative_value"], int) else [])
                + [s["elasticity_value"]]]
    if command == "flops":
        convs = data.get("conventions", [data])
        out: list[int | float] = [v for c in convs for v in (c["forward_per_token"], c["train_per_token"])]
        out += [c["train_total"] for c in convs if "train_total" in c]
        out += [c["forward_per_token"] for c in data.get("components", [])]
        out += [s["elasticity_value"] for s in data.get("sensitivity", []) if s["differentiable"]]
        d = data.get("dominance")
        if d:
            out += [d["embedding_params"], d["layer_params"], d["attention_flops"], d["mlp_flops"]]
            for key in ("width_crossover", "context_crossover"):
                if d[key] is not None:
                    out += [x for x in (_int(d[key]),) if x is not None] + [d[f"{key}_value"]]
        return out
    assert command == "memory"
    out = [data["weights_bytes"]]
    if data["training"]:
        out += [data["gradients_bytes"], data["optimizer_bytes"]]
        out += [data["activation_bytes"]] if data["activation_bytes"] is not None else []
    elif data["seq"] is not None:
        out.append(data["kv_cache_bytes"])
    out.append(data["total_bytes"])
    if data["parallel"]["gpus"] > 1:
        out.append(data["per_gpu_bytes"])
    out += [x for x in (_int(data["formula"]),) if x is not None]
    if not data["training"] and data["seq"] is not None:
        per_sequence = data["kv_state_bytes"] // data["batch"]
        out.append((data["kv_cache_bytes"] - data["kv_state_bytes"]) // (data["seq"] * data["batch"]))
        out += [per_sequence] if per_sequence else []
    if "budget_bytes" in data:
        out.append(data["budget_bytes"])
        out += [data[k] for k in ("max_context", "max_batch") if k in data]
    return out


# ---- each format read back as tables of cells ------------------------------------------------


def csv_tables(text: str) -> list[list[list[str]]]:
    """The CSV output's tables (a blank line between them), each parsed by the csv module, header first."""
    assert text.endswith("\n") and "\n\n\n" not in text
    return [list(csv.reader(io.StringIO(block))) for block in text.rstrip("\n").split("\n\n")]


def md_tables(text: str) -> list[list[list[str]]]:
    """The Markdown output's tables, parsed by markdown-it (GFM tables), as the text of their cells, header first."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed (pip install -e '.[test]')")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
    tables: list[list[list[str]]] = []
    inside = False
    for tok in tokens:
        if tok.type in ("table_open", "table_close"):
            inside = tok.type == "table_open"
            tables += [[]] if inside else []
        elif inside and tok.type == "tr_open":
            tables[-1].append([])
        elif inside and tok.type == "inline":
            tables[-1][-1].append(tok.content)
    return tables


def tex_tables(text: str) -> list[list[list[str]]]:
    """The tabulars' cells, header first (a caption row left out)."""
    tables = []
    for body in re.findall(r"\\begin\{tabular\}\{.*?\}\n(.*?)\\end\{tabular\}", text, re.S):
        rows = []
        for line in body.splitlines():
            if line.startswith(("\\toprule", "\\midrule", "\\bottomrule", "\\multicolumn")):
                continue
            line = re.sub(r" (\\\\|\\tabularnewline)$", "", line)
            rows.append([c.replace("\\raggedright ", "") for c in line.split(" & ")])
        tables.append(rows)
    return tables


def figures(tables: list[list[list[str]]], notation: str) -> list[tuple[int | float, str]]:
    """Every figure in a numeric column, with the text it was read from, in table and row order."""
    out = []
    for table in tables:
        header, *rows = table
        assert all(len(r) == len(header) for r in rows), table
        columns = [i for i, h in enumerate(header) if h.replace("\\", "") in NUMERIC]
        for row in rows:
            for i in columns:
                cell = row[i].replace("{,}", ",").replace("$-$", "-") if notation == "tex" else row[i]
                cell = cell if notation == "csv" else cell.replace(",", "")
                if re.fullmatch(r"-?\d+", cell):
                    out.append((int(cell), row[i]))
                elif re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", cell):
                    out.append((float(cell), row[i]))
    return out


def same_figures(shown: list[tuple[int | float, str]], json_figures: list[int | float], exact: bool) -> None:
    assert len(shown) == len(json_figures), (shown, json_figures)
    for (value, text), want in zip(shown, json_figures):
        if isinstance(want, int):
            assert value == want, (text, want)
        elif exact:
            assert value == want, (text, want)  # CSV carries every digit of a float, as JSON does
        else:
            places = len(text.rsplit(".", 1)[1])
            assert abs(value - want) <= 0.5 * 10**-places + 1e-12, (text, want)


@pytest.fixture(scope="module")
def outputs():
    """Each case in every format, run once for the module."""
    return {}


def _all(case: list[str], capsys) -> dict[str, str]:
    out = {fmt: run(capsys, [*case, "--format", fmt]) for fmt in ("text", "md", "csv", "json", "tex")}
    out["--json"] = run(capsys, [*case, "--json"])
    return out


@pytest.mark.sampled
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_format_parses_and_carries_the_json_figures(case, capsys, outputs):
    out = _all(case, capsys)
    outputs[tuple(case)] = out
    assert out["--json"] == out["json"]
    data = json.loads(out["json"])
    want = expected(case, data)
    assert want, "the JSON gives figures to compare"
    same_figures(figures(csv_tables(out["csv"]), "csv"), want, exact=True)
    same_figures(figures(md_tables(out["md"]), "md"), want, exact=False)
    same_figures(figures(tex_tables(out["tex"]), "tex"), want, exact=False)
    assert len(md_tables(out["md"])) == len(csv_tables(out["csv"])) == len(tex_tables(out["tex"]))
    words = set(out["text"].replace("\n", " ").split(" "))
    for value in want:
        shown = [f"{value:,}"] if isinstance(value, int) else [f"{value:,.4f}", f"{value:,.2f}"]
        assert any(s in words or s in out["text"] for s in shown), (shown, case)


def test_the_tabulars_compile_without_overfull_boxes(capsys, tmp_path):
    """Every case's tex output, set one after another on the page of symparams' own documents (A4, 2.5 cm margins)."""
    from pdflatex import problems, tools

    tools()
    parts = [run(capsys, [*case, "--format", "tex"]) for case in CASES]
    doc = PAGE + "\n\\bigskip\n".join(parts) + "\n\\end{document}\n"
    assert not problems(doc, tmp_path)


# ---- escaping ----------------------------------------------------------------------------------

HOSTILE = "m|`x`$&_%#{}~^\\<b>[a](javascript:1)~~s~~\x1b]0;t\x07\u202eé"


def test_a_hostile_string_is_inert_in_every_format(tmp_path):
    """Text reaching a cell or a line is shown, never acted on: its control characters as escapes in text and
    CSV, its markup escaped in Markdown (rendered back to the same text), its specials escaped in LaTeX (compiling)."""
    from symparams.format import Facts, Grid, render, visible

    blocks = [HOSTILE, Grid(("name", "count"), ((HOSTILE, 12),)), Facts(((HOSTILE, HOSTILE),))]
    for fmt in ("text", "md", "csv", "tex"):
        out = render(blocks, fmt)
        assert all(c.isprintable() or c == "\n" for c in out), fmt
    assert render(blocks, "text").splitlines()[0] == visible(HOSTILE)
    assert csv_tables(render(blocks, "csv"))[0][1] == [visible(HOSTILE), "12"]
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed (pip install -e '.[test]')")
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(
        render(blocks, "md"))  # GitHub's Markdown: tables, and ~~ striking through
    assert "<b>" not in rendered and "href" not in rendered and "<s>" not in rendered
    first = re.search(r"<p>(.*?)</p>", rendered, re.S)
    assert first and html.unescape(first.group(1)) == visible(HOSTILE)
    tex = render(blocks, "tex")
    assert "\\textbackslash{}" in tex and "\\input" not in tex
    from pdflatex import problems

    doc = PAGE + tex + "\\end{document}\n"
    assert not problems(doc, tmp_path)


def test_the_escapes_are_those_of_the_documents():
    """format's Markdown and LaTeX escapes write what report's (derive's documents, count) write."""
    from symparams.format import latex_text, md_text, visible
    from symparams.report.markdown import MD_SPECIALS
    from symparams.report.math import escape_latex

    assert md_text(HOSTILE) == visible(HOSTILE).translate(MD_SPECIALS)
    assert latex_text(HOSTILE) == escape_latex(HOSTILE)
    every = "".join(map(chr, range(0x20, 0x7f))) + "≈∂ε·×→—–"
    assert latex_text(every) == escape_latex(every)


@pytest.mark.parametrize("command", ["flops", "memory", "sensitivity"])
def test_a_hostile_model_path_is_escaped_in_every_format(command, tmp_path, capsys, monkeypatch):
    """A config folder named with Markdown, LaTeX and terminal specials: no control character reaches any
    output, the Markdown title renders back to the name as text, the tabulars name nothing of it."""
    from symparams.format import visible

    name = "m|`x`$&_\x1b]0;t\x07[a](javascript:1)"
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(Path(CONFIG).read_text())
    monkeypatch.chdir(tmp_path)
    argv = [command, name] + (["--seq", "64"] if command == "flops" else [])
    for fmt in ("text", "md", "csv", "tex"):
        out = run(capsys, [*argv, "--format", fmt])
        assert all(c.isprintable() or c == "\n" for c in out), fmt
        assert "\\x1b" not in out or fmt in ("text", "md")
    assert run(capsys, [*argv, "--format", "text"]).startswith(visible(name))
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is not installed (pip install -e '.[test]')")
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).render(run(capsys, [*argv, "--format", "md"]))
    first = re.search(r"<p>(.*?)</p>", rendered, re.S)
    assert first and html.unescape(re.sub("<[^>]+>", "", first.group(1))).startswith(visible(name))
    assert "href" not in rendered


# ---- the options ----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["table", "nanochat", "--format", "xml"],
    ["flops", "nanochat", "--format"],
    ["memory", "nanochat", "--json", "--format", "yaml"],
    ["sensitivity", "nanochat", "--format", "JSON"],
])
def test_a_bad_format_is_refused_in_one_line(argv, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "error:" in err


@pytest.mark.parametrize("command", [["table", "nanochat", "--depths", "4"], ["flops", "nanochat"],
                                     ["memory", "nanochat"], ["sensitivity", "nanochat"]])
def test_the_last_of_json_and_format_wins_as_argparse_reads_them(command, capsys):
    """--json is --format json: given with --format, the later one says the format."""
    as_json = run(capsys, [*command, "--format", "md", "--json"])
    assert json.loads(as_json) and as_json == run(capsys, [*command, "--format", "json"])
    assert run(capsys, [*command, "--json", "--format", "md"]) == run(capsys, [*command, "--format", "md"])
