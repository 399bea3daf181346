"""Notebook displays, executed: a small notebook run by a real kernel, exported to HTML, read back.

Every result object shows as a table. The notebook (examples/displays.ipynb holds the
same cells) is run with nbconvert's ExecutePreprocessor on a ``python3`` kernel that is
this interpreter importing this checkout, exported to HTML, and each result's table is
compared with the figures the API returns here, in process.
"""

from __future__ import annotations

import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import symparams
from symparams.format import grouped

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "displays.ipynb"
NEEDS = ("nbformat", "nbconvert", "nbclient", "ipykernel")

# The example notebook's code cells, in order; each of the last eight shows one result.
CELLS = (
    "import symparams\n"
    "from symparams.flops import flops\n"
    "from symparams.memory import memory\n"
    "from symparams.scaling.fit import Run, fit_law\n"
    "\n"
    "spec = symparams.model(\"nanochat\", depth=4)",
    "spec",
    "spec.breakdown()",
    "flops(spec, 1024)",
    "memory(spec, seq=1024, batch=2)",
    "symparams.optimal(\"1e21\")",
    "next(s for s in symparams.sensitivity(spec) if s.symbol.name == \"D\")",
    "symparams.fit_depth(\"nanochat\", 100_000_000)",
    "# a scaling law fitted to twelve runs drawn from Chinchilla's own law\n"
    "runs = [Run(n, d, 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28)\n"
    "        for n in (1e7, 3e7, 1e8, 3e8) for d in (1e9, 3e9, 1e10)]\n"
    "fit_law(runs, resamples=0, refined=1)",
)
SHOWN = ("model", "breakdown", "flops", "memory", "optimum", "sensitivity", "fit", "law fit")


def _require() -> None:
    for name in NEEDS:
        pytest.importorskip(name, reason=f"{name} is not installed (pip install 'symparams[notebook]')")
    pytest.importorskip("scipy", reason="scipy is not installed (pip install 'symparams[fit]')")


def notebook(cells=CELLS, first: str | None = None):
    """A notebook of ``cells`` (and ``first``, a cell run before them), made with nbformat."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# symparams results in a notebook\n\n"
                                                  "Each result below displays as a table and as LaTeX."))
    if first is not None:
        nb.cells.append(nbformat.v4.new_code_cell(first))
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


class Tables(HTMLParser):
    """The text of every cell of every table of a page, table by table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _kernel_manager(folder: Path):
    """A python3 kernel that is this very interpreter, whatever kernelspecs the machine has installed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    return KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]),
                         connection_file=str(folder / "connection.json"))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook run by a kernel, and its HTML; the first cell says which Python and symparams ran."""
    _require()
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    folder = tmp_path_factory.mktemp("notebook")
    first = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport symparams\n"
             "print(sys.executable)\nprint(symparams.__file__)")
    nb = notebook(first=first)
    run = ExecutePreprocessor(timeout=120, kernel_name="python3")
    run.preprocess(nb, {"metadata": {"path": str(folder)}}, km=_kernel_manager(folder))
    html, _ = HTMLExporter().from_notebook_node(nb)
    (folder / "displays.html").write_text(html)
    return nb, html


def _results():
    """The same results, computed here."""
    from symparams.flops import flops
    from symparams.memory import memory
    from symparams.scaling.fit import Run, fit_law

    spec = symparams.model("nanochat", depth=4)
    runs = [Run(n, d, 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28) for n in (1e7, 3e7, 1e8, 3e8) for d in (1e9, 3e9, 1e10)]
    return {"model": spec, "breakdown": spec.breakdown(), "flops": flops(spec, 1024),
            "memory": memory(spec, seq=1024, batch=2), "optimum": symparams.optimal("1e21"),
            "sensitivity": next(s for s in symparams.sensitivity(spec) if s.symbol.name == "D"),
            "fit": symparams.fit_depth("nanochat", 100_000_000), "law fit": fit_law(runs, resamples=0, refined=1)}


def test_the_kernel_ran_this_python_and_this_checkout(executed):
    nb, _ = executed
    printed = nb.cells[1].outputs[0]["text"].split()
    assert printed == [sys.executable, symparams.__file__]


def test_every_result_shows_as_markdown_and_as_latex_in_the_notebook(executed):
    nb, _ = executed
    shown = nb.cells[-len(SHOWN):]
    for name, cell in zip(SHOWN, shown):
        data = [o for o in cell.outputs if o["output_type"] == "execute_result"]
        assert len(data) == 1, (name, cell.outputs)
        assert "text/markdown" in data[0]["data"] and "text/latex" in data[0]["data"], name
        assert data[0]["data"]["text/latex"].startswith("$"), name


def _row(table: list[list[str]], first: str) -> list[str]:
    rows = [r for r in table if r and r[0] == first]
    assert len(rows) == 1, (first, table)
    return rows[0]


def test_each_result_is_a_table_in_the_html_with_the_figures_the_api_returns(executed):
    _, html = executed
    parser = Tables()
    parser.feed(html)
    tables = parser.tables
    assert len(tables) == len(SHOWN), [t[:2] for t in tables]
    got = dict(zip(SHOWN, tables))
    r = _results()

    spec = r["model"]
    assert grouped(spec.total) in _row(got["model"], "total")[4]
    for table in (got["model"], got["breakdown"]):
        counts = [row[4] for row in table[1:-1]]
        assert counts == [grouped(row.total) for row in spec.breakdown().rows]
        assert _row(table, "total")[4] == grouped(spec.total)

    f = r["flops"]
    assert _row(got["flops"], "forward")[2].startswith(grouped(f.forward))
    assert _row(got["flops"], "training (3 x forward)")[2].startswith(grouped(f.train))

    m = r["memory"]
    parts = {"weights": m.weights_bytes, "gradients": m.gradients_bytes, "optimizer state": m.optimizer_bytes,
             "activations": m.activation_bytes}
    for part, value in parts.items():
        assert _row(got["memory"], part)[2].startswith(grouped(value)), part
    assert _row(got["memory"], "total")[2].startswith(grouped(m.total_bytes))

    o = r["optimum"]
    from symparams.format import human

    assert _row(got["optimum"], "compute C (FLOPs)")[1].startswith(grouped(int(o.compute)))
    assert _row(got["optimum"], "parameters N*")[1] == human(int(round(o.params)))
    assert _row(got["optimum"], "training tokens D*")[1] == human(int(round(o.tokens)))

    s = r["sensitivity"]
    assert _row(got["sensitivity"], "∂N/∂D")[2] == f"{int(s.derivative_value):,}"

    fit = r["fit"]
    assert _row(got["fit"], "parameters")[1].startswith(grouped(fit.params))
    assert _row(got["fit"], "chosen depth")[1] == f"{fit.size:,}"

    law = r["law fit"]
    for name in ("E", "A", "B", "alpha", "beta"):
        assert _row(got["law fit"], name)[1] == f"{law.constants[name]:.6g}", name


def test_the_example_notebook_holds_the_cells_tested():
    """examples/displays.ipynb is this notebook, unexecuted (regenerate it with ``python tests/test_notebook.py``)."""
    pytest.importorskip("nbformat", reason="nbformat is not installed (pip install 'symparams[notebook]')")
    import nbformat

    example = nbformat.read(EXAMPLE, as_version=4)
    assert [c.source for c in example.cells if c.cell_type == "code"] == list(CELLS)
    assert all(not c.get("outputs") for c in example.cells if c.cell_type == "code")


if __name__ == "__main__":
    import nbformat

    EXAMPLE.parent.mkdir(exist_ok=True)
    nb = notebook()
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nbformat.write(nb, EXAMPLE)
