"""Properties of the symbolic core, each checked against an independent count."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from symparams import SymparamsError, model
from symparams.analysis import crossover, sensitivity, size_for_budget
from symparams.families.nanochat import nanochat
from symparams.latex import latex
from symparams.symbols import D, H, H_kv, L, V, d_h, e

from oracle import NanochatConfig, nanochat_count, nanochat_groups
from strategies import nanochat_configs, overrides, spec_of


@given(nanochat_configs())
def test_closed_form_equals_the_shape_by_shape_count(c):
    """The substituted closed form equals the sum of every weight shape's product."""
    spec = spec_of(c)
    assert spec.total == nanochat_count(c)
    assert int(spec.closed_form.xreplace(spec.env)) == nanochat_count(c)


@given(nanochat_configs())
def test_breakdown_sums_to_the_total(c):
    """The top-level rows partition the model, and leaf groups match the enumerated shapes."""
    spec = spec_of(c)
    rows = spec.breakdown()
    assert sum(r.total for r in rows.top()) == spec.total
    assert sum(r.total for r in rows if r.is_leaf) == spec.total
    groups = {g: n for g, n in rows.groups().items() if n}
    assert groups == {g: n for g, n in nanochat_groups(c).items() if n}


@given(nanochat_configs(), st.sampled_from(["V", "D", "L", "e"]), st.integers(1, 50))
def test_derivatives_reproduce_the_exact_finite_difference(c, name, step):
    """N(x + h) - N(x) equals the Taylor sum of the exact derivatives (N is a polynomial in x)."""
    spec = spec_of(c)
    form, x = spec.closed_form, sympy.Symbol(name, **spec.symbols[[s.name for s in spec.symbols].index(name)].assumptions0)
    point = spec.env
    shifted = {**point, x: point[x] + step}
    difference = form.xreplace(shifted) - form.xreplace(point)
    taylor, k, deriv = sympy.Integer(0), 1, form
    while True:
        deriv = sympy.diff(deriv, x)
        if deriv == 0:
            break
        taylor += deriv.xreplace(point) * sympy.Integer(step) ** k / sympy.factorial(k)
        k += 1
    assert difference == taylor
    first = {s.symbol.name: s for s in sensitivity(spec)}[name]
    assert first.derivative_value == sympy.diff(form, x).xreplace(point)


@given(nanochat_configs())
def test_mqa_with_as_many_kv_heads_as_query_heads_is_mha(c):
    """Setting H_kv = H explicitly gives exactly the MHA model's count and closed form."""
    mha = nanochat(c.layers, overrides={**overrides(c), "H_kv": H})
    explicit = nanochat(c.layers, overrides={**overrides(c), "H_kv": sympy.Integer(c.heads)})
    assert mha.total == explicit.total
    assert sympy.simplify(mha.closed_form - explicit.closed_form.subs(H_kv, H)) == 0


@given(nanochat_configs(bias=False), st.sampled_from(["V", "L", "head_dim", "H_kv", "e"]))
def test_count_grows_with_every_size(c, knob):
    """Growing any size (vocab, depth, head width, kv heads, expansion) adds parameters."""
    bigger = {
        "V": lambda: NanochatConfig(c.vocab + 1, c.width, c.layers, c.heads, c.kv_heads, c.expansion),
        "L": lambda: NanochatConfig(c.vocab, c.width, c.layers + 1, c.heads, c.kv_heads, c.expansion),
        "head_dim": lambda: NanochatConfig(c.vocab, c.width + c.heads, c.layers, c.heads, c.kv_heads,
                                           Fraction(int(c.expansion) or 1)),
        "H_kv": lambda: NanochatConfig(c.vocab, c.width, c.layers, c.heads,
                                       next((k for k in range(c.kv_heads + 1, c.heads + 1) if c.heads % k == 0), c.kv_heads),
                                       c.expansion),
        "e": lambda: NanochatConfig(c.vocab, c.width, c.layers, c.heads, c.kv_heads, c.expansion + 1),
    }[knob]()
    assume(bigger != c)
    if knob == "head_dim":
        base = NanochatConfig(c.vocab, c.width, c.layers, c.heads, c.kv_heads, bigger.expansion)
        assert spec_of(bigger).total > spec_of(base).total
    else:
        assert spec_of(bigger).total > spec_of(c).total


def test_closed_form_is_provably_the_guides():
    """MHA: 2VD + L(4+2e)D^2. In general: 2VD + L(2D^2 + 2*D*H_kv*d_h + 2eD^2) with d_h = D/H. MQA attention: D(2D + 2d_h)."""
    mha = nanochat(20).closed_form
    assert sympy.simplify(mha - (2 * V * D + L * (4 + 2 * e) * D**2)) == 0
    general = nanochat(20, overrides={"H_kv": 1}).closed_form
    assert sympy.simplify(general - (2 * V * D + L * (2 * D**2 + 2 * D * H_kv * d_h + 2 * e * D**2)).subs(d_h, D / H)) == 0
    mqa = nanochat(20, overrides={"H_kv": 1})
    attention = mqa.substitute(mqa.node("blocks.block.attn").params()).subs(H_kv, 1)
    assert sympy.simplify(attention - D * (2 * D + 2 * d_h).subs(d_h, D / H)) == 0


def test_symbols_render_as_papers_write_them():
    assert latex(H_kv) == r"H_{\mathrm{kv}}"
    assert latex(d_h) == "d_h"
    assert latex(nanochat(20).closed_form) == "2 D^{2} L \\left(e + 2\\right) + 2 D V"


def test_rational_expansion_stays_exact_and_fractional_sizes_are_refused():
    """e = 8/3 is exact when 3 divides D; otherwise F = e*D is not whole and nothing is rounded."""
    ok = nanochat(24, overrides={"e": sympy.Rational(8, 3)})
    assert ok.env[sympy.Symbol("F", positive=True, integer=True)] == 8 * 64 * 24 // 3
    with pytest.raises(SymparamsError, match="not a whole number"):
        nanochat(20, overrides={"e": sympy.Rational(8, 3)}).total


@pytest.mark.parametrize("depth", [5, 9, 11, 13])
def test_depths_whose_heads_do_not_divide_the_width_are_refused(depth):
    with pytest.raises(SymparamsError, match="does not divide"):
        nanochat(depth).total


def test_kv_heads_must_divide_heads():
    with pytest.raises(SymparamsError, match="H_kv=3 does not divide H=10"):
        nanochat(20, overrides={"H_kv": 3}).total


@pytest.mark.parametrize("bad", [0, -4, sympy.Rational(1, 2)])
def test_sizes_must_be_positive_whole_numbers(bad):
    with pytest.raises(SymparamsError):
        nanochat(20, overrides={"V": sympy.sympify(bad)}).total


def test_width_where_embeddings_equal_layers():
    """2VD = L(4+2e)D^2 has the one positive root D = V/(L(e+2))."""
    spec = nanochat(20)
    emb = spec.formula(spec.node("wte")) + spec.formula(spec.node("lm_head"))
    layers = spec.formula(spec.node("blocks"))
    (root,) = crossover(emb, layers, D)
    assert sympy.simplify(root - V / (L * (e + 2))) == 0
    at = root.xreplace(spec.env)
    assert emb.xreplace({**spec.env, D: at}) == layers.xreplace({**spec.env, D: at})


@given(st.integers(10**6, 10**11))
def test_depth_for_a_budget_brackets_the_budget(budget):
    """The depths found below and above a budget are buildable, bracket it, and no buildable depth lies between."""
    sizing = size_for_budget(lambda n: nanochat(n), budget, lambda n: {D: 64 * n, L: n})
    below, above = sizing.below, sizing.above
    if below:
        assert below[1] == nanochat(below[0]).total <= budget
    assert above[1] == nanochat(above[0]).total >= budget
    for depth in range((below[0] if below else 0) + 1, above[0]):
        with pytest.raises(SymparamsError):
            nanochat(depth).total
    assert sizing.nearest in (below, above)


@given(nanochat_configs())
def test_a_dense_model_uses_every_parameter_for_every_token(c):
    """Without experts, active parameters are all parameters, and every stored matrix is multiplied."""
    spec = spec_of(c)
    assert spec.active_total == spec.total
    biases = nanochat_count(c) - nanochat_count(NanochatConfig(c.vocab, c.width, c.layers, c.heads, c.kv_heads, c.expansion))
    embedding = c.vocab * c.width
    assert spec.count(reading="matmul") == spec.total - embedding - biases


@pytest.mark.parametrize("family", ["nanochat", "nanochat-2026"])
@given(width=st.sampled_from([256, 768, 1024, 1536, 2048]), kind=st.sampled_from([int, sympy.Integer, str]))
def test_a_width_override_sizes_the_heads_however_it_is_given(family, width, kind):
    """D given as a Python int, a SymPy Integer or text gives the same model: H follows D = 128*H."""
    a = model(family, depth=12, D=kind(width))
    b = model(family, depth=12, D=sympy.Integer(width))
    assert a.total == b.total and a.env[H] == -(-width // 128)


@lru_cache(maxsize=None)
def _headed() -> list[str]:
    """The presets whose trees have query and key/value heads (H and H_kv, free or derived)."""
    from symparams.catalog import preset_paths

    out = []
    for name in sorted(preset_paths()):
        spec = model(name)
        names = {s.name for s in spec.symbols} | {s.name for s, _ in spec.relations}
        if {"H", "H_kv"} <= names:
            out.append(name)
    return out


@given(data=st.data())
def test_key_value_heads_set_on_any_preset_are_counted_exactly_where_they_divide_its_query_heads(data):
    """Every family keeps the rule that each key/value head serves H/H_kv query heads, the multi-head ones (GPT-2,
    OPT, Pythia, BLOOM, Falcon) too, whose trees hold H_kv = H: a variant setting H_kv to a divisor of H is a
    grouped-query model and counted, any other is refused, in the count and in a sweep alike."""
    name = data.draw(st.sampled_from(_headed()), label="preset")
    spec = model(name)
    heads = int(spec.env[H])
    kv = data.draw(st.integers(1, 4 * heads), label="H_kv")
    from symparams.sweep import Axis, sweep

    variant = spec.with_values(H_kv=kv)
    swept = sweep(spec, [Axis("H_kv", (kv,))])
    if heads % kv == 0:
        assert swept.records()[0]["total"] == variant.total > 0
    else:
        with pytest.raises(SymparamsError, match="does not divide"):
            variant.total
        assert swept.rows == 0
