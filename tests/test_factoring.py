"""The cheap factoring proof gives exactly what ``sympy.factor`` gives, or nothing.

``symparams.factoring`` answers only when it has proven the polynomial left after the
contents is irreducible; every answer here is compared with ``sympy.factor`` itself,
structurally and as printed text, over random polynomials (irreducible, reducible and
rational ones) and over every formula that counting the real configs factors.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import sympy
from budget import sample
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from symparams import factoring
from symparams.cli import main

from strategies import CONFIGS

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
SYMBOLS = sympy.symbols("D E F H H_kv L L_d V d_h k")


@st.composite
def polynomials(draw, max_terms: int = 5) -> sympy.Expr:
    """A sparse polynomial in a few of SYMBOLS with small integer (sometimes rational) coefficients."""
    used = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=5, unique=True))
    terms = []
    for _ in range(draw(st.integers(1, max_terms))):
        coeff = draw(st.integers(-6, 6).filter(bool))
        powers = [s ** draw(st.integers(0, 2)) for s in used]
        terms.append(coeff * sympy.Mul(*powers))
    if draw(st.integers(0, 9)) == 0:
        terms.append(sympy.Rational(1, draw(st.integers(2, 5))) * used[0])
    return sympy.Add(*terms)


@st.composite
def products(draw) -> sympy.Expr:
    """An expanded product of one to three polynomials, times a number and a monomial."""
    factors = draw(st.lists(polynomials(), min_size=1, max_size=3))
    coeff = draw(st.integers(-12, 12).filter(bool))
    monomial = sympy.Mul(*(s ** draw(st.integers(0, 2)) for s in draw(st.lists(st.sampled_from(SYMBOLS), max_size=3))))
    return sympy.expand(coeff * monomial * sympy.Mul(*factors))


def same_as_sympy(expr: sympy.Expr, zero=sympy.expand) -> bool:
    """Whether the cheap path answered; when it did, its answer is sympy.factor's, to the printed character,
    and ``zero`` (expand; cancel for fractions) brings its difference from ``expr`` to 0."""
    fast = factoring._fast(expr)
    if fast is None:
        return False
    slow = sympy.factor(expr)
    assert fast == slow and str(fast) == str(slow), (expr, fast, slow)
    assert zero(fast - expr) == 0
    return True


@settings(max_examples=80, deadline=None)
@given(products())
def test_a_cheap_factoring_is_sympys(expr):
    same_as_sympy(expr)
    assert factoring.factor(expr) == sympy.factor(expr)


@given(st.lists(st.sampled_from(SYMBOLS), min_size=2, max_size=6, unique=True),
       st.integers(1, 30), st.integers(-3, 3).filter(bool))
def test_a_linear_form_times_contents_is_answered_cheaply(used, coeff, sign):
    """The shape of almost every formula (number x monomial x one irreducible sum) is proven without SymPy's factoring."""
    form = sympy.Add(*(i * s for i, s in enumerate(used, 1)))
    expr = sympy.expand(sign * coeff * used[0] * form)
    assert same_as_sympy(expr)


def test_a_product_of_two_sums_is_left_to_sympy():
    """A reducible sum is never answered by the cheap path (it cannot prove irreducibility)."""
    D, E, F, H = SYMBOLS[:4]
    assert factoring._fast(sympy.expand((D + E) * (F + H))) is None
    assert factoring.factor(sympy.expand((D + E) * (F + H))) == (D + E) * (F + H)


def reference_pretty(expr: sympy.Expr) -> sympy.Expr:
    """``spec.pretty`` as SymPy alone computes it: expand, collect each layer count, factor with sympy.factor."""
    expr = sympy.expand(expr)
    if not expr.free_symbols:
        return expr
    pivots = [s for s in sorted(expr.free_symbols, key=str) if s.name == "L" or s.name.startswith("L_")]
    return sympy.collect(expr, pivots, func=sympy.factor) if pivots else sympy.factor(expr)


def same_pretty(expr: sympy.Expr) -> bool:
    """Whether the integer-polynomial path answered; when it did, its answer is SymPy's, to the printed character."""
    from symparams.spec import _is_layer_count

    fast = factoring.pretty(expr, _is_layer_count)
    if fast is None:
        return False
    slow = reference_pretty(expr)
    assert fast == slow and str(fast) == str(slow), (expr, fast, slow)
    return True


LAYERED = st.sampled_from(SYMBOLS + sympy.symbols("L_s L_2"))


@st.composite
def sums_over_monomials(draw) -> sympy.Expr:
    """An expanded product divided term by term by a monomial, plus another such sum: symbols in denominators,
    as K and V widths write them when the head width is D/H (``D*H_kv/H``)."""
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        below = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=2))
        parts.append(sympy.expand(draw(products()) / sympy.Mul(*(s ** draw(st.integers(1, 2)) for s in below))))
    return sympy.Add(*parts)


@settings(max_examples=80, deadline=None)
@given(sums_over_monomials())
def test_a_sum_with_symbols_in_denominators_is_factored_as_sympy_factors_it(expr):
    same_as_sympy(expr, zero=sympy.cancel)
    assert factoring.factor(expr) == sympy.factor(expr)


def test_the_key_and_value_widths_of_a_kept_head_width_are_factored_cheaply():
    D, F, H, H_kv = (SYMBOLS[i] for i in (0, 2, 3, 4))
    assert same_as_sympy(4*D**2 + 4*D**2*H_kv/H + 4*D*F + 14*D + 4*D*H_kv/H + 2*F, zero=sympy.cancel)
    assert not same_as_sympy(2*D**2 + 2*D**2*H_kv/H + 2*D + 2*D*H_kv/H, zero=sympy.cancel)  # two factors: SymPy's


_D, _E, _F, _H, _H_kv, _L = SYMBOLS[:6]
_T, _K = sympy.symbols("T K_I")
# Terms sympy.factor takes as generators: rounded layer counts, a kernel's attended keys, one that expanding
# changes (left to SymPy), and clamps (a batch of one's mask, a window, a state kept or not).
_B = sympy.Symbol("B", positive=True, integer=True)
OPAQUE_TERMS = (sympy.floor(_L / 3), sympy.ceiling(_D / _H), sympy.floor(_L * (_E + 1)),
                sympy.Piecewise((_T / 2 + sympy.Rational(1, 2), _K >= _T), (_K - _K**2 / (2 * _T), True)),
                sympy.Min(1, _B - 1), sympy.Max(_T, _K), sympy.Min(_L, _K), sympy.Max(_T * (_K + 1), 1 - sympy.Min(1, _B - 1)))


@st.composite
def sums_with_opaque_terms(draw) -> sympy.Expr:
    """An expanded product with one or two of its symbols standing for a rounding or a piecewise term."""
    expr = draw(products())
    chosen = draw(st.lists(st.sampled_from(sorted(expr.free_symbols, key=str) or [_D]), min_size=1, max_size=2,
                           unique=True))
    return expr.xreplace({s: draw(st.sampled_from(OPAQUE_TERMS)) for s in chosen})


@settings(max_examples=80, deadline=None)
@given(sums_with_opaque_terms())
@example(expr=(_E + OPAQUE_TERMS[3]) * OPAQUE_TERMS[3] * _D + _F)  # expanding multiplies the Piecewise into itself
def test_a_sum_holding_roundings_or_piecewise_terms_is_factored_as_sympy_factors_it(expr):
    fast = factoring._through_opaque(expr)
    slow = sympy.factor(expr)
    if fast is not None:
        assert fast == slow and str(fast) == str(slow), (expr, fast, slow)
    assert factoring.factor(expr) == slow


def test_deepseek_v32_attended_keys_are_factored_cheaply():
    attended = OPAQUE_TERMS[3]
    expr = 6 * _D * _E + 6 * _H * _F * attended + 3 * _H * _T + 3 * _H
    fast = factoring._through_opaque(expr)
    assert fast is not None and fast == sympy.factor(expr) and str(fast).startswith("3*(")


@st.composite
def formulas(draw, depth: int = 2) -> sympy.Expr:
    """An unexpanded formula as a tree builds one: sums and products of sizes, layer counts and numbers."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(LAYERED, st.integers(-3, 12).map(sympy.Integer)))
    parts = draw(st.lists(formulas(depth - 1), min_size=2, max_size=4))
    if draw(st.booleans()):
        return sympy.Add(*parts)
    if draw(st.integers(0, 4)) == 0:
        return sympy.Pow(parts[0], draw(st.integers(1, 2)))
    return sympy.Mul(*parts)


@settings(max_examples=80, deadline=None)
@given(formulas(3))
def test_pretty_on_integer_polynomials_is_sympys(expr):
    """Collecting each layer count and factoring, done on integer polynomials, gives SymPy's expression."""
    same_pretty(expr)


@settings(max_examples=80, deadline=None)
@given(formulas(3), st.data())
def test_pretty_with_roundings_clamps_or_piecewise_terms_is_sympys(expr, data):
    """A memory or FLOPs formula holds terms SymPy takes as generators (``Min(1, B - 1)``, ``floor(L/3)``): standing
    in for each by a symbol of its name, collecting and factoring, and putting each back gives SymPy's expression."""
    chosen = data.draw(st.lists(st.sampled_from(sorted(expr.free_symbols, key=str) or [_D]), min_size=1,
                                max_size=2, unique=True))
    expr = expr.xreplace({s: data.draw(st.sampled_from(OPAQUE_TERMS)) for s in chosen})
    same_pretty(expr)


def test_every_formula_of_the_real_configs_is_pretty_as_sympy_makes_it(monkeypatch):
    """Counting the fixture configs (every one in CI): each formula the fast paths answer equals SymPy's."""
    from symparams import spec

    seen: dict = {}
    real = spec.pretty

    def spy(expr):
        seen.setdefault(expr, None)
        return real(expr)

    monkeypatch.setattr(spec, "pretty", spy)
    monkeypatch.setenv("SYMPARAMS_NO_CACHE", "1")
    real.cache_clear()
    try:
        for path in sample(sorted(FIXTURES.glob("*.json")), "formulas as sympy makes them"):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                main(["count", str(path), "--json"])
    finally:
        real.cache_clear()
    answered = [e for e in seen if same_pretty(e)]
    assert len(answered) > len(seen) * 3 // 4, "the integer-polynomial path should answer most real formulas"


@pytest.mark.parametrize("expr", [sympy.Integer(0), sympy.Integer(-4), SYMBOLS[0], -3 * SYMBOLS[0] ** 2 * SYMBOLS[1]])
def test_numbers_and_monomials_come_back_as_they_are(expr):
    assert same_as_sympy(expr)


def _report_text(cfg: dict) -> str:
    """``count --json``'s object for ``cfg``, computed afresh (every per-expression cache emptied first)."""
    import json

    from symparams import counting, spec
    from symparams.families import from_dict

    for cached in (spec.pretty, spec.text, counting._without):
        cached.cache_clear()
    return json.dumps(counting.report(from_dict(cfg)), indent=2)


@pytest.mark.parametrize("model_type", sample(sorted(CONFIGS), "cheap path byte-identical"))
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_count_json_is_byte_identical_without_the_cheap_path(model_type, data, monkeypatch):
    """Random configs of every family: ``count --json`` prints the same bytes with SymPy alone (no fast path)."""
    from symparams import spec

    cfg = data.draw(CONFIGS[model_type])
    cheap = _report_text(cfg)
    with monkeypatch.context() as m:
        m.setattr(factoring, "_fast", lambda expr: None)
        m.setattr(spec, "_poly_pretty", lambda expr, pivot: None)
        slow = _report_text(cfg)
    assert cheap == slow


@settings(max_examples=80, deadline=None)
@given(formulas(3))
def test_the_contents_taken_out_are_sympys_factor_terms(expr):
    """The non-embedding form's contents, taken out on integer polynomials, are sympy.factor_terms's."""
    fast = factoring.content_form(expr)
    if fast is not None:
        slow = sympy.factor_terms(sympy.expand(expr))
        assert fast == slow and str(fast) == str(slow), (expr, fast, slow)


@settings(max_examples=80, deadline=None)
@given(products(), st.data())
def test_compiled_collect_is_sympys_collect(expr, data):
    """Grouping an expanded polynomial's terms by a symbol's power gives sympy.collect's form, to the character."""
    from symparams.compiled.poly import collect

    x = data.draw(st.sampled_from(sorted(expr.free_symbols, key=str) or [SYMBOLS[0]]))
    for func in (factoring.factor, sympy.factor_terms):
        fast, slow = collect(expr, x, func), sympy.collect(expr, x, func=func)
        assert fast == slow and str(fast) == str(slow), (expr, x, fast, slow)


@settings(max_examples=80, deadline=None)
@given(products(), st.sampled_from([1, -1]))
@example(3 * SYMBOLS[0] * SYMBOLS[1] + SYMBOLS[2], -1)
def test_the_contents_of_any_signed_sum_are_sympys_factor_terms(expr, sign):
    """With every term negative too: factor_terms writes -(a + b), never -a - b."""
    expr = sympy.expand(sign * expr)
    fast = factoring.content_form(expr)
    if fast is not None:
        slow = sympy.factor_terms(expr)
        assert fast == slow and str(fast) == str(slow), (expr, fast, slow)


LAYER_COUNTS = sympy.symbols("L L_s L_d L_2")
PLAIN = [s for s in SYMBOLS if not s.name.startswith("L")]


@st.composite
def layer_stacks(draw) -> sympy.Expr:
    """Stacks of layers as a tree writes them: a few layer counts (and differences of them, as L - L_s
    copies are) each times a block's polynomial, blocks sometimes alike up to a number, plus other terms."""
    blocks = draw(st.lists(st.builds(lambda p: sympy.expand(p).subs(dict.fromkeys(LAYER_COUNTS, 1)),
                                     products()), min_size=1, max_size=3))
    terms = []
    for _ in range(draw(st.integers(1, 4))):
        count = sympy.Add(*(draw(st.integers(-3, 3)) * s for s in draw(
            st.lists(st.sampled_from(LAYER_COUNTS), min_size=1, max_size=2, unique=True))))
        terms.append(count * draw(st.integers(1, 4)) * draw(st.sampled_from(blocks)))
    if draw(st.booleans()):
        terms.append(draw(polynomials()).subs(dict.fromkeys(LAYER_COUNTS, 1)))
    return sympy.Add(*terms)


def _layer_terms(expr: sympy.Expr) -> dict[sympy.Symbol, sympy.Expr]:
    """Each layer count's coefficient in ``expr``, where it holds that count alone and only to the first power."""
    out = {}
    for term in sympy.Add.make_args(sympy.expand(expr)):
        held = [s for s in LAYER_COUNTS if term.has(s)]
        if len(held) == 1 and sympy.degree(term, held[0]) == 1:
            out[held[0]] = out.get(held[0], 0) + term / held[0]
    return out


@settings(max_examples=150, deadline=None)
@given(layer_stacks())
def test_layer_counts_of_one_block_are_written_as_one_product(expr):
    """The readable form keeps the value, and two layer counts whose coefficients are multiples of one
    polynomial in the sizes never stand apart in it: they share it, as (L - L_s) copies of a layer do."""
    from symparams.spec import pretty

    shown = pretty(expr)
    assert sympy.expand(shown - expr) == 0
    apart = {}
    for term in sympy.Add.make_args(shown):
        held = [s for s in LAYER_COUNTS if term.has(s)]
        if len(held) == 1 and sympy.degree(term, held[0]) == 1:
            apart[held[0]] = term / held[0]
    for a, b in ((a, b) for a in apart for b in apart if str(a) < str(b) and apart[a].free_symbols):
        ratio = sympy.cancel(apart[a] / apart[b])
        assert not ratio.is_number, (expr, shown, a, b)


@pytest.mark.parametrize("a,b", [(1, -1), (2, -2), (3, 1), (-1, 1)])
def test_the_copies_of_a_layer_kind_read_as_a_sum_of_layer_counts_times_the_block(a, b):
    """``a*L*X + b*L_s*X`` reads as one product: its whole-number content, the layer counts' sum, the block."""
    from symparams.spec import pretty

    D, E, F, H = PLAIN[:4]
    L, L_s = LAYER_COUNTS[:2]
    block = sympy.expand(D * (3 * F + 2 * H + E) + 2 * D)
    shown = pretty(a * L * block + b * L_s * block)
    assert isinstance(shown, sympy.Mul), shown
    counts = [f for f in shown.args if f.has(L)]
    content = (a * L + b * L_s).as_content_primitive()[0]
    assert len(counts) == 1 and counts[0] in {(a * L + b * L_s) / content, -(a * L + b * L_s) / content}, shown
    assert sympy.expand(shown - (a * L + b * L_s) * block) == 0


@pytest.mark.parametrize("name", sample(["llama-3-8b", "mixtral-8x7b", "deepseek-v3.2", "gemma-3-4b-it",
                                         "qwen3-next-80b-a3b-instruct", "nemotron-h-8b-base-8k", "jamba-v0.1"],
                                        "memory formulas as sympy makes them"))
def test_every_memory_formula_of_a_preset_is_pretty_as_sympy_makes_it(name):
    """Memory's formulas hold clamps (a batch of one's mask), roundings and a sparse kernel's piecewise keys: each
    one the fast path answers is SymPy's, to the printed character; a decoder of one kind of layer is answered."""
    import symparams
    from symparams.memory import memory

    forms = memory(symparams.model(name), seq=4096, batch=2, ssm_kernel="torch").forms
    opaque = [f for f in forms.values() if f.has(*factoring.OPAQUE)]
    answered = [same_pretty(f) for f in opaque]
    assert opaque and (all(answered) or name not in ("llama-3-8b", "mixtral-8x7b"))
