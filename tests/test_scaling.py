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
from symparams.cli import main
from symparams.scaling import LAWS, RULE, Law, optimal, optimum_forms, fit_depth, fit_width
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
    fit = fit_depth("nanochat", budget)
    assert fit.params == nanochat_at(fit.size) == fit.spec.total
    if fit.below and fit.above:
        assert fit.below[1] <= budget <= fit.above[1]
        assert all(nanochat_at(d) is None for d in range(fit.below[0] + 1, fit.above[0]))
    candidates = [o[1] for o in (fit.below, fit.above) if o]
    assert abs(fit.params - budget) == min(abs(c - budget) for c in candidates)


@settings(max_examples=30)
@given(st.sampled_from([4, 8, 12, 20]), st.integers(10**6, 5 * 10**9))
def test_width_fit_is_the_valid_width_nearest_the_target(depth, budget):
    """Holding depth and heads, the chosen width's exact count is nearest among widths nanochat accepts."""
    fit = fit_width(model("nanochat", depth=depth), budget)
    assert fit.params == nanochat_at(depth, fit.size) == fit.spec.total
    if fit.below and fit.above:
        assert fit.below[1] <= budget <= fit.above[1]
        assert all(nanochat_at(depth, w) is None for w in range(fit.below[0] + 1, fit.above[0]))
    candidates = [o[1] for o in (fit.below, fit.above) if o]
    assert abs(fit.params - budget) == min(abs(c - budget) for c in candidates)


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
    assert "width nearest" in capsys.readouterr().out


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
