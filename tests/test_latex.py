"""LaTeX export: symbol names as papers write them, the align environment, Jupyter reprs."""

from __future__ import annotations

from pathlib import Path

import pytest
from budget import sample
from pdflatex import problems

import symparams
from symparams.cli import main
from symparams.latex import align, latex, spec_latex, standalone
from symparams.symbols import SYMBOLS

DERIVATIONS = Path(__file__).resolve().parent.parent / "derivations"


def test_symbols_are_typeset_v_d_l_h_h_kv_e_d_h():
    names = {n: latex(SYMBOLS[n]) for n in ("V", "D", "L", "H", "H_kv", "e", "d_h")}
    assert names == {"V": "V", "D": "D", "L": "L", "H": "H", "H_kv": r"H_{\mathrm{kv}}", "e": "e", "d_h": "d_h"}


def test_the_align_has_a_row_for_the_total_every_component_and_every_derived_size():
    spec = symparams.model("nanochat", depth=20)
    body = align(spec)
    rows = body.splitlines()[1:-1]
    assert body.startswith(r"\begin{align}") and body.endswith(r"\end{align}")
    assert len(rows) == 1 + len(spec.breakdown().rows) + len(spec.relations)
    assert rows[0] == r"N &= 2 D^{2} L \left(e + 2\right) + 2 D V \\"
    assert r"N_{\mathrm{attn.q}} &= D^{2} \qquad (\times L) \notag \\" in rows
    assert r"d_h &= \frac{D}{H} \notag \\" in rows


@pytest.mark.parametrize("name", ["nanochat", "gpt2", "llama-2-7b", "mixtral-8x7b"])
def test_the_align_numbers_one_equation_per_result(name):
    """N (and A for a mixture) carry the numbers; component and size rows are \notag; align* numbers nothing."""
    spec = symparams.model(name)
    rows = align(spec, values=True).splitlines()[1:-1]
    numbered = [r for r in rows if r"\notag" not in r]
    results = 2 if spec.active_total != spec.total else 1
    assert len(numbered) == results
    assert numbered[0].startswith("&") or numbered[0].startswith("N &=")
    assert r"\notag" not in align(spec, environment="align*")


def test_a_mixture_of_experts_has_its_active_parameter_row():
    spec = symparams.model("mixtral-8x7b")
    body = align(spec, values=True)
    active = next(i for i, r in enumerate(body.splitlines()) if r.startswith("A &="))
    rows = body.splitlines()[active:]
    end = next(i for i, r in enumerate(rows) if r"\notag" not in r)
    assert f"{spec.active_total:,}".replace(",", "{,}") in rows[end]
    assert "A &=" not in align(symparams.model("llama-2-7b"))


def test_values_put_each_rows_exact_count_after_its_formula():
    spec = symparams.model("nanochat", depth=20)
    body = align(spec, values=True)
    for row in spec.breakdown().rows:
        if row.formula.free_symbols:
            assert f"{row.count:,}".replace(",", "{,}") in body


def test_the_latex_command_prints_the_align_and_refuses_bad_input(capsys):
    assert main(["latex", "nanochat", "--depth", "20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\begin{align}") and "H_{\\mathrm{kv}}" not in out.split("\n")[1]
    assert main(["latex", "nanochat", "--depth", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symparams: error:") and err.count("\n") == 1


def test_gqa_models_show_h_kv_and_d_h_in_their_formulas(capsys):
    """A head size the config states (Gemma's head_dim) and one that follows D/H (Llama) both stay d_h in
    the formulas, beside H_kv; Llama's relation is shown too."""
    assert main(["latex", "gemma-7b"]) == 0
    assert r"H_{\mathrm{kv}} d_h" in capsys.readouterr().out
    assert main(["latex", "llama-2-7b"]) == 0
    out = capsys.readouterr().out
    assert r"H_{\mathrm{kv}} d_h" in out.splitlines()[1] and r"d_h &= \frac{D}{H}" in out


def test_the_help_text_prints_times_as_written(capsys):
    """A docstring's \\t once became a tab: "e.g. <tab>imes L"."""
    assert main(["latex", "--help"]) == 0
    out = capsys.readouterr().out
    assert r"(\times" in out and "\t" not in out and "imes" not in out.replace(r"\times", "")


def _compile(tex: str, tmp_path, name: str = "doc") -> None:
    found = problems(tex, tmp_path, name)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", sample(symparams.names(), "standalone aligns"))
def test_the_standalone_align_of_every_model_compiles_to_full_pages_within_the_margins(name, tmp_path, capsys):
    assert main(["latex", name, "--values", "--standalone"]) == 0
    _compile(capsys.readouterr().out, tmp_path)


@pytest.mark.parametrize("doc", sorted(p.name for p in DERIVATIONS.glob("*.tex")))
def test_every_latex_derivation_compiles_to_full_pages_within_the_margins(doc, tmp_path):
    _compile((DERIVATIONS / doc).read_text(encoding="utf-8"), tmp_path, doc[:-4])


def test_names_in_a_latex_derivation_copy_out_of_its_pdf_with_their_underscores(tmp_path):
    """Module paths and field names are set in typewriter type with their underscores; where Latin Modern is
    installed the document uses T1 encoding, so each underscore is a character that text copied from the PDF
    keeps (OT1 draws it as a rule, which copies as nothing)."""
    import re
    import shutil
    import subprocess

    if shutil.which("kpsewhich") is None or not subprocess.run(
            ["kpsewhich", "t1lmr.fd"], capture_output=True, text=True).stdout.strip():
        pytest.skip("Latin Modern (lmodern) is not installed; CI installs it with texlive's recommended fonts")
    tex = symparams.derive(symparams.model("qwen3-30b-a3b"), "tex")
    assert not problems(tex, tmp_path)
    names = {re.sub(r"\\allowbreak\{\}", "", n).replace("\\_", "_")
             for n in re.findall(r"\\texttt\{([^{}]*(?:\{\}[^{}]*)*)\}", tex) if "\\_" in n}
    names = {n for n in names if re.fullmatch(r"[\w.]+", n)}
    assert len(names) >= 5, names
    text = subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    copied = re.sub(r"\s", "", text)
    assert sorted(n for n in names if n not in copied) == []


# Each model derived in derivations/ (most kept as Markdown) is compiled as LaTeX too, by
# tests/test_derive.py, from the documents it builds once to compare and check.


def test_the_compile_check_catches_a_line_past_the_margin_a_stretched_line_a_warning_and_an_empty_page(tmp_path):
    """The checker can fail: each fault it looks for, planted in a document that compiles."""
    body = "\\begin{document}\nText.\n%s\n\\end{document}\n"
    head = "\\documentclass{article}\n"
    assert not problems(head + body % "", tmp_path / "ok")
    wide = head + body % ("\\hbox{" + "x" * 200 + "}")
    assert any("Overfull" in p for p in problems(wide, tmp_path / "wide"))
    stretched = head + "\\sloppy\n" + body % ("\\par Word \\texttt{" + "x" * 50 + "} \\texttt{" + "y" * 50 + "}")
    assert any("Underfull" in p for p in problems(stretched, tmp_path / "stretched"))
    warned = head + body % "\\ref{nowhere}"
    assert any("Warning" in p for p in problems(warned, tmp_path / "warned"))
    empty = head + body % "\\newpage\\null\\thispagestyle{empty}\\newpage More."
    assert any("empty" in p for p in problems(empty, tmp_path / "empty"))


def test_spec_latex_repr_is_display_math_with_the_exact_total():
    spec = symparams.model("nanochat", depth=20)
    shown = spec._repr_latex_()
    assert shown == spec_latex(spec)
    assert shown.startswith("$$") and shown.endswith("$$")
    assert "560{,}988{,}160" in shown and r"\approx 561\,\mathrm{M}" in shown


def test_the_latex_repr_of_a_mixture_shows_its_active_parameters():
    spec = symparams.model("mixtral-8x7b")
    assert f"{spec.active_total:,}".replace(",", "{,}") in spec._repr_latex_()


def test_markdown_reprs_typeset_every_formula_and_state_every_count():
    spec = symparams.model("nanochat", depth=20)
    md = spec._repr_markdown_()
    table = spec.breakdown()._repr_markdown_()
    assert table in md and "**560,988,160**" in md
    rows = [line for line in table.splitlines() if line.startswith("|")][2:-1]
    assert len(rows) == len(spec.breakdown().rows)
    for line, row in zip(rows, spec.breakdown().rows):
        assert f"| {row.total:,} |" in line and f"${latex(row.formula)}$" in line


def test_a_latex_document_compiles_even_for_an_awkward_title(tmp_path):
    spec = symparams.model("nanochat", depth=4)
    _compile(standalone(align(spec), title="50% of {x}_y & #z ~ ^"), tmp_path)


def test_latex_reprs_are_fast_enough_for_a_notebook():
    import time

    spec = symparams.model("nanochat", depth=20)
    start = time.perf_counter()
    spec._repr_latex_(), spec._repr_markdown_()
    assert time.perf_counter() - start < 5




# ---- notebook displays of every result -----------------------------------------------------

def _results():
    from symparams.analysis import sensitivity, size_for_budget
    from symparams.families import FAMILIES
    from symparams.flops import dominance, flops
    from symparams.gpus import GPUS
    from symparams.memory import memory
    from symparams.scaling import fit_depth, optimal
    from symparams.scaling.fit import Run, fit_law
    from symparams.timing import hardware, inference_time, training_time

    pytest.importorskip("scipy", reason="scipy is not installed (pip install 'symparams[fit]')")
    spec = symparams.model("nanochat", depth=20)
    h100 = hardware(GPUS["h100-sxm"])
    runs = [Run(n, d, 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28) for n in (1e7, 1e8, 1e9) for d in (1e9, 1e10)]
    return spec, {
        "Flops": flops(spec, 2048),
        "Dominance": dominance(spec, 2048),
        "LawFit": fit_law(runs, resamples=0, refined=1),
        "Training": training_time(spec, 11_220_000_000, h100, seq=2048, gpus=8),
        "Inference": inference_time(spec, h100, prompt=512, context=2048, batch=4),
        "Memory": memory(spec),
        "Optimum": optimal("1e21"),
        "Fit": fit_depth(FAMILIES.by_name["nanochat"], 560_000_000),
        "Sensitivity": next(s for s in sensitivity(spec) if s.symbol.name == "D"),
        "Sizing": size_for_budget(lambda d: symparams.model("nanochat", depth=d), 500_000_000, knob="depth"),
    }


def test_every_result_displays_as_a_table_with_its_exact_figures_and_as_latex():
    from symparams.display import RESULTS
    from symparams.format import display

    spec, results = _results()
    assert sorted(results) == sorted(name for _, name in RESULTS)
    for name, obj in results.items():
        md, tex = display(obj, "markdown"), display(obj, "latex")
        assert md and "|---" in md, name
        assert tex.startswith("$$") and tex.endswith("$$") and r"\begin{aligned}" in tex, name
    f, m = results["Flops"], results["Memory"]
    assert f"{f.train:,}" in display(f, "markdown") and f"{f.train:,}".replace(",", "{,}") in display(f, "latex")
    assert f"{m.total_bytes:,}" in display(m, "markdown")
    assert f"{results['Fit'].params:,}" in display(results["Fit"], "markdown")
    assert "745,472" in display(results["Sensitivity"], "markdown")  # dN/dD = 2(2DLe + 4DL + V) at d20
    assert "437,649,408" in display(results["Sizing"], "markdown")  # nanochat d18, the largest within 500M
    d, law = results["Dominance"], results["LawFit"]
    assert f"{d.embedding_params:,}" in display(d, "markdown") and f"{d.mlp_flops:,}" in display(d, "markdown")
    assert f"| alpha | {law.constants['alpha']:.6g} |" in display(law, "markdown")
    train, serve = results["Training"], results["Inference"]
    assert f"{train.training_flops:,}" in display(train, "markdown")
    assert f"{float(train.seconds) / 3600:.3g} hours" in display(train, "markdown")
    assert f"{serve.kv_read_bytes:,}" in display(serve, "markdown")


def test_ipython_shows_every_result_through_its_own_formatters():
    """Registered by class name with IPython's formatters: no reading imports output code."""
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    from symparams.display import register_ipython

    shell = InteractiveShell.instance()
    assert register_ipython(shell)
    spec, results = _results()
    for name, obj in [("Spec", spec), ("Breakdown", spec.breakdown()), *results.items()]:
        data, _ = shell.display_formatter.format(obj)
        assert "text/markdown" in data and "text/latex" in data, name
        assert "|" in data["text/markdown"] and data["text/latex"].startswith("$$"), name


def _learned_field_symbols() -> list[tuple[str, str]]:
    """(model type, field) for every field a shipped learned family reads under its own name, not a project symbol,
    that is not one letter with a one-word subscript (a tally such as ``L_dense`` is typeset so)."""
    from symparams.families.learned import learned, shipped
    from symparams.families.learned.data import symbol_for

    return [(t, name) for t in sorted(shipped()) for name in learned(t).names
            if symbol_for(name) not in SYMBOLS.values() and (len(name.partition("_")[0]) > 1 or name.count("_") > 1)]


@pytest.mark.parametrize("model_type, field", sample(_learned_field_symbols(), "learned field symbols"))
def test_a_config_field_a_learned_family_reads_is_typeset_as_its_name(model_type, field):
    """SymPy would read ``type_vocab_size`` as ``type`` with the subscript ``vocab size``: a field is set upright,
    its underscores kept, in every LaTeX the project writes (the latex command and the derivation's)."""
    from symparams.families.learned.data import symbol_for
    from symparams.report.math import Form, form_latex

    expr = 2 * symbol_for(field) + SYMBOLS["D"]
    want = r"\mathrm{" + field.replace("_", r"\_") + "}"
    assert want in latex(expr) and want in form_latex(Form(expr)), (model_type, field)
