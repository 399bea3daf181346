"""Notebook displays: how each result object renders in Jupyter, registered by format.

The objects themselves (Spec, Breakdown, and the readings' results: FLOPs, memory,
an optimum, a fit, a sensitivity, a sizing) know no output format. Renderers are
registered here with :func:`symparams.format.register_display`, the way pint
registers its formatters, and reached two ways: Spec and Breakdown ask
:func:`symparams.format.display` from their ``_repr_*_`` methods; for the other
results, :func:`register_ipython` tells IPython's own formatters about them by
module and class name (done on import inside a running IPython, or with
``%load_ext symparams.display``), so no reading module imports any output code.

Every renderer gives a Markdown table with exact counts and a LaTeX display whose
formulas come from the same objects. Renderers import their output code on first
use, so registering costs nothing.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Any, Callable, Sequence

from .format import display, register_display, significant

__all__ = ["RESULTS", "register_ipython", "load_ipython_extension"]

# Result classes without display hooks of their own: (module that defines the class, class name), for IPython,
# which matches a class by its ``__module__``, not by the package that re-exports it.
RESULTS = (
    ("symparams.flops", "Flops"),
    ("symparams.flops", "Dominance"),
    ("symparams.memory", "Memory"),
    ("symparams.scaling.result", "Optimum"),
    ("symparams.scaling.sizing", "Fit"),
    ("symparams.scaling.fit", "LawFit"),
    ("symparams.analysis", "Sensitivity"),
    ("symparams.analysis", "Sizing"),
    ("symparams.timing", "Training"),
    ("symparams.timing", "Inference"),
)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], align: str) -> str:
    """A Markdown pipe table; cells are already escaped."""
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _text(s: object) -> str:
    from .format import MD_SPECIALS

    return str(s).translate(MD_SPECIALS)


def _math(expr: Any) -> str:
    from .report.math import form_latex

    return f"${form_latex(expr)}$"


def _count(n: int) -> str:
    from .format import grouped, human

    return f"{grouped(n)} ({human(n)})" if abs(n) >= 10_000 else grouped(n)


def _num(n: int) -> str:
    from .report.math import number_latex

    return number_latex(n)


def _aligned(rows: list[str]) -> str:
    return r"$$\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}$$"


@register_display("Spec", "latex")
def _spec_latex(spec: Any) -> str:
    from .latex import spec_latex

    return spec_latex(spec)


@register_display("Spec", "markdown")
def _spec_markdown(spec: Any) -> str:
    from .report.jupyter import spec_markdown

    return spec_markdown(spec)


@register_display("Breakdown", "markdown")
def _breakdown_markdown(bd: Any) -> str:
    from .report.jupyter import breakdown_markdown

    return breakdown_markdown(bd)


@register_display("Breakdown", "latex")
def _breakdown_latex(bd: Any) -> str:
    from .latex import align

    return "$$" + align(bd.spec, values=True, environment="aligned") + "$$"


@register_display("Breakdown", "text")
def _breakdown_text(bd: Any) -> str:
    from .breakdown import table

    return table(bd)


@register_display("Flops", "markdown")
def _flops_markdown(f: Any) -> str:
    from .format import grouped

    rows = [("forward", _math(f.forward_form), _count(f.forward)), ("training (3 x forward)", _math(f.train_form),
                                                                   _count(f.train))]
    head = (f"**{_text(f.model)}**: FLOPs per token, {_text(f.convention.name)} convention "
            f"({_text(f.convention.source)}), at T = {grouped(f.seq)}" + (", causal" if f.causal else ""))
    return head + "\n\n" + _table(("pass", "formula", "FLOPs per token"), rows, "llr")


@register_display("Flops", "latex")
def _flops_latex(f: Any) -> str:
    from .report.math import form_latex

    return _aligned([rf"F_{{\text{{forward}}}} &= {form_latex(f.forward_form)} = {_num(f.forward)}",
                     rf"F_{{\text{{train}}}} &= {form_latex(f.train_form)} = {_num(f.train)}"])


# Memory kinds in the order they add up: (label, field of Memory, key of its formulas).
_MEMORY_KINDS = (("weights", "weights_bytes", "weights"), ("gradients", "gradients_bytes", "gradients"),
                 ("optimizer state", "optimizer_bytes", "optimizer"), ("activations", "activation_bytes", "activation"),
                 ("KV cache", "kv_cache_bytes", "kv_cache"))


def _memory_rows(m: Any) -> list[tuple[str, Any, int]]:
    formulas = getattr(m, "formulas", {})
    rows = []
    for label, name, key in _MEMORY_KINDS:
        value = getattr(m, name, None)
        if value:
            rows.append((label, formulas.get(key), value))
    return rows


@register_display("Memory", "markdown")
def _memory_markdown(m: Any) -> str:
    from .memory import gib

    rows = [(label, _math(form) if form is not None else "", _count(v), gib(v)) for label, form, v in _memory_rows(m)]
    rows.append(("**total**", _math(m.formula), f"**{_count(m.total_bytes)}**", gib(m.total_bytes)))
    what = "training" if m.training else "inference"
    head = f"**{_text(m.model)}**: bytes for {what} in {_text(m.dtype)}" + (
        f", T = {m.seq:,}, B = {m.batch:,}" if m.seq else "")
    return head + "\n\n" + _table(("part", "formula", "bytes", "GiB"), rows, "llrr")


@register_display("Memory", "latex")
def _memory_latex(m: Any) -> str:
    from .report.math import form_latex

    return _aligned([rf"M &= {form_latex(m.formula)}", rf"&= {_num(m.total_bytes)}\ \text{{bytes}}"])


def _rounded(x: float) -> str:
    """A real-valued optimum (N*, D*) rounded to three figures with a unit: 1.82B."""
    from .format import human

    return human(int(round(x))) if x >= 1 else f"{x:.3g}"


def _sci_latex(x: float) -> str:
    mantissa, exp = f"{x:.3e}".split("e")
    return rf"{float(mantissa):.3g} \times 10^{{{int(exp)}}}"


@register_display("Optimum", "markdown")
def _optimum_markdown(o: Any) -> str:
    compute = _count(int(o.compute)) if o.compute.is_Integer else _text(o.compute)
    rows = [("compute C (FLOPs)", compute), ("parameters N*", _rounded(o.params)),
            ("training tokens D*", _rounded(o.tokens)), ("tokens per parameter", f"{o.tokens_per_param:.4g}")]
    if o.loss is not None:
        rows.append(("loss", f"{o.loss:.4g}"))
    n_form, d_form = o.formula()
    return (f"**compute-optimal size**, {_text(o.law)} law: N* = `{n_form}`, D* = `{d_form}`\n\n"
            + _table(("quantity", "value"), rows, "lr"))


@register_display("Optimum", "latex")
def _optimum_latex(o: Any) -> str:
    return _aligned([rf"C &= {_sci_latex(float(o.compute))}", rf"N^* &\approx {_sci_latex(o.params)}",
                     rf"D^* &\approx {_sci_latex(o.tokens)}"])


@register_display("Fit", "markdown")
def _fit_markdown(f: Any) -> str:
    def side(o: Any) -> str:
        return "" if o is None else f"{f.knob} = {o[0]:,}: {_count(o[1])}"

    rows = [("target", _count(f.target)), (f"chosen {_text(f.knob)}", f"{f.size:,}"), ("parameters", _count(f.params)),
            ("model", _text(f.spec.name)), ("below", side(f.below)), ("above", side(f.above))]
    return "**size for a parameter target**\n\n" + _table(("", "value"), rows, "lr")


@register_display("Fit", "latex")
def _fit_latex(f: Any) -> str:
    from .report.math import form_latex

    return _aligned([rf"N &= {form_latex(f.spec.closed_form)}", rf"&= {_num(f.params)}"])


def _crossing_row(what: str, form: Any, value: Any) -> tuple[str, str, str]:
    from .report.math import number_text

    if form is None:
        return (what, "none", "")
    shown = number_text(value) if value is not None and value.is_Rational else (_text(f"{float(value):.6g}")
                                                                               if value is not None else "")
    return (what, _math(form), shown)


@register_display("Dominance", "markdown")
def _dominance_markdown(d: Any) -> str:
    rows = [("embedding + head parameters", "", _count(d.embedding_params)),
            ("layer parameters", "", _count(d.layer_params)),
            ("attention FLOPs per token (forward)", "", _count(d.attention_flops)),
            ("MLP FLOPs per token (forward)", "", _count(d.mlp_flops)),
            _crossing_row("width D where embeddings = layers", d.width_crossover, d.width_crossover_value),
            _crossing_row("context T where scores = weight matmuls", d.context_crossover, d.context_crossover_value)]
    return "**which term dominates**\n\n" + _table(("", "formula", "value"), rows, "llr")


@register_display("Dominance", "latex")
def _dominance_latex(d: Any) -> str:
    from .report.math import form_latex

    rows = [rf"N_{{\text{{embedding}}}} &= {_num(d.embedding_params)}", rf"N_{{\text{{layers}}}} &= {_num(d.layer_params)}",
            rf"F_{{\text{{attention}}}} &= {_num(d.attention_flops)}", rf"F_{{\text{{MLP}}}} &= {_num(d.mlp_flops)}"]
    for name, form, value in (("D", d.width_crossover, d.width_crossover_value),
                              ("T", d.context_crossover, d.context_crossover_value)):
        if form is not None:
            exact = value is not None and value.is_Rational
            shown = _num(value) if exact else _sci_latex(float(value))
            relation = "=" if exact else r"\approx"
            rows.append(rf"{name}_{{\times}} &= {form_latex(form)} {relation} {shown}")
    return _aligned(rows)


def _law_constants(f: Any) -> list[str]:
    from .scaling.fit import PARAMETERS

    return list(PARAMETERS[f.form])


@register_display("LawFit", "markdown")
def _law_fit_markdown(f: Any) -> str:
    rows = [(_text(name), f"{f.constants[name]:.6g}", f"{f.intervals[name][0]:.6g}", f"{f.intervals[name][1]:.6g}")
            for name in _law_constants(f)]
    rows += [(f"allocation {_text(k)}", f"{v:.6g}", "", "") for k, v in f.allocation.items()]
    head = (f"**{_text(f.form)} law fitted to {f.runs:,} runs** (Huber on log residuals, "
            f"{f.resamples:,} bootstrap resamples)")
    notes = "".join(f"\n\nnote: {_text(n)}" for n in f.notes)
    return head + "\n\n" + _table(("constant", "fit", "2.5%", "97.5%"), rows, "lrrr") + notes


def _g(x: float) -> str:
    mantissa, _, exp = f"{x:.4g}".partition("e")
    return mantissa + (rf" \times 10^{{{int(exp)}}}" if exp else "")


@register_display("LawFit", "latex")
def _law_fit_latex(f: Any) -> str:
    c, a = f.constants, f.allocation
    if f.form == "hoffmann":
        law = (rf"L(N, D) &= {_g(c['E'])} + \frac{{{_g(c['A'])}}}{{N^{{{_g(c['alpha'])}}}}}"
               rf" + \frac{{{_g(c['B'])}}}{{D^{{{_g(c['beta'])}}}}}")
    else:
        law = (rf"L(N, D) &= \left[\left(\frac{{{_g(c['N_c'])}}}{{N}}\right)^{{{_g(c['alpha_N'] / c['alpha_D'])}}}"
               rf" + \frac{{{_g(c['D_c'])}}}{{D}}\right]^{{{_g(c['alpha_D'])}}}")
    return _aligned([law, rf"N^* &\propto C^{{{_g(a['a'])}}}", rf"D^* &\propto C^{{{_g(a['b'])}}}"])


@register_display("Sensitivity", "markdown")
def _sensitivity_markdown(s: Any) -> str:
    from .report.math import decimal, number_text

    value = s.elasticity_value
    rows = [(f"∂N/∂{_text(s.symbol)}", _math(s.derivative), _text(number_text(s.derivative_value))),
            (f"elasticity of {_text(s.symbol)}", _math(s.elasticity),
             _text(decimal(_fraction(value))))]
    return _table(("", "formula", "value"), rows, "llr")


def _fraction(x: Any):
    from fractions import Fraction

    return Fraction(int(x.p), int(x.q))


@register_display("Sensitivity", "latex")
def _sensitivity_latex(s: Any) -> str:
    from .report.math import form_latex, number_latex

    x = form_latex(s.symbol)
    return _aligned([rf"\frac{{\partial N}}{{\partial {x}}} &= {form_latex(s.derivative)} = "
                     rf"{number_latex(s.derivative_value)}",
                     rf"\varepsilon_{{{x}}} &= {form_latex(s.elasticity)} = {number_latex(s.elasticity_value)}"])


@register_display("Sizing", "markdown")
def _sizing_markdown(s: Any) -> str:
    def side(o: Any) -> str:
        return "" if o is None else f"size {o[0]:,}: {_count(o[1])}"

    rows = [("budget", _count(s.budget)), ("largest size within it", side(s.below)),
            ("smallest size beyond it", side(s.above))]
    return _table(("", "value"), rows, "lr")


@register_display("Sizing", "latex")
def _sizing_latex(s: Any) -> str:
    rows = [rf"N_{{\text{{budget}}}} &= {_num(s.budget)}"]
    rows += [rf"N({o[0]}) &= {_num(o[1])}" for o in (s.below, s.above) if o is not None]
    return _aligned(rows)


def _seconds(x: Any) -> str:
    """A duration at a glance: seconds, hours or days, three figures, rounded from the exact time (a float
    overflows past 10^308 s, which hardware of 10^-60 FLOP/s reaches)."""
    seconds = Fraction(x)
    for unit, size in (("days", 86400), ("hours", 3600), ("s", 1), ("ms", Fraction(1, 1000))):
        if seconds >= size or unit == "ms":
            return f"{significant(seconds / size, 3)} {unit}"
    return ""  # pragma: no cover


def _hardware(hw: Any) -> str:
    return (f"{_text(hw.name)} ({significant(Fraction(hw.peak_flops), 3)} FLOP/s, "
            f"{significant(Fraction(hw.bandwidth), 3)} B/s; {_text(hw.source)})")


@register_display("Training", "markdown")
def _training_markdown(t: Any) -> str:
    rows = [("tokens", _count(t.tokens)), ("FLOPs per token (training)", _count(t.flops_per_token)),
            ("training FLOPs", _count(t.training_flops)), ("GPUs", f"{t.gpus:,}"),
            ("MFU", significant(Fraction(t.mfu), 3)), ("time", _seconds(t.seconds)),
            ("GPU-hours", significant(Fraction(t.gpu_hours), 4))]
    head = (f"**{_text(t.model)}**: training time at T = {t.seq:,}, {_text(t.convention)} convention, "
            f"on {_hardware(t.hardware)}")
    return head + "\n\n" + _table(("", "value"), rows, "lr")


@register_display("Training", "latex")
def _training_latex(t: Any) -> str:
    return _aligned([rf"C &= F_{{\text{{train}}}} \times D_{{\text{{tok}}}} = {_num(t.flops_per_token)} \times "
                     rf"{_num(t.tokens)} = {_num(t.training_flops)}",
                     rf"t &= \frac{{C}}{{G \cdot \mathrm{{MFU}} \cdot F_{{\text{{peak}}}}}} \approx "
                     rf"\text{{{_seconds(t.seconds)}}}"])


@register_display("Inference", "markdown")
def _inference_markdown(i: Any) -> str:
    rows = [("prefill FLOPs", _count(i.prefill_flops)), ("prefill bytes", _count(i.prefill_bytes)),
            ("prefill time", f"{_seconds(i.prefill_seconds)} ({i.prefill_bound}-bound)"),
            ("decode FLOPs per step", _count(i.decode_flops)), ("weights read per step", _count(i.weights_read_bytes)),
            ("KV cache read per step", _count(i.kv_read_bytes)),
            ("decode step", f"{_seconds(i.step_seconds)} ({i.decode_bound}-bound)"),
            ("decode tokens per second", significant(Fraction(i.decode_tokens_per_second), 4))]
    head = (f"**{_text(i.model)}**: prompt {i.prompt:,}, context {i.context:,}, batch {i.batch:,}, "
            f"{_text(i.dtype)} weights, {i.gpus:,} x {_hardware(i.hardware)}")
    return head + "\n\n" + _table(("", "value"), rows, "lr")


@register_display("Inference", "latex")
def _inference_latex(i: Any) -> str:
    return _aligned([rf"F_{{\text{{prefill}}}} &= {_num(i.prefill_flops)}",
                     rf"F_{{\text{{decode}}}} &= {_num(i.decode_flops)}",
                     rf"M_{{\text{{read}}}} &= {_num(i.weights_read_bytes)} + {_num(i.kv_read_bytes)}\ \text{{bytes}}"])


def _shown(fmt: str) -> Callable[[Any], str | None]:
    def show(obj: Any) -> str | None:
        return display(obj, fmt)

    return show


def register_ipython(shell: Any = None) -> bool:
    """Register the result displays with IPython's formatters (by name: no reading is imported).

    Returns whether a running IPython was found.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    for module, name in RESULTS:
        formatters["text/markdown"].for_type_by_name(module, name, _shown("markdown"))
        formatters["text/latex"].for_type_by_name(module, name, _shown("latex"))
    formatters["text/latex"].for_type_by_name("symparams.spec", "Breakdown", _shown("latex"))  # no hook of its own
    return True


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext symparams.display``: show every result object as a table and as LaTeX."""
    register_ipython(shell)


register_ipython()
