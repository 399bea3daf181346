"""Compute-optimal sizing: the closed form against a numeric minimiser, published figures, inverse sizing."""

from __future__ import annotations

import json
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle import NanochatConfig, nanochat_count
from symparams import SymparamsError, model
from symparams.catalog import ladder
from symparams.cli import main
from symparams.families import FAMILIES
from symparams.scaling import LAWS, RULE, Law, optimal, optimum_forms, fit_depth, fit_width, width_rule
from symparams.scaling import A_, B_, C_, alpha_, beta_

MP = mpmath.MPContext()
MP.dps = 50

computes = st.builds(lambda m, e: sympy.Integer(m) * sympy.Integer(10) ** e, st.integers(1, 999), st.integers(12, 26))
rationals = lambda lo, hi: st.builds(lambda n: sympy.Rational(n, 1000), st.integers(lo, hi))
laws = st.one_of(
    st.sampled_from(list(LAWS.values())),
    st.builds(Law, st.just("random"), st.just("test"), rationals(0, 3000), rationals(1000, 5_000_000),
              rationals(1000, 5_000_000), rationals(50, 1000), rationals(50, 1000)),
)


def mp(x) -> mpmath.mpf:
    x = sympy.Rational(x)
    return MP.mpf(x.p) / x.q


def loss_on_budget(law: Law, compute):
    """L as a function of ln N on the line C = 6 N D_tok, in mpmath (independent of the SymPy solution)."""
    E, A, B, a, b, C = (mp(v) for v in (law.E, law.A, law.B, law.alpha, law.beta, compute))

    def f(x):
        n = MP.e**x
        return E + A / n**a + B / (C / (6 * n)) ** b
    return f


def golden_minimum(f, lo, hi, steps: int = 300):
    """Golden-section search: the loss is convex in ln N (a sum of two exponentials), so one minimum."""
    g = (MP.sqrt(5) - 1) / 2
    a, b = MP.mpf(lo), MP.mpf(hi)
    for _ in range(steps):
        c, d = b - g * (b - a), a + g * (b - a)
        if f(c) < f(d):
            b = d
        else:
            a = c
    return (a + b) / 2


def optimum_of(law: Law, compute):
    """The closed-form optimum for an arbitrary law, from the same SymPy solution the library uses."""
    n_form, d_form = optimum_forms()
    point = {A_: law.A, B_: law.B, alpha_: law.alpha, beta_: law.beta, C_: compute}
    with sympy.evaluate(False):
        return n_form.xreplace(point), d_form.xreplace(point)


@settings(max_examples=50)
@given(laws, computes)
def test_closed_form_optimum_is_the_numeric_minimum_on_the_budget_line(law, compute):
    """Golden-section search over ln N on C = 6 N D_tok lands on SymPy's N* (to 1e-20 in ln N)."""
    n, d = optimum_of(law, compute)
    x_star = MP.log(sympy.N(n, 60))
    x_num = golden_minimum(loss_on_budget(law, compute), -200, MP.log(mp(compute) / 6) + 200)
    assert abs(x_num - x_star) < MP.mpf(10) ** -20
    assert abs(6 * sympy.N(n * d, 60) / mp(compute) - 1) < MP.mpf(10) ** -40


@settings(max_examples=50)
@given(laws, computes)
def test_solution_has_the_chinchilla_shape_g_times_c_over_6_to_the_a(law, compute):
    """N* = G (C/6)^a and D_tok* = (C/6)^b / G with a = beta/(alpha+beta), b = alpha/(alpha+beta)."""
    n, d = optimum_of(law, compute)
    g = MP.power(mp(law.alpha * law.A / (law.beta * law.B)), 1 / mp(law.alpha + law.beta))
    c6 = mp(compute) / 6
    assert law.a + law.b == 1
    assert abs(sympy.N(n, 60) / (g * c6 ** mp(law.a)) - 1) < MP.mpf(10) ** -40
    assert abs(sympy.N(d, 60) / (c6 ** mp(law.b) / g) - 1) < MP.mpf(10) ** -40


def test_constants_are_exact_rationals_of_their_published_decimals():
    h, ep = LAWS["hoffmann"], LAWS["epoch"]
    assert (h.E, h.A, h.B, h.alpha, h.beta) == tuple(sympy.Rational(x) for x in ("1.69", "406.4", "410.7", "0.34", "0.28"))
    assert (ep.E, ep.A, ep.B, ep.alpha, ep.beta) == tuple(sympy.Rational(x) for x in ("1.8172", "482.01", "2085.43", "0.3478", "0.3658"))


def test_chinchilla_approach_three_exponent_is_0_4516():
    """Hoffmann et al. 2022, Table 2 (Approach 3): a = 0.46 rounded; beta/(alpha+beta) = 0.4516."""
    assert round(float(LAWS["hoffmann"].a), 4) == 0.4516
    assert LAWS["hoffmann"].a == sympy.Rational(14, 31)


def test_tokens_per_parameter_at_chinchillas_budget():
    """Besiroglu et al. 2024: at 5.76e23 FLOPs the Hoffmann fit implies ~92.6 tokens per parameter, theirs ~18.4."""
    assert round(optimal("5.76e23", "hoffmann").tokens_per_param, 1) == 92.6
    assert round(optimal("5.76e23", "epoch").tokens_per_param, 1) == 18.4


@given(computes, st.integers(1, 200))
def test_tokens_per_param_rule_spends_the_budget_at_the_ratio(compute, ratio):
    """N = sqrt(C/(6R)) exactly, D_tok = R N, and 6 N D_tok = C."""
    opt = optimal(compute, RULE, ratio)
    assert sympy.simplify(opt.tokens_exact / opt.params_exact - ratio) == 0
    assert sympy.simplify(6 * opt.params_exact * opt.tokens_exact - compute) == 0
    assert opt.loss is None
    assert opt.params_budget == int(sympy.floor(sympy.sqrt(sympy.Rational(compute, 6 * ratio)) + sympy.Rational(1, 2)))


def test_default_ratio_is_twenty():
    assert optimal(10**21, RULE).tokens_per_param == pytest.approx(20, rel=1e-15)


@settings(max_examples=30)
@given(computes)
def test_predicted_loss_is_the_law_at_the_optimum_and_lowest_on_the_line(compute):
    law = LAWS["hoffmann"]
    opt = optimal(compute, "hoffmann")
    f = loss_on_budget(law, compute)
    x = MP.log(sympy.N(opt.params_exact, 60))
    assert abs(f(x) - mp(sympy.Rational(str(opt.loss)))) < 1e-12
    assert f(x) < f(x + MP.mpf("0.001")) and f(x) < f(x - MP.mpf("0.001"))


@pytest.mark.parametrize("args", [(0, "hoffmann"), (-1, "hoffmann"), ("x", "hoffmann"), (10**20, "kaplan")])
def test_bad_budgets_and_laws_are_refused(args):
    with pytest.raises(SymparamsError):
        optimal(*args)


def test_a_ratio_belongs_to_the_rule_only():
    with pytest.raises(SymparamsError):
        optimal(10**20, "hoffmann", 20)


def nanochat_at(depth: int, width: int | None = None) -> int | None:
    """The oracle's count of nanochat at ``depth`` (optionally another width), None if nanochat refuses it."""
    width = width or 64 * depth
    heads = -(-64 * depth // 128)
    if width % heads:
        return None
    return nanochat_count(NanochatConfig(65_536, width, depth, heads, heads, Fraction(4)))


@settings(max_examples=30)
@given(st.integers(10**6, 5 * 10**10))
def test_depth_fit_is_the_buildable_depth_nearest_the_target(budget):
    """No buildable depth lies between the two bracketing depths, and the nearest of them is chosen."""
    fit = fit_depth(FAMILIES.by_name["nanochat"], budget)
    assert fit.params == nanochat_at(fit.size) == fit.spec.total
    if fit.below and fit.above:
        assert fit.below[1] <= budget < fit.above[1]
        assert all(nanochat_at(d) is None for d in range(fit.below[0] + 1, fit.above[0]))
    candidates = [o[1] for o in (fit.below, fit.above) if o]
    assert abs(fit.params - budget) == min(abs(c - budget) for c in candidates)


@settings(max_examples=20, deadline=None)
@given(st.integers(4, 400), st.integers(-10**6, 10**6))
def test_exact_depth_search_finds_the_nearest_depth_for_huge_targets(depth, offset):
    """Targets at 10^20 and beyond: the search is exact (no floats), so a target one parameter from
    a depth's count picks that depth, and the neighbours are the depths either side."""
    def by_hand(n: int) -> int:  # even depths: D = 64n, MHA, e = 4: 2VD + L * 12 D^2
        return 2 * 65_536 * 64 * n + n * 12 * (64 * n) ** 2

    n = 2 * (10**6 + depth)
    fit = fit_depth(FAMILIES.by_name["nanochat"], by_hand(n) + offset)
    assert fit.size == n and fit.params == by_hand(n)
    assert fit.below[0] <= n <= fit.above[0]
    assert fit.below[0] in (n, n - 2) and fit.above[0] in (n, n + 2)


def test_the_issue_example_of_a_huge_target_is_exact(capsys):
    """optimal --params 100003454017939046399 nanochat: d126714 is off by 1, d126712 by 4.7e15."""
    assert main(["optimal", "--params", "100003454017939046399", "nanochat", "--json"]) == 0
    fit = json.loads(capsys.readouterr().out)["fit"]
    assert fit["depth"] == 126714 and fit["params"] - 100003454017939046399 == 1
    assert fit["below"]["depth"] == 126712


def test_a_builder_is_accepted_and_a_name_is_not():
    """Readings take a Family or a builder from depth to Spec; names are the catalog's."""
    build = ladder("nanochat")
    assert fit_depth(lambda n: build(n, H_kv=1), 500_000_000).spec.env[sympy.Symbol("H_kv", positive=True, integer=True)] == 1
    with pytest.raises(SymparamsError, match="builder"):
        fit_depth("nanochat", 10**9)


def llama_rule_count(width: int) -> int | None:
    """Llama-2-7b grown by whole heads of 128 with F = 8D/3 rounded up to 256: counted from its config by hand."""
    if width % 128:
        return None
    heads, ffn = width // 128, 256 * -(-(8 * width // 3) // 256)
    vocab, layers = 32000, 32
    per_layer = 4 * width * width + 3 * width * ffn + 2 * width
    return 2 * vocab * width + layers * per_layer + width


def test_width_rule_of_llama_2_grows_heads_and_sizes_f_by_the_swiglu_rule():
    rule = width_rule(model("llama-2-7b"))
    assert "whole heads" in rule.description and "multiple of 256" in rule.description
    spec = rule(56)
    values = {s.name: int(v) for s, v in spec.env.items()}
    assert (values["D"], values["H"], values["H_kv"], values["d_h"], values["F"]) == (7168, 56, 56, 128, 19200)
    assert spec.total == llama_rule_count(7168)
    assert rule(32).total == model("llama-2-7b").total


@settings(max_examples=25, deadline=None)
@given(st.integers(2 * 10**8, 10**11))
def test_width_fit_is_the_buildable_width_nearest_the_target_by_brute_force(budget):
    """Every width a multiple of the head size within the bracket is counted: none is nearer, none lies between."""
    fit = fit_width(model("llama-2-7b"), budget)
    assert fit.params == llama_rule_count(fit.size) == fit.spec.total
    lo, hi = fit.below[0] if fit.below else 128, fit.above[0]
    counts = {w: llama_rule_count(w) for w in range(max(lo - 4 * 128, 128), hi + 4 * 128 + 1, 128)}
    assert fit.above[1] == counts[hi] > budget
    if fit.below:
        assert fit.below[1] == counts[lo] <= budget
        assert not [w for w in counts if lo < w < hi]
    best = min(abs(c - budget) for c in counts.values())
    assert abs(fit.params - budget) == best


@settings(max_examples=30)
@given(st.sampled_from([4, 8, 12, 20]), st.integers(10**6, 5 * 10**9))
def test_width_fit_holding_heads_is_the_valid_width_nearest_the_target(depth, budget):
    """With --keep-heads, depth and heads are held and d_h = D/H follows: the width nearest, exactly."""
    fit = fit_width(model("nanochat", depth=depth), budget, keep_heads=True)
    assert fit.params == nanochat_at(depth, fit.size) == fit.spec.total
    if fit.below and fit.above:
        assert fit.below[1] <= budget < fit.above[1]
        assert all(nanochat_at(depth, w) is None for w in range(fit.below[0] + 1, fit.above[0]))
    candidates = [o[1] for o in (fit.below, fit.above) if o]
    assert abs(fit.params - budget) == min(abs(c - budget) for c in candidates)


@pytest.mark.parametrize("argv", [
    ["optimal", "--params", "1e40*1e40", "nanochat"],
    ["optimal", "--params", "1e60", "llama-2-7b"],
    ["optimal", "--params", "9" * 60, "nanochat"],
])
def test_huge_targets_are_sized_in_bounded_time(argv, capsys):
    import time

    start = time.perf_counter()
    assert main([*argv, "--json"]) == 0
    assert time.perf_counter() - start < 30
    fit = json.loads(capsys.readouterr().out)["fit"]
    target = fit["target"]
    assert fit["below"]["params"] <= target < fit["above"]["params"]


def test_targets_beyond_any_model_are_refused_in_one_line(capsys):
    assert main(["optimal", "--params", "1e101", "nanochat"]) == 2
    assert main(["optimal", "--params", "1e10^1e10", "nanochat"]) == 2
    assert main(["optimal", "--params", "1/3", "nanochat"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("symparams") and ": error:" in e for e in err)


def test_optimum_rounds_to_the_nearest_whole_parameter():
    opt = optimal("5.76e23")
    assert abs(opt.params_budget - sympy.N(opt.params_exact, 40)) <= 0.5


def test_cli_json_has_params_tokens_and_loss(capsys):
    assert main(["optimal", "--compute", "5.76e23", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    opt = optimal("5.76e23")
    assert (out["params"], out["tokens"], out["loss"]) == (opt.params, opt.tokens, opt.loss)
    assert main(["optimal", "--compute", "1e21", "--law", RULE, "--ratio", "25", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "loss" not in out and out["ratio"] == 25


def test_cli_with_a_model_reports_the_chosen_size_and_its_exact_count(capsys):
    assert main(["optimal", "--compute", "1e20", "nanochat", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fit"]["params"] == model("nanochat", depth=out["fit"]["depth"]).total
    assert out["fit"]["target"] == optimal("1e20").params_budget
    assert main(["optimal", "--params", "1e9", "nanochat", "--by", "width", "--depth", "12"]) == 0
    out = capsys.readouterr().out
    assert "width nearest" in out and "whole heads" in out


@pytest.mark.parametrize("argv", [
    ["optimal", "--compute", "0"],
    ["optimal", "--compute", "1e20", "--ratio", "10"],
    ["optimal", "--compute", "1e20", "--law", "kaplan"],
    ["optimal", "--params", "1e9"],
    ["optimal"],
    ["optimal", "--compute", "1e20", "nanochat", "--depth", "4"],
    ["optimal", "--compute", "__import__('os')"],
])
def test_cli_refuses_bad_arguments_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error" in err


# ---- derivatives along the model's relations ----------------------------------------

from hypothesis import assume  # noqa: E402

from strategies import CONFIGS  # noqa: E402
from symparams.analysis import along_relations, sensitivity  # noqa: E402
from symparams.families import from_dict  # noqa: E402

TAYLOR_TERMS = 24


def _step(spec, x):
    """The smallest step h > 0 of symbol ``x`` the model accepts, with the count there."""
    for h in range(1, 65):
        try:
            return h, spec.with_values(**{x.name: spec.env[x] + h}).total
        except SymparamsError:
            continue
    return None, None


@pytest.mark.parametrize("model_type", sorted(CONFIGS))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_a_step_of_the_count_is_the_taylor_series_of_the_closed_form_along_its_relations(model_type, data):
    """For every family: N(x+h) - N(x), counted from the tree, is sum_k h^k N^(k)(x)/k! of the closed form
    with the relations the count follows substituted (d_h = D/H, F = e*D, ...); exactly where N is a
    polynomial in x (the series ends), and to the series' own remainder where it is rational (1/H)."""
    spec = from_dict(data.draw(CONFIGS[model_type]))
    form = along_relations(spec, spec.closed_form)
    kinks = form.atoms(sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Piecewise)
    smooth = {s for s in form.free_symbols & set(spec.symbols) if not any(k.has(s) for k in kinks)}
    symbols = sorted(smooth, key=lambda s: s.name)
    assume(symbols)
    x = data.draw(st.sampled_from(symbols))
    h, bigger = _step(spec, x)
    assume(h is not None)
    t = sympy.Symbol("t")
    at = {s: v for s, v in spec.env.items() if s != x}
    g = sympy.cancel(form.xreplace(at).xreplace({x: spec.env[x] + t}))
    rows = {r.symbol: r for r in sensitivity(spec)}
    numerator, denominator = sympy.fraction(g)
    if denominator.free_symbols:
        series = sympy.series(g, t, 0, TAYLOR_TERMS + 1).removeO()
    else:
        series = sympy.expand(g)
    coefficients = sympy.Poly(series, t).all_coeffs()[::-1]
    assert coefficients[0] == spec.total
    assert (coefficients[1] if len(coefficients) > 1 else 0) == rows[x].derivative_value
    taylor = sum(c * sympy.Integer(h) ** k for k, c in enumerate(coefficients) if k >= 1)
    step = bigger - spec.total
    if not denominator.free_symbols:
        assert taylor == step
    else:
        ratio = sympy.Rational(h, spec.env[x])
        assume(ratio <= sympy.Rational(1, 4))
        assert abs(taylor - step) <= abs(step) * 4 * ratio ** (TAYLOR_TERMS // 2) + sympy.Rational(1, 10**6)


def test_sensitivity_follows_the_relations_and_holds_what_it_is_told(capsys):
    """Llama-2-7b: dN/dD with d_h = D/H followed is 2,169,409 (the issue's 2,177,601 per unit over 64
    widths is it plus the second-order term); held at d_h = 128 it is 1,645,121."""
    spec = model("llama-2-7b")
    D = sympy.Symbol("D", positive=True, integer=True)
    follows = {r.symbol.name: r.derivative_value for r in sensitivity(spec)}
    held = {r.symbol.name: r.derivative_value for r in sensitivity(spec, hold=["d_h"])}
    assert "d_h" not in follows and held["d_h"] == 2 * 4096 * 32 * 64
    step = spec.with_values(D=4160).total - spec.total
    assert step == 64 * follows["D"] + 64**2 * 256 // 2 and step // 64 == 2_177_601
    assert held["D"] == 1_645_121
    assert main(["sensitivity", "llama-2-7b", "--hold", "d_h"]) == 0
    assert "held fixed: d_h = 128" in capsys.readouterr().out
    assert main(["sensitivity", "llama-2-7b"]) == 0
    assert "follow d_h = D/H" in capsys.readouterr().out
    assert main(["sensitivity", "llama-2-7b", "--hold", "Q"]) == 2
