"""The expression grammar of ``--set``: what it accepts, what it refuses, and that it stays exact and bounded.

Oracles are independent of the parser: Python's ``fractions.Fraction`` reads decimal
text exactly, and expected expressions are built from a tree with SymPy operators
directly, never from text.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from symparams.errors import SymparamsError
from symparams.parse import (
    MAX_BITS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_TERMS,
    check_size,
    degree,
    parse_expr,
    parse_number,
    terms,
    to_exact,
)
from symparams.symbols import SYMBOLS

ALL = tuple(SYMBOLS.values())
NAMES = tuple(SYMBOLS)


def rational(x: Fraction) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


# ---- numbers -------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**60 - 1))
def test_a_whole_decimal_number_reads_as_exactly_that_integer(n):
    value = parse_number(str(n))
    assert value.is_Integer and int(value) == n


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12), st.integers(0, 12))
def test_a_decimal_fraction_reads_exactly_as_python_fraction_reads_it(whole, frac, zeros):
    text = f"{whole}.{'0' * zeros}{frac}"
    assert parse_number(text) == rational(Fraction(text))


@given(st.integers(1, 10**6), st.integers(-MAX_EXPONENT // 2, MAX_EXPONENT // 2), st.sampled_from("eE"))
def test_scientific_notation_is_exact_not_a_float(mantissa, exponent, e):
    text = f"{mantissa}{e}{exponent}"
    assert parse_number(text) == rational(Fraction(text))


@given(st.integers(-10**9, 10**9), st.integers(1, 10**9))
def test_a_quotient_of_integers_is_the_exact_rational(p, q):
    assert parse_number(f"{p}/{q}") == sympy.Rational(p, q)


def test_eight_thirds_stays_eight_thirds():
    assert parse_number("8/3") == sympy.Rational(8, 3)
    assert parse_expr("8*D/3", ALL) == sympy.Rational(8, 3) * SYMBOLS["D"]


@pytest.mark.parametrize("text", ["1e3", "1E3", "1000", "1.0e3", "10^3", "10**3", "2*500", "(1000)", " 1000 ", "+1000"])
def test_integral_spellings_of_one_thousand_are_all_one_thousand(text):
    assert parse_number(text) == 1000


@pytest.mark.parametrize(
    "text",
    ["0x10", "0b101", "0o17", "1_000", "nan", "NaN", "inf", "Infinity", "", "   ", "1e", "1e+", ".", "1..2",
     "1.2.3", "٣", "１２", "1,000", "1 000", "3j", "1e3.5", "--", "()", "2^", "^2", "*3", "3*", "(3", "3)"],
)
def test_malformed_numbers_are_refused(text):
    with pytest.raises(SymparamsError):
        parse_number(text)


def test_a_negative_exponent_gives_an_exact_fraction_that_a_count_then_refuses():
    assert parse_number("1e-3") == sympy.Rational(1, 1000)


# ---- expressions ----------------------------------------------------------------

leaf = st.one_of(
    st.integers(1, 1000).map(lambda n: (str(n), sympy.Integer(n))),
    st.sampled_from(NAMES).map(lambda name: (name, SYMBOLS[name])),
)


def _combine(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda ab: (f"({ab[0][0]} + {ab[1][0]})", ab[0][1] + ab[1][1])),
        pair.map(lambda ab: (f"({ab[0][0]} - {ab[1][0]})", ab[0][1] - ab[1][1])),
        pair.map(lambda ab: (f"{ab[0][0]} * {ab[1][0]}", ab[0][1] * ab[1][1])),
        pair.map(lambda ab: (f"{ab[0][0]} / ({ab[1][0]})", ab[0][1] / ab[1][1])),
        st.tuples(children, st.integers(0, 3)).map(lambda an: (f"({an[0][0]})^{an[1]}", an[0][1] ** an[1])),
    )


expressions = st.recursive(leaf, _combine, max_leaves=6)


@given(expressions)
def test_an_expression_means_what_its_operators_say(pair):
    text, expected = pair
    assume(len(text) <= MAX_LENGTH)
    try:
        got = parse_expr(text, ALL)
    except SymparamsError as err:
        # only refusals for size or a zero divisor are allowed, never a wrong value
        assert "too large" in str(err) or "division by zero" in str(err) or "0^0" in str(err)
        return
    assert sympy.simplify(got - expected) == 0


@given(expressions)
def test_a_parsed_expression_uses_only_the_symbols_allowed(pair):
    text, _ = pair
    assume(len(text) <= MAX_LENGTH)
    allowed = (SYMBOLS["D"], SYMBOLS["H"])
    try:
        got = parse_expr(text, allowed)
    except SymparamsError:
        return
    assert got.free_symbols <= set(allowed)


@given(st.from_regex(r"[A-Za-z_][A-Za-z_0-9]{0,12}", fullmatch=True))
def test_a_name_outside_the_symbol_set_is_refused(name):
    assume(name not in SYMBOLS)
    with pytest.raises(SymparamsError, match="unknown name"):
        parse_expr(name, ALL)


FORBIDDEN = "'\"[]{},:;=@!~%&|<>`$#\\?"


@given(st.text(max_size=40), st.sampled_from(FORBIDDEN), st.text(max_size=40))
def test_text_with_a_character_outside_the_grammar_is_refused(before, bad, after):
    with pytest.raises(SymparamsError):
        parse_expr(before + bad + after, ALL)


@given(st.text(max_size=300))
def test_any_text_is_either_an_exact_expression_or_a_refusal(text):
    start = time.monotonic()
    try:
        got = parse_expr(text, ALL)
    except SymparamsError as err:
        assert "\n" not in str(err)
    else:
        assert got.free_symbols <= set(ALL)
        assert not got.atoms(sympy.Float)
    assert time.monotonic() - start < 5


tokens = st.lists(
    st.sampled_from(["D", "H", "L", "e", "1", "2", "64", "1e3", "0", "(", ")", "+", "-", "*", "/", "^", "**", " "]),
    max_size=40,
)


@given(tokens)
def test_any_sequence_of_grammar_tokens_parses_or_is_refused_cleanly(toks):
    try:
        parse_expr("".join(toks), ALL)
    except SymparamsError:
        pass


HOSTILE = [
    "__import__('os').system('touch x')",
    "D.__class__",
    "D.__class__.__mro__",
    "lambda: 0",
    "exec('1')",
    "eval('1')",
    "open('x', 'w')",
    "().__class__.__bases__[0].__subclasses__()",
    "D if 1 else 0",
    "[D]",
    "{D: 1}",
    "D; D",
    "D\nD",
    "f'{D}'",
    "Integer(4)",
    "Symbol('x')",
    "D(1)",
    "sqrt(D)",
    "D % 3",
    "D // 3",
    "D @ D",
    "not D",
    "D and H",
    "x",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_without_being_run(text):
    with pytest.raises(SymparamsError):
        parse_expr(text, ALL)


# ---- bounds ---------------------------------------------------------------------


def test_text_longer_than_the_limit_is_refused_before_parsing():
    with pytest.raises(SymparamsError, match="too long"):
        parse_expr("1+" * (MAX_LENGTH // 2) + "1", ALL)


@given(st.integers(MAX_DEPTH + 1, MAX_LENGTH // 2 - 1))
def test_nesting_deeper_than_the_limit_is_refused(depth):
    with pytest.raises(SymparamsError, match="nested too deeply"):
        parse_expr("(" * depth + "D" + ")" * depth, ALL)


@given(st.integers(MAX_EXPONENT + 1, 10**9))
def test_an_exponent_above_the_limit_is_refused(n):
    with pytest.raises(SymparamsError, match="exponent"):
        parse_expr(f"2^{n}", ALL)


@pytest.mark.parametrize("text", ["9^9^9^9", "2^2^2^2^2^2", "(10^60)^64", "1e60*1e60*1e60", "(D+H+L+V)^64",
                                  "(D^64)^64", "((D^64)^64)^64", "(D+H+L+V+e)^8"])
def test_computations_that_would_explode_are_refused_quickly(text):
    start = time.monotonic()
    with pytest.raises(SymparamsError, match="too large|exponent"):
        parse_expr(text, ALL)
    assert time.monotonic() - start < 5


@given(st.lists(st.integers(1, 10**60 - 1), min_size=1, max_size=12))
def test_every_number_met_is_within_the_bit_limit_or_the_text_is_refused(factors):
    text = "*".join(map(str, factors))
    assume(len(text) <= MAX_LENGTH)
    product = 1
    for f in factors:
        product *= f
    try:
        got = parse_number(text)
    except SymparamsError as err:
        assert "too large" in str(err)
        assert product.bit_length() > MAX_BITS
    else:
        assert int(got) == product


@given(expressions)
def test_terms_is_an_upper_bound_on_the_expanded_term_count(pair):
    _, expr = pair
    assume(terms(expr) <= 4 * MAX_TERMS)
    assert len(sympy.Add.make_args(sympy.expand(expr))) <= terms(expr)


@given(expressions)
def test_degree_is_at_least_the_total_degree_of_a_polynomial(pair):
    _, expr = pair
    numerator, denominator = sympy.fraction(sympy.together(expr))
    assume(denominator.is_number)
    poly = sympy.Poly(sympy.expand(numerator), *ALL)
    assert degree(expr) >= poly.total_degree()


def test_check_size_names_the_input_it_refuses():
    with pytest.raises(SymparamsError, match="F = d_h"):
        check_size(SYMBOLS["d_h"] ** 100, "F = d_h**100")


# ---- values passed by programs ---------------------------------------------------


@given(st.fractions())
def test_a_fraction_converts_exactly(x):
    assert to_exact(x) == rational(x)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_refused_because_it_is_not_exact(x):
    with pytest.raises(SymparamsError, match="float"):
        to_exact(x)


@pytest.mark.parametrize("value", [True, False, None, [1], {"D": 1}, b"8", object()])
def test_values_that_are_not_numbers_are_refused(value):
    with pytest.raises(SymparamsError):
        to_exact(value)


def test_text_given_by_a_program_goes_through_the_grammar_not_sympify(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SymparamsError):
        to_exact("__import__('os').system('touch pwned')", ALL)
    assert not (tmp_path / "pwned").exists()
