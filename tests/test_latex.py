"""LaTeX export: symbol names as papers write them, the align environment, Jupyter reprs."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import symparams
from symparams.cli import main
from symparams.latex import align, latex, spec_latex, standalone
from symparams.symbols import SYMBOLS


def test_symbols_are_typeset_v_d_l_h_h_kv_e_d_h():
    names = {n: latex(SYMBOLS[n]) for n in ("V", "D", "L", "H", "H_kv", "e", "d_h")}
    assert names == {"V": "V", "D": "D", "L": "L", "H": "H", "H_kv": "H_{kv}", "e": "e", "d_h": "d_h"}


def test_the_align_has_a_row_for_the_total_every_component_and_every_derived_size():
    spec = symparams.model("nanochat", depth=20)
    body = align(spec)
    rows = body.splitlines()[1:-1]
    assert body.startswith(r"\begin{align}") and body.endswith(r"\end{align}")
    assert len(rows) == 1 + len(spec.breakdown().rows) + len(spec.relations)
    assert rows[0] == r"N &= 2 D^{2} L \left(e + 2\right) + 2 D V \\"
    assert r"N_{\mathrm{attn.q}} &= D^{2} && \times L \\" in rows
    assert r"d_h &= \frac{D}{H} \\" in rows


def test_values_put_each_rows_exact_count_after_its_formula():
    spec = symparams.model("nanochat", depth=20)
    body = align(spec, values=True)
    for row in spec.breakdown().rows:
        if row.formula.free_symbols:
            assert f"{row.count:,}".replace(",", "{,}") in body


def test_the_latex_command_prints_the_align_and_refuses_bad_input(capsys):
    assert main(["latex", "nanochat", "--depth", "20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\begin{align}") and "H_{kv}" not in out.split("\n")[1]
    assert main(["latex", "nanochat", "--depth", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symparams: error:") and err.count("\n") == 1


def test_gqa_models_show_h_kv_and_d_h_in_their_formulas(capsys):
    """A head size the config states (Gemma's head_dim) and one that follows D/H (Llama) both stay d_h in
    the formulas, beside H_kv; Llama's relation is shown too."""
    assert main(["latex", "gemma-7b"]) == 0
    assert "H_{kv} d_h" in capsys.readouterr().out
    assert main(["latex", "llama-2-7b"]) == 0
    out = capsys.readouterr().out
    assert "H_{kv} d_h" in out.splitlines()[1] and r"d_h &= \frac{D}{H}" in out


def _compile(tex: str, tmp_path) -> None:
    exe = shutil.which("pdflatex")
    if exe is None:
        pytest.skip("pdflatex is not installed (CI installs texlive-latex-base)")
    (tmp_path / "f.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "f.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, "\n".join(line for line in run.stdout.splitlines() if line.startswith("!"))


@pytest.mark.parametrize("name", ["nanochat", "gpt2", "mixtral-8x7b"])
def test_the_standalone_align_compiles_with_pdflatex(name, tmp_path, capsys):
    assert main(["latex", name, "--values", "--standalone"]) == 0
    _compile(capsys.readouterr().out, tmp_path)


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


