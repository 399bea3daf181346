"""The compiled evaluators give exactly Spec's numbers and Spec's errors, and never wrap.

Each property compares the compiled path (Python ints for one configuration, NumPy
int64 for arrays) with ``Spec.total`` (SymPy substitution) and, for nanochat, with
the independent shape-by-shape count in ``oracle.py``.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from budget import sample
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symparams import SymparamsError, count_fn, model, names, vectorize
from symparams.compiled import compiled
from symparams.compiled.arrays import bound, evaluate
from symparams.compiled.poly import forms, var
from symparams.families.nanochat import nanochat
from symparams.spec import apply_overrides

from oracle import nanochat_count
from strategies import nanochat_configs, spec_of

np = pytest.importorskip("numpy")

INT64_MAX = 2**63 - 1


def _arrays(configs):
    """Symbol arrays (e as numerator/denominator arrays) for a list of nanochat configs."""
    col = lambda f: np.array([f(c) for c in configs], dtype=np.int64)  # noqa: E731
    return {
        "V": col(lambda c: c.vocab), "D": col(lambda c: c.width), "L": col(lambda c: c.layers),
        "H": col(lambda c: c.heads), "H_kv": col(lambda c: c.kv_heads),
        "e": (col(lambda c: c.expansion.numerator), col(lambda c: c.expansion.denominator)),
    }


@given(st.booleans(), st.data())
def test_vectorised_totals_equal_spec_totals_for_valid_nanochat_arrays(bias, data):
    """For arrays of valid nanochat configs (GQA/MQA, rational e), every total is Spec's and the oracle's."""
    configs = data.draw(st.lists(nanochat_configs(bias=bias), min_size=1, max_size=6))
    counts = vectorize(nanochat(bias=bias)).counts(**_arrays(configs))
    assert counts["total"].dtype == np.int64
    for i, c in enumerate(configs):
        spec = spec_of(c)
        assert int(counts["total"][i]) == spec.total == nanochat_count(c)
        for child in spec.tree.children():
            assert int(counts[child.name][i]) == spec.count(child)


@given(st.lists(nanochat_configs(bias=False), min_size=1, max_size=6))
def test_vectorised_mha_with_whole_e_equals_spec_totals(configs):
    """With H_kv following H and whole e, the direct closed-form path gives Spec's totals."""
    configs = [c for c in configs if c.expansion.denominator == 1]
    assume(configs)
    arrays = _arrays(configs)
    del arrays["H_kv"]
    arrays["e"] = arrays["e"][0]
    totals = vectorize("nanochat")(**arrays)
    for i in range(len(configs)):
        spec = apply_overrides(nanochat(), {k: sympy.Integer(int(v[i])) for k, v in arrays.items()})
        assert int(totals[i]) == spec.total


@given(nanochat_configs())
def test_scalar_counter_equals_spec_total(c):
    """count_fn at any valid config (GQA, rational e given as a Fraction) is Spec.total exactly."""
    count = count_fn(nanochat(bias=c.bias))
    got = count(V=c.vocab, D=c.width, L=c.layers, H=c.heads, H_kv=c.kv_heads, e=c.expansion)
    assert got == spec_of(c).total
    assert type(got) is int


def _free_values(spec):
    """Random small values for every free symbol of ``spec`` (a valid model or not)."""
    parts = {}
    for s, _ in spec.values:
        if s.is_integer:
            parts[s.name] = st.integers(1, 48)
        else:
            parts[s.name] = st.builds(Fraction, st.integers(1, 12), st.sampled_from([1, 2, 3]))
    return st.fixed_dictionaries(parts)


def _spec_total(spec, values):
    exact = {k: sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.Integer(v)
             for k, v in values.items()}
    try:
        return apply_overrides(spec, exact).total
    except SymparamsError as err:
        return err


PRESETS = [n for n in names()]


@pytest.mark.parametrize("name", sample(PRESETS, "compiled domains"))
@settings(max_examples=15)
@given(data=st.data())
def test_every_model_accepts_exactly_what_spec_accepts_with_the_same_totals(name, data):
    """For random sizes of every known model, the vectorised mask is Spec's validity and totals agree."""
    spec = model(name)
    points = data.draw(st.lists(_free_values(spec), min_size=1, max_size=4))
    expected = [_spec_total(spec, p) for p in points]
    arrays = {}
    for k in points[0]:
        if isinstance(points[0][k], Fraction) or any(isinstance(p[k], Fraction) for p in points):
            fr = [Fraction(p[k]) for p in points]
            arrays[k] = (np.array([f.numerator for f in fr]), np.array([f.denominator for f in fr]))
        else:
            arrays[k] = np.array([p[k] for p in points])
    out = vectorize(spec).evaluate(arrays, ("total",), invalid="mask")
    assert out["valid"].tolist() == [not isinstance(x, Exception) for x in expected]
    assert out["total"].tolist() == [x for x in expected if not isinstance(x, Exception)]
    count = count_fn(spec)
    for p, x in zip(points, expected):
        if isinstance(x, Exception):
            with pytest.raises(SymparamsError) as err:
                count(**p)
            assert str(err.value) == str(x)
        else:
            assert count(**p) == x


@pytest.mark.parametrize("name", sample(PRESETS, "compiled totals"))
def test_every_model_compiles_to_its_own_total_and_active_count(name):
    """At each model's own values, both compiled paths give Spec.total and Spec.active_total."""
    spec = model(name)
    assert int(vectorize(spec)()) == spec.total == count_fn(spec)()
    assert int(vectorize(spec, "active")()) == spec.active_total == count_fn(spec, "active")()


@given(st.lists(st.tuples(st.integers(1, 2**34), st.integers(1, 2**34), st.integers(1, 2**12)), min_size=1, max_size=5))
def test_overflow_is_raised_never_wrapped(rows):
    """A total beyond int64 raises OverflowError; otherwise every total is exact (even when the bound is not)."""
    V, D, L = (np.array(col, dtype=np.int64) for col in zip(*rows))
    f = vectorize("nanochat")
    exact = [nanochat(overrides={"V": v, "D": d, "L": n, "H": 1}).total for v, d, n in rows]
    try:
        got = f(V=V, D=D, L=L, H=1)
    except OverflowError:
        assert max(exact) > INT64_MAX
    else:
        assert max(exact) <= INT64_MAX
        assert got.tolist() == exact
    assert f.evaluate({"V": V, "D": D, "L": L, "H": 1}, ("total",), exact=True)["total"].tolist() == exact


def test_totals_just_below_int64_are_exact_and_just_above_raise():
    """At the int64 edge: 2*D*V with L tiny lands on both sides of 2**63 - 1 exactly as Python ints say."""
    f = vectorize("nanochat")
    below = nanochat(overrides={"V": 2**61 - 1, "D": 1, "L": 1, "H": 1}).total
    assert below <= INT64_MAX
    assert int(f(V=np.array([2**61 - 1]), D=1, L=1, H=1)[0]) == below
    assert nanochat(overrides={"V": 2**62, "D": 1, "L": 1, "H": 1}).total > INT64_MAX
    with pytest.raises(OverflowError):
        f(V=np.array([2**62]), D=1, L=1, H=1)


def test_a_loose_bound_falls_back_to_exact_arithmetic():
    """Large D in one entry and large V in another bound the product beyond int64, yet each total fits."""
    D, V = np.array([2**24, 64]), np.array([64, 2**40])
    got = vectorize("nanochat")(D=D, V=V, H=1, L=1)
    assert got.dtype == np.int64
    assert got.tolist() == [nanochat(overrides={"D": int(d), "V": int(v), "H": 1, "L": 1}).total for d, v in zip(D, V)]


@given(nanochat_configs(), st.integers(2, 7))
def test_invalid_entries_raise_specs_own_error_with_the_index(c, bad_heads):
    """An entry whose H does not divide D raises the message Spec.total gives for it, naming the entry."""
    assume(c.width % bad_heads)
    f = vectorize("nanochat")
    D = np.array([c.width, c.width])
    H = np.array([c.heads, bad_heads])
    with pytest.raises(SymparamsError) as err:
        f(D=D, H=H, H_kv=H)
    with pytest.raises(SymparamsError) as spec_err:
        nanochat(overrides={"D": c.width, "H": bad_heads, "H_kv": bad_heads}).total
    assert str(err.value) == f"{spec_err.value} (at index (1,))"


def test_non_positive_and_non_integer_inputs_are_refused():
    """Zero, negatives, floats and booleans never reach a count."""
    f = vectorize("nanochat")
    with pytest.raises(SymparamsError, match="must be positive"):
        f(L=np.array([1, 0]))
    with pytest.raises(SymparamsError, match="float"):
        f(D=np.array([1280.0]))
    with pytest.raises(SymparamsError):
        f(D=True)
    with pytest.raises(SymparamsError, match="no symbol"):
        f(E=4)
    count = count_fn("nanochat")
    with pytest.raises(SymparamsError):
        count(D=1280.0)
    with pytest.raises(SymparamsError, match="must be positive"):
        count(L=-1)


def test_mask_mode_skips_invalid_entries_and_says_why():
    """valid marks buildable entries; reasons count the rejected ones by the check they fail first."""
    f = vectorize("nanochat")
    out = f.evaluate({"D": np.array([1280, 320, 640, 1280]), "H": np.array([10, 3, 5, 7])}, ("total",), invalid="mask")
    assert out["valid"].tolist() == [True, False, True, False]
    assert out["reasons"] == {"H does not divide D": 2}
    assert out["total"].tolist() == [nanochat(overrides={"D": d, "H": h}).total for d, h in ((1280, 10), (640, 5))]


def test_broadcasting_gives_the_outer_product_of_configurations():
    """Arrays along different axes broadcast to every combination, each total exact."""
    f = vectorize("nanochat")
    L = np.array([4, 8, 12]).reshape(3, 1)
    V = np.array([1000, 65536]).reshape(1, 2)
    got = f(L=L, V=V)
    assert got.shape == (3, 2)
    for i, depth in enumerate((4, 8, 12)):
        for j, v in enumerate((1000, 65536)):
            assert int(got[i, j]) == nanochat(overrides={"L": depth, "V": v}).total


def test_structures_compile_once_whatever_their_values():
    """Two sizes of one family share one compiled structure (the cache ignores values)."""
    assert compiled(nanochat(12)) is compiled(nanochat(20))
    assert compiled(nanochat(12)) is not compiled(nanochat(12, bias=True))


def test_rational_expansion_takes_fractions_text_and_pairs():
    """e = 8/3 may be given as a Fraction, text or numerator/denominator arrays; F must come out whole."""
    f = vectorize("nanochat")
    want = nanochat(24, overrides={"e": sympy.Rational(8, 3)}).total
    assert int(f(D=1536, H=12, L=24, e=Fraction(8, 3))) == want
    assert int(f(D=1536, H=12, L=24, e="8/3")) == want
    assert f(D=1536, H=12, L=24, e=(np.array([8, 8]), np.array([3, 3]))).tolist() == [want, want]
    with pytest.raises(SymparamsError, match="not a whole number"):
        f(D=1280, e=Fraction(8, 3))


_polys = st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)),
                  min_size=1, max_size=6)


@given(_polys, st.lists(st.tuples(st.integers(-2**20, 2**20), st.integers(-2**20, 2**20), st.integers(-99, 99)),
                        min_size=1, max_size=5))
def test_every_form_evaluates_to_the_polynomial_and_stays_within_its_bound(monomials, points):
    """Each printed form equals the polynomial at integer points, on arrays and Python ints, within its bound."""
    x, y, z = var("x"), var("y"), var("z")
    poly = sympy.expand(sum(c * x**a * y**b * z**d for c, a, b, d in monomials))
    cols = {"x": np.array([p[0] for p in points]), "y": np.array([p[1] for p in points]),
            "z": np.array([p[2] for p in points])}
    exact = [int(poly.subs({x: a, y: b, z: d})) for a, b, d in points]
    bounds = {k: max(1, int(abs(v).max())) for k, v in cols.items()}
    for form in forms(poly):
        assert sympy.expand(form - poly) == 0
        assert all(abs(v) <= bound(form, bounds) for v in exact)
        objects = {k: v.astype(object) for k, v in cols.items()}
        assert np.broadcast_to(evaluate(form, objects), (len(points),)).tolist() == exact
        if bound(form, bounds) <= INT64_MAX:
            assert np.broadcast_to(evaluate(form, cols), (len(points),)).tolist() == exact


@given(_polys, st.integers(-3, 3), st.integers(1, 4), st.sets(st.sampled_from("xyz")),
       st.lists(st.tuples(st.integers(-9, 9), st.integers(-9, 9), st.integers(-9, 9)), min_size=1, max_size=5))
def test_generated_block_code_of_every_form_equals_the_polynomial(monomials, shift, power, scalars, points):
    """Straight-line ufunc code writing into reused buffers gives each form's value, any variable an array or an int.

    A factor (x + shift)**power makes the factored form raise a computed sum to a power, which must not
    overwrite the base it is still multiplying by.
    """
    from symparams.compiled.fused import program
    from symparams.compiled.poly import Code

    x, y, z = var("x"), var("y"), var("z")
    poly = sympy.expand(sum(c * x**a * y**b * z**d for c, a, b, d in monomials) * (x + shift)**power)
    cols = {k: np.array([p[i] for p in points], dtype=np.int64) for i, k in enumerate("xyz")}
    values = {k: (int(v[0]) if k in scalars else v) for k, v in cols.items()}
    at = [{s: int(values[s.name]) if s.name in scalars else int(cols[s.name][i]) for s in (x, y, z)}
          for i in range(len(points))]
    exact = [int(poly.subs(p)) for p in at]
    bounds = {k: max(1, int(abs(v).max())) for k, v in cols.items()}
    for form in forms(poly):
        if bound(form, bounds) > INT64_MAX:
            continue
        names_ = tuple(sorted(str(s) for s in form.free_symbols))
        run, temps = program(Code(form, names_, str(form), (form,)), frozenset(n for n in names_ if n not in scalars))
        out = np.full(len(points), -1, dtype=np.int64)
        got = run(out, *[np.full(len(points), 7, dtype=np.int64) for _ in range(temps)], *[values[n] for n in names_])
        assert np.broadcast_to(got, (len(points),)).tolist() == exact, form


@pytest.mark.parametrize("name, given_", [("nanochat", ()), ("llama-3-8b", ("d_h",)), ("mixtral-8x7b", ())])
def test_valid_blocks_of_the_benchmarked_families_run_as_one_generated_function(name, given_, monkeypatch):
    """The generated block covers nanochat, Llama with d_h kept and Mixtral, and gives the general path's numbers."""
    from symparams.compiled import flat, fused

    rng = np.random.default_rng(5)
    n = 3 * flat.BLOCK + 11
    kv = rng.integers(1, 9, n)
    heads = kv * rng.integers(1, 5, n)
    values = {"D": heads * 128, "H": heads, "L": rng.integers(1, 80, n), "V": rng.integers(1_000, 300_000, n)}
    values.update({"nanochat": {"e": rng.integers(1, 8, n)},
                   "llama-3-8b": {"H_kv": kv, "d_h": 128, "F": rng.integers(1_000, 60_000, n)},
                   "mixtral-8x7b": {"H_kv": kv, "F": rng.integers(1_000, 30_000, n), "E": rng.integers(2, 65, n),
                                    "k": rng.integers(1, 3, n)}}[name])
    values["H"][flat.BLOCK + 3] = 7 * 128 + 1  # one invalid entry: its block runs on the general block code
    f = vectorize(model(name))
    plan = f.compiled.plan(frozenset(given_))
    arrays = frozenset(c for k, cnames in plan.inputs if isinstance(values[k], np.ndarray) for c in cnames)
    assert fused.block(plan, arrays, ("total",) + f.components) is not None
    ran = []
    real = fused.block

    def counted(*args):
        fn, temps = real(*args)
        return (lambda *a: ran.append(fn(*a)) or ran[-1]), temps

    monkeypatch.setattr(fused, "block", counted)
    wanted = ("total",) + f.components
    got = f.evaluate(values, wanted, invalid="mask")
    assert ran.count(1) == 3 and ran.count(0) == 1
    expected = _general(f, values, wanted, "mask")
    assert got["reasons"] == expected["reasons"] and (got["valid"] == expected["valid"]).all()
    for k in wanted:
        assert got[k].tolist() == expected[k].tolist()


def test_compiled_code_holds_no_division_and_no_float():
    """The compiled code of every model has only whole-number arithmetic: no '/' but '//', no float literal."""
    for name in sample(PRESETS, "compiled-whole"):
        plan = compiled(model(name)).plan()
        texts = [c.x.text for c in plan.checks] + [n.text for _, n, _ in plan.outputs]
        texts += [s.num.text for s in plan.steps]
        for t in texts:
            assert "/" not in t and "." not in t, (name, t)


# ---- flat arrays: the blocked path (checks fused with the closed form) -------------------------------------

_FLAT_MODELS = {
    "nanochat": ("D", "H", "L", "V", "e", "H_kv"),
    "llama-3-8b": ("D", "H", "H_kv", "L", "F", "V", "d_h"),
    "mixtral-8x7b": ("D", "H", "H_kv", "L", "F", "V", "E", "k"),
}


def _general(f, values, wanted, invalid):
    """The general evaluator's answer (the flat path switched off)."""
    from symparams.compiled import flat

    saved = flat.MIN_SIZE
    flat.MIN_SIZE = 2**62
    try:
        return f.evaluate(values, wanted, invalid=invalid)
    finally:
        flat.MIN_SIZE = saved


def _column(data, n, big):
    """Sizes: mostly small, some near where float64 stops being exact (2**53), some zero or negative."""
    small = st.integers(1, 64)
    edge = st.integers(2**52 - 3, 2**53 + 3) if big else small
    return np.array(data.draw(st.lists(st.one_of(small, small, small, edge, st.integers(-2, 0)), min_size=n, max_size=n)),
                    dtype=np.int64)


@pytest.mark.parametrize("name", list(_FLAT_MODELS))
@settings(max_examples=40, deadline=None)
@given(data=st.data(), block=st.sampled_from([1, 2, 3, 8]), big=st.booleans(), given_kv=st.booleans())
def test_flat_path_equals_the_general_path_and_reports_invalid_entries_without_counting_them(
        name, data, block, big, given_kv):
    from symparams.compiled import flat

    saved = flat.BLOCK, flat.MIN_SIZE
    flat.BLOCK, flat.MIN_SIZE = block, 1
    try:
        _compare_flat_with_general(name, data, big, given_kv)
    finally:
        flat.BLOCK, flat.MIN_SIZE = saved


def _compare_flat_with_general(name, data, big, given_kv):
    f = vectorize(model(name))
    n = data.draw(st.integers(1, 24))
    symbols = [s for s in _FLAT_MODELS[name] if given_kv or s not in ("H_kv", "d_h")]
    values = {s: _column(data, n, big) for s in symbols}
    if data.draw(st.booleans()):  # many valid entries: heads dividing the width
        values["D"] = values["H"] * data.draw(st.sampled_from([1, 64, 127, 128]))  # 127: an odd rotary head
    wanted = ("total",) + f.components
    try:
        expected = _general(f, values, wanted, "mask")
    except OverflowError:
        with pytest.raises(OverflowError):
            f.evaluate(values, wanted, invalid="mask")
        return
    got = f.evaluate(values, wanted, invalid="mask")
    assert got["reasons"] == expected["reasons"] and list(got["reasons"]) == list(expected["reasons"])
    assert (got["valid"] == expected["valid"]).all()
    for k in wanted:
        assert got[k].dtype == np.int64 and got[k].tolist() == expected[k].tolist()
    # Every valid entry counts exactly what Spec counts; every invalid one is reported and left out.
    assert got["valid"].sum() == len(got["total"]) == n - sum(got["reasons"].values())
    for i in np.flatnonzero(got["valid"])[:3]:
        one = {s: int(v[i]) for s, v in values.items()}
        assert int(got["total"][list(np.flatnonzero(got["valid"])).index(i)]) == apply_overrides(
            model(name), {k: sympy.Integer(v) for k, v in one.items()}).total
    if got["valid"].all():
        assert f(**values).tolist() == expected["total"].tolist()
    else:
        with pytest.raises(SymparamsError) as flat_err:
            f(**values)
        with pytest.raises(SymparamsError) as general_err:
            _general(f, values, ("total",), "raise")
        assert str(flat_err.value) == str(general_err.value)


def test_flat_arrays_of_a_million_take_the_blocked_path_with_the_same_numbers():
    from symparams.compiled import flat

    rng = np.random.default_rng(3)
    n = 4 * flat.BLOCK + 5
    heads = rng.integers(1, 64, n)
    values = {"D": heads * 128, "H": heads, "L": rng.integers(1, 100, n), "V": rng.integers(1_000, 300_000, n),
              "e": rng.integers(1, 8, n)}
    values["H"][7] = 5  # one entry where H does not divide D
    f = vectorize(model("nanochat"))
    got = f.evaluate(values, ("total",), invalid="mask")
    assert flat.run(f.compiled.plan(), {k: v for k, v in values.items()}, (n,), {"total"}, True) is not None
    expected = _general(f, values, ("total",), "mask")
    assert got["total"].tolist() == expected["total"].tolist() and got["reasons"] == {"H does not divide D": 1}
    D, L, V, e = (np.delete(values[k], 7) for k in "DLVe")
    assert got["total"].tolist() == (2*D**2*L*(e + 2) + 2*D*V).tolist()


@given(st.integers(2**63, 10**40), st.sampled_from(["nanochat", "llama-3-8b", "mixtral-8x7b"]), st.booleans())
@settings(max_examples=20, deadline=None)
def test_a_count_beyond_int64_is_a_one_line_refusal_naming_the_limit_and_exact_on_request(vocab, name, as_array):
    f = vectorize(model(name))
    v = np.array([vocab, 7], dtype=object) if as_array else vocab
    with pytest.raises(SymparamsError, match=r"does not fit in int64 \(at most 9,223,372,036,854,775,807\)") as err:
        f(V=v)
    assert isinstance(err.value, OverflowError) and "\n" not in str(err.value)
    exact = f.evaluate({"V": v}, exact=True)["total"]
    assert int(np.asarray(exact).ravel()[0]) == apply_overrides(model(name), {"V": sympy.Integer(vocab)}).total


@pytest.mark.parametrize("block", [1, 2, 3, 1024])
@pytest.mark.parametrize("given_head", [False, True])
def test_a_rotary_head_odd_and_above_4_is_reported_on_every_path_and_never_counted(block, given_head):
    """Llama's head size (D/H, or d_h where it is set) must be even above 4, as transformers' rotary embedding
    needs: the flat blocks, the generated function of a block (a block of one entry each, at block 1) and the
    general path each refuse exactly the entries Spec refuses, and count the rest as Spec does."""
    from symparams.compiled import flat

    heads = np.array([1, 2, 8, 32])
    sizes = np.array([1, 2, 3, 4, 5, 6, 7, 127, 128])
    H = np.repeat(heads, len(sizes))
    d = np.tile(sizes, len(heads))
    values = {"D": H * d, "H": H, "H_kv": H, "L": np.full(len(H), 2), "F": np.full(len(H), 96),
              "V": np.full(len(H), 1000)}
    if given_head:
        values.update({"D": np.full(len(H), 256), "d_h": d})
    f = vectorize(model("llama-3-8b"))
    saved = flat.BLOCK, flat.MIN_SIZE
    flat.BLOCK, flat.MIN_SIZE = block, 1
    try:
        got = f.evaluate(values, ("total",), invalid="mask")
    finally:
        flat.BLOCK, flat.MIN_SIZE = saved
    expected = _general(f, values, ("total",), "mask")
    assert got["valid"].tolist() == expected["valid"].tolist() and got["reasons"] == expected["reasons"]
    want = []
    for i in range(len(H)):
        try:
            want.append(apply_overrides(model("llama-3-8b"), {k: sympy.Integer(int(v[i])) for k, v in values.items()})
                        .total)
        except SymparamsError as err:
            assert "is odd and above 4" in str(err) or "does not divide" in str(err), err
            want.append(None)
    assert got["valid"].tolist() == [w is not None for w in want]
    assert got["total"].tolist() == expected["total"].tolist() == [w for w in want if w is not None]
    assert sum(d[i] > 4 and d[i] % 2 for i in range(len(H))) == got["reasons"]["d_h is odd and above 4"]
