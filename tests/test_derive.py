"""Derivation documents: every number they print is read back and checked against the model.

The checker below parses the ``text`` rendering line by line. A chain
``label = side = ... = value ≈ rounded`` is evaluated side by side with exact
fractions (by a small evaluator written here, not symparams' parser), and its label
is read from the model independently: ``N[attn.q]`` is that component's count,
``N{H_kv=1}`` the total of the model with one key/value head, ``∂N/∂D`` the
derivative of the closed form. Tables are checked row by row against models built
afresh; module lines against the tree. Prose may not carry a count at all.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from budget import sample
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from named import noted

import symparams
from symparams.cli.derive import source_for
from symparams.errors import SymparamsError
from symparams.format import human, share
from symparams.report import derive, document, render
from symparams.spec import apply_overrides
from symparams.symbols import SYMBOLS

REPO = Path(__file__).resolve().parent.parent
DERIVATIONS = REPO / "derivations"

# The hand-worked guide's figures for nanochat d20 (and the d12 row it got wrong).
GUIDE_FIGURES = ("560,988,160", "393,216,000", "19,660,800", "83,886,080", "6,553,600", "13,107,200", "1,638,400")


# ---- an exact evaluator for the text a document prints ---------------------------------

_FUNCTIONS = {"ceiling": math.ceil, "floor": math.floor, "Min": min, "Max": max}
# A number may be grouped by thousands (14,338·D); a comma between a function's arguments is followed by a space.
_TOKEN = re.compile(r"\s*(?:(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z_0-9]*|@\d+)|(\*\*|[-+*/^(),]))")


def evaluate(text: str, names: dict[str, Fraction]) -> Fraction:
    """``text`` (numbers, names, + - * / ^ and parentheses) as an exact fraction."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m and m.end() > pos, f"cannot read {text[pos:]!r} in {text!r}"
        tokens.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    i = 0

    def peek():
        return tokens[i] if i < len(tokens) else None

    def take():
        nonlocal i
        i += 1
        return tokens[i - 1]

    def expr():
        v = term()
        while peek() in ("+", "-"):
            v = v + term() if take() == "+" else v - term()
        return v

    def term():
        v = unary()
        while peek() in ("*", "/"):
            v = v * unary() if take() == "*" else v / unary()
        return v

    def unary():
        if peek() == "-":
            take()
            return -unary()
        return power()

    def power():
        v = atom()
        if peek() in ("^", "**"):
            take()
            exp = unary()
            assert exp.denominator == 1
            v = v ** int(exp)
        return v

    def atom():
        t = take()
        if t == "(":
            v = expr()
            assert take() == ")"
            return v
        if t[0].isdigit():
            return Fraction(t.replace(",", ""))
        if t in _FUNCTIONS and peek() == "(":
            take()
            args = [expr()]
            while peek() == ",":
                take()
                args.append(expr())
            assert take() == ")"
            return Fraction(_FUNCTIONS[t](*args))
        assert t in names, f"unknown name {t!r} in {text!r}"
        return names[t]

    value = expr()
    assert i == len(tokens), f"trailing {tokens[i:]} in {text!r}"
    return value


def _frac(x) -> Fraction:
    x = sympy.sympify(x)
    return Fraction(int(x.p), int(x.q))


# ---- the checker -------------------------------------------------------------------------

_REF = re.compile(r"(?<![\w∂])([NA])(?![\w])(\[[^\]]+\])?(\{[^}]*\})?")
_NAMED = re.compile(r"∂N/∂[A-Za-z_]+|ε_[A-Za-z_]+|N_[a-z]+|D_eq|out\[[^\]]+\]")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")
_QUALIFIER = re.compile(r"[A-Za-z_]+ ?= ?[\d,/]+")


def _where(text: str) -> dict[str, sympy.Expr]:
    out = {}
    for part in text.split(";"):
        k, _, v = part.strip().partition("=")
        num, _, den = v.replace(",", "").partition("/")
        out[k.strip()] = sympy.Rational(int(num), int(den or 1))
    return out


class Checker:
    """Reads a text derivation of ``spec`` and checks each number it states."""

    def __init__(self, spec, overrides: dict | None = None):
        self.main, self.overrides = spec, dict(overrides or {})
        self.context: dict[str, sympy.Expr] = {}
        self.defined: dict[str, Fraction] = {}
        self.seen_refs: set[str] = set()
        self.checked = Counter()
        self._specs: dict[tuple, object] = {}
        self._paths: dict[int, dict] = {}

    # models
    def spec(self, where: dict) -> object:
        key = tuple(sorted((k, str(v)) for k, v in where.items()))
        if key not in self._specs:
            self._specs[key] = apply_overrides(self.main, where) if where else self.main
        return self._specs[key]

    def row(self, spec, path: str):
        """The node at ``path`` (or a unique path ending in it), found by walking the tree."""
        if id(spec) not in self._paths:
            names, paths = {}, {}
            for depth, _, node in spec.tree.walk():
                names[depth] = node.name
                if depth:
                    paths[".".join(names[d] for d in range(1, depth + 1))] = node
            self._paths[id(spec)] = paths
        paths = self._paths[id(spec)]
        found = [paths[path]] if path in paths else [n for p, n in paths.items() if p.endswith("." + path)]
        assert len(found) == 1, f"component {path!r} is not unique in {spec.name}"
        return found[0]

    def ref_value(self, letter: str, path: str | None, qual: str | None) -> Fraction:
        where = {**self.context, **(_where(qual) if qual else {})}
        spec = self.spec(where)
        reading = "active" if letter == "A" else "params"
        if not qual and not self.context and path:
            self.seen_refs.add(path)
        node = self.row(spec, path) if path else None
        return Fraction(spec.count(node, reading))

    def env(self) -> dict[str, Fraction]:
        spec = self.spec(self.context)
        return {s.name: _frac(v) for s, v in spec.env.items()}

    # expressions
    def value_of(self, text: str, label: bool = False) -> Fraction | None:
        names = dict(self.env())
        n = 0

        def placeholder(value: Fraction) -> str:
            nonlocal n
            n += 1
            names[f"@{n}"] = value
            return f"@{n}"

        def named(m):
            t = m.group(0)
            if t in names:  # a model symbol spelled like a defined name (Mamba's N_s, Zamba2's N_b)
                return t
            if t.startswith("∂N/∂") or t.startswith("ε_"):
                x = SYMBOLS[t.split("∂")[-1] if t.startswith("∂") else t[2:]]
                spec = self.spec(self.context)
                form = spec.closed_form
                relations = dict(spec.relations)
                for _ in range(len(relations) + 1):  # follow every relation, as the count does (d_h = D/H)
                    form = form.xreplace(relations)
                d = _frac(sympy.diff(form, x).xreplace(spec.env))
                return placeholder(d if t.startswith("∂") else _frac(spec.env[x]) * d / spec.total)
            if t not in self.defined:
                raise _Undefined(t)
            return placeholder(self.defined[t])

        text = _NAMED.sub(named, text)
        text = _REF.sub(lambda m: placeholder(self.ref_value(m.group(1), (m.group(2) or "")[1:-1] or None,
                                                             (m.group(3) or "")[1:-1] or None)), text)
        text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text).replace("×", "*").replace("·", "*")
        return evaluate(text, names)

    def chain(self, label: str, sides: list[tuple[str, str]]) -> None:
        """Check one chain; a label naming a variant (N[x]{S=v}) has its sides worked at that variant."""
        m = _REF.fullmatch(label)
        if m and m.group(3):
            outer = self.context
            self.context = {**outer, **_where(m.group(3)[1:-1])}
            try:
                self._chain(label, sides)
            finally:
                self.context = outer
        else:
            self._chain(label, sides)

    def _chain(self, label: str, sides: list[tuple[str, str]]) -> None:
        exact = [s for op, s in sides if op == "="]
        rounded = [s for op, s in sides if op == "≈"]
        assert len(rounded) <= 1, f"{label}: two rounded figures"
        values = []
        for s in exact:
            if s.endswith("%"):
                values.append(("percent", s))
                continue
            values.append(("value", self.value_of(s)))
        nums = [v for k, v in values if k == "value"]
        try:
            target = self.value_of(label)
        except _Undefined:
            assert nums, f"{label} defined without a value"
            target = nums[-1]
            self.defined[label] = target
        for v in nums:
            assert v == target, f"{label}: a side is {v}, the label {target}"
        for k, s in values:
            if k == "percent":
                assert s == share(target) and (target * 1000).denominator == 1, f"{label}: {s} is not {target}"
        if rounded:
            r = rounded[0]
            if r.endswith("%"):
                assert r == share(target), f"{label}: {r} is not {share(target)}"
            elif r[-1] in "KMBT":
                assert r == human(target), f"{label}: {r} is not {human(target)}"
            else:
                assert r == f"{float(target):.4g}", f"{label}: {r} is not {target}"
        self.checked["chain"] += 1

    # tables
    def table(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        if title == "Parameters by component":
            spec, env = self.spec(self.context), self.env()
            for name, formula, copies, each, total, pct in rows:
                count = spec.count(self.row(spec, name))
                times = evaluate(copies.replace("·", "*"), env)
                assert times.denominator == 1, copies
                times = int(times)
                assert each == f"{count:,}" and evaluate(formula.replace("·", "*"), env) == count, name
                assert total == f"{count * times:,}" and pct == share(Fraction(count * times, spec.total)), name
                if not self.context:
                    self.seen_refs.add(name)
        elif title == "Free symbols and their values":
            env = self.env()
            for sym, value, *_ in rows:
                assert evaluate(value.replace(",", ""), {}) == env[sym], f"{sym} = {value}"
        elif title.endswith(" by depth") or title.endswith(" presets"):
            self.sizes(title, header, rows)
        elif title == "Attention per block and total by key/value heads":
            base = self.spec(self.context)
            base_attn = self.attention_per_block(base)
            for n, _kind, attn, saved, total, rounded in rows:
                try:
                    v = apply_overrides(base, {"H_kv": sympy.Integer(int(n))})
                    v.total  # noqa: B018
                except SymparamsError:
                    assert total == "refused"
                    continue
                a = self.attention_per_block(v)
                assert attn == f"{a:,}" and saved == share(1 - Fraction(a, base_attn))
                assert total == f"{v.total:,}" and rounded == human(v.total)
        elif title.startswith("Training FLOPs per token at T="):
            from symparams.flops import flops

            seq = int(title.rsplit("=", 1)[1].replace(",", ""))
            names = {**self.env(), "T": Fraction(seq)}
            for conv, _source, formula, value, rounded in rows:
                name, causal = conv.removesuffix(" (causal)"), conv.endswith(" (causal)")
                train = flops(self.spec(self.context), seq, name, causal=causal).train
                assert value == f"{train:,}" and rounded == human(train), conv
                assert evaluate(formula.replace("·", "*"), names) == train, f"{conv}: {formula}"
        elif title.startswith("Memory in bytes at T="):
            from symparams.memory import gib, memory
            from symparams.report.compute import MEMORY_SETTINGS

            seq = int(re.search(r"T=([\d,]+\d)", title).group(1).replace(",", ""))
            names = {**self.env(), "T": Fraction(seq), "B": Fraction(1)}
            for label, formula, value, rounded in rows:
                kwargs = dict(MEMORY_SETTINGS[label])
                if kwargs.get("seq"):
                    kwargs["seq"] = seq
                total = memory(self.spec(self.context), **kwargs).total_bytes
                assert value == f"{total:,}" and rounded == gib(total), label
                assert evaluate(formula.replace("·", "*"), names) == total, f"{label}: {formula}"
        elif title.startswith("KV cache in bytes at T="):
            from symparams.memory import memory

            seq = int(re.search(r"T=([\d,]+\d)", title).group(1).replace(",", ""))
            names = {**self.env(), "T": Fraction(seq), "B": Fraction(1)}
            m = memory(self.spec(self.context), "bf16", training=False, seq=seq)
            expected = {"the layers attend over": m.kv_cache_bytes, "transformers' cache": m.transformers_kv_cache_bytes}
            assert m.kv_cache_bytes < m.transformers_kv_cache_bytes and len(rows) == 2
            for label, formula, value in rows:
                assert value == f"{expected[label]:,}", label
                assert evaluate(formula.replace("·", "*"), names) == expected[label], f"{label}: {formula}"
        else:
            raise AssertionError(f"unknown table {title!r}")
        self.checked["table"] += len(rows)

    def attention_per_block(self, spec) -> int:
        """Attention parameters of one copy of the block that repeats L times."""
        from symparams.components import Repeat
        from symparams.components.shared import Shared

        # a stack of L blocks; else the first repeated or weight-shared block (Zamba2's shared transformer)
        stacks = [c for c in spec.tree.children() if isinstance(c, (Repeat, Shared))
                  and any(n.group == "attention" for _, _, n in c.child.walk() if not n.children())]
        layers = next((c for c in stacks if c.multiplier() == SYMBOLS["L"]), stacks[0])
        return sum(spec.count(node) * int(spec.value(copies)) for _, copies, node in layers.child.walk()
                   if not node.children() and node.group == "attention")

    def sizes(self, title, header, rows) -> None:
        family = title.rsplit(" ", 2)[0] if title.endswith(" by depth") else None
        overrides = self.overrides
        for row in rows:
            cells = dict(zip(header, row))
            try:
                if family:
                    spec = symparams.model(family, depth=int(cells["model"][1:]), **overrides)
                else:
                    spec = symparams.model(cells["model"])
                spec.total  # noqa: B018
            except SymparamsError:
                assert cells["parameters"] == "refused", row
                continue
            assert cells["parameters"] == f"{spec.total:,}" and cells["rounded"] == human(spec.total), row
            for name in ("L", "D", "H", "H_kv", "V"):
                if name in cells:
                    assert cells[name] == f"{int(spec.env[SYMBOLS[name]]):,}", row

    def bars(self, rows: list[str]) -> None:
        spec = self.spec(self.context)
        groups = spec.breakdown().groups()
        for line in rows:
            label, count, pct, *bar = line.split()
            assert count == f"{groups[label]:,}" and pct == share(Fraction(groups[label], spec.total)), line
            assert len("".join(bar)) == max(1, round(Fraction(groups[label], spec.total) * 40)), line
        self.checked["bars"] += len(rows)

    def module(self, line: str) -> None:
        name, _, rest = line.partition(": ")
        _, _, here = rest.rpartition(", here ")
        spec = self.spec(self.context)
        node = self.row(spec, name)
        def fmt(x):
            v = spec.value(sympy.sympify(x))
            return f"{int(v):,}" if v.is_Integer else f"{int(v.p):,}/{int(v.q):,}"

        assert here == node.describe(fmt), line
        self.checked["module"] += 1

    def prose(self, line: str) -> None:
        rest = _QUALIFIER.sub("", line)
        assert not _GROUPED.search(rest), f"a count in prose: {line!r}"
        assert "%" not in rest and "≈" not in rest.split("Figures after")[0], f"a figure in prose: {line!r}"

    # the document
    def run(self, text: str) -> None:
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            raw = lines[i]
            line = raw.strip()
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if not line:
                i += 1
                continue
            if nxt and set(nxt) <= set("=-#") and len(nxt) == len(line) or line.startswith("▸ "):
                self.context = {}
                i += 2 if not line.startswith("▸ ") else 1
                continue
            m = re.fullmatch(r"At (.+):", line)
            if m:
                self.context = _where(m.group(1))
                i += 1
                continue
            if line.endswith(":") and nxt and i + 2 < len(lines) and set(lines[i + 2].strip()) <= set("- ") \
                    and lines[i + 2].strip():
                header = re.split(r"\s{2,}", nxt)
                rows, j = [], i + 3
                while j < len(lines) and lines[j].strip():
                    rows.append(re.split(r"\s{2,}", lines[j].strip()))
                    j += 1
                self.table(line[:-1], header, rows)
                i = j
                continue
            if line == "Parameters by kind of layer:":
                j = i + 1
                while j < len(lines) and lines[j].strip():
                    j += 1
                self.bars([x.strip() for x in lines[i + 1:j]])
                i = j
                continue
            if " = " in line and not line.startswith(("= ", "≈ ")):
                label, _, rest = line.partition(" = ")
                sides = [("=", "")]
                for part in re.split(r" (=|≈) ", " = " + rest)[1:]:
                    if part in ("=", "≈"):
                        sides.append((part, ""))
                    else:
                        sides[-1] = (sides[-1][0], part)
                sides = [s for s in sides if s[1]]
                j = i + 1
                while j < len(lines) and lines[j].strip().startswith(("= ", "≈ ")):
                    cont = lines[j].strip()
                    sides.append((cont[0], cont[2:]))
                    j += 1
                self.chain(label, sides)
                i = j
                continue
            if ", here " in line and re.match(r"^[\w.]+: ", line):
                self.module(line)
            else:
                self.prose(line)
            i += 1


class _Undefined(Exception):
    pass


def check(text: str, spec, overrides: dict | None = None) -> Checker:
    """Check every number of the text derivation of ``spec`` (built with ``overrides``, which the size table keeps)."""
    c = Checker(spec, overrides)
    c.run(text)
    paths = {r.path for r in spec.breakdown().rows}
    missing = [p for p in paths if not any(p == s or (s not in paths and p.endswith("." + s)) for s in c.seen_refs)]
    assert not missing, f"components never derived: {missing}"
    return c


def _grouped_numbers(s: str) -> Counter:
    s = s.replace("{,}", ",").replace(r"\%", "%")
    return Counter(_GROUPED.findall(s))


# ---- tests -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def d20():
    spec, source = source_for("nanochat", 20, {})
    doc = document(spec, source)
    return spec, source, doc, {fmt: render(doc, fmt) for fmt in ("text", "md", "tex")}


def test_every_number_in_the_d20_text_document_is_the_models_own(d20):
    spec, source, _, out = d20
    c = check(out["text"], spec)
    assert c.checked["chain"] > 50 and c.checked["table"] > 10 and c.checked["module"] > 10


def test_the_d20_document_states_each_of_the_guides_figures(d20):
    for fmt in ("text", "md", "tex"):
        found = _grouped_numbers(d20[3][fmt])
        for figure in GUIDE_FIGURES:
            assert found[figure], f"{figure} missing from the {fmt} document"


def test_the_size_table_says_185_597_952_for_d12_not_the_guides_203m(d20):
    md = d20[3]["md"]
    row = next(line for line in md.splitlines() if line.startswith("| d12 |"))
    assert "185,597,952" in row and "203" not in row
    assert "1,081,999,360" in next(line for line in md.splitlines() if line.startswith("| d26 |"))


def test_the_markdown_and_latex_state_the_same_counts_as_the_text(d20):
    text = _grouped_numbers(d20[3]["text"])
    assert _grouped_numbers(d20[3]["md"]) == text
    assert _grouped_numbers(d20[3]["tex"]) == text


def test_the_guides_insights_and_problems_are_in_the_d20_document(d20):
    text = d20[3]["text"]
    for fact in ("N[mlp]/N[attn] = e/2 = 13,107,200/6,553,600 = 2",
                 "1 - N[attn]{H_kv=1}/N[attn] = 1 - 3,604,480/6,553,600 = 45.0%",
                 "N_bias = D·L·(e + 5) = 1,280 × 20 × (4 + 5) = 230,400",
                 "N_shortcut = 6·D·L = 6 × 1,280 × 20 = 153,600",
                 "N[wte]{L=40}/N[wte] = 83,886,080/83,886,080 = 1",
                 "N[block]{D=2,560}/N[block] = 78,643,200/19,660,800 = 4",
                 "Problem 1: nanochat d8", "92,274,688", "502,005,760"):
        assert fact in text, fact


def test_a_wrong_number_is_caught_by_the_checker(d20):
    """The checker can fail: one digit changed anywhere it looks is an error."""
    spec, source, _, out = d20
    text = out["text"]
    for good, bad in (("= 1,638,400 ≈ 1.64M", "= 1,638,401 ≈ 1.64M"),
                      ("36,700,160", "36,700,161"),
                      ("≈ 70.1%", "≈ 70.2%"),
                      ("Linear(1,280 -> 5,120, bias=False)", "Linear(1,280 -> 5,121, bias=False)"),
                      ("= 65,536 × 1,280 =", "= 65,536 × 1,281 =")):
        assert good in text, good
        with pytest.raises(AssertionError):
            check(text.replace(good, bad, 1), spec)


@st.composite
def nanochat_sources(draw):
    """A nanochat named as a user would: a depth, and --set values for H_kv, e and V."""
    depth = draw(st.integers(1, 24))
    heads = -(-64 * depth // 128)
    assume((64 * depth) % heads == 0)
    overrides = {}
    kv = draw(st.sampled_from([None] + [d for d in range(1, heads + 1) if heads % d == 0]))
    if kv is not None:
        overrides["H_kv"] = sympy.Integer(kv)
    e = draw(st.sampled_from([None, 1, 2, 3, 8, Fraction(3, 2), Fraction(8, 3)]))
    if e is not None:
        overrides["e"] = sympy.Rational(e.numerator, e.denominator)
    if draw(st.booleans()):
        overrides["V"] = sympy.Integer(draw(st.integers(2, 300_000)))
    try:
        spec, source = source_for("nanochat", depth, overrides)
        spec.total  # noqa: B018
    except SymparamsError:
        assume(False)
    return source, spec, overrides


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(nanochat_sources())
def test_for_random_nanochat_configs_every_number_in_the_derivation_is_the_models_own(case):
    source, spec, overrides = case
    doc = document(spec, source)
    text = render(doc, "text")
    check(text, spec, overrides)
    assert _grouped_numbers(render(doc, "md")) == _grouped_numbers(text)


def _planned_models() -> set[str]:
    from symparams.cli.derive import planned

    return {name for _, name, depth, _, _ in planned() if depth is None}


PLANNED = _planned_models()


@pytest.mark.sampled
@pytest.mark.parametrize("name", noted())
def test_what_reading_the_config_noted_stands_beside_the_sizes(name):
    """A total that leaves something out (DeepSeek-V3's multi-token-prediction layers) says so in the document,
    the brief one too, in the sizes section."""
    spec = symparams.model(name)
    for parts in (None, ("intro", "sizes", "closed-form", "breakdown", "total", "ratios")):
        text = " ".join(derive(spec, "text", **({"parts": parts} if parts else {})).split())
        noted = text.index("Noted while reading the config:")
        assert "The model's sizes" in text[:noted]
        assert all(f"{note}." in text[noted:] for note in spec.notes), spec.notes


@pytest.mark.sampled
@pytest.mark.parametrize("name", [n for n in symparams.names() if n != "nanochat" and n not in PLANNED])
def test_every_preset_document_checks_out(name):
    """Presets without a document in derivations/ (those are checked with it, below), each read back in full."""
    spec, source = source_for(name, None, {})
    text = derive(spec, "text", source)
    c = check(text, spec)
    assert c.checked["chain"] > 20
    assert f"{spec.total:,}" in text
    assert spec.family == "nanochat" or "guide" not in text.lower()


def test_a_mixture_of_experts_document_derives_total_and_active_parameters():
    spec = symparams.model("mixtral-8x7b")
    text = derive(spec, format="text")
    assert "46,702,792,704" in text
    assert "A = " in text and f"{spec.active_total:,}" in text


# ---- LaTeX compiles ----------------------------------------------------------------------

def _pdflatex(tex: str, tmp_path: Path) -> None:
    exe = shutil.which("pdflatex")
    if exe is None:
        pytest.skip("pdflatex is not installed (CI installs texlive-latex-base)")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, "\n".join(errors) or run.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


def test_the_d20_latex_document_compiles_with_pdflatex(d20, tmp_path):
    _pdflatex(d20[3]["tex"], tmp_path)


@pytest.mark.parametrize("name", ["gpt2", "mixtral-8x7b"])
def test_preset_latex_documents_compile(name, tmp_path):
    _pdflatex(derive(symparams.model(name), format="tex"), tmp_path)


def test_a_hostile_model_name_is_escaped_and_still_compiles(tmp_path):
    import dataclasses

    spec = dataclasses.replace(symparams.model("nanochat", depth=4), name="a_b & c % $x$ #1 {~} ^ \\ <é>")
    _pdflatex(derive(spec, format="tex"), tmp_path)


# ---- checked-in documents ----------------------------------------------------------------

# The documents of derivations/ are built in this many parts, one test each, so that xdist's two workers
# share them; each document is built once and then compared, read back and compiled.
PARTS = 2


def test_derive_all_writes_the_files_of_derivations_and_an_index_linking_each(monkeypatch, tmp_path):
    """``derive --all`` plans exactly the checked-in files and writes the index the folder keeps (each
    document's text is compared by the tests below, which build it once for all their checks)."""
    from symparams.cli import derive as cli
    from symparams.cli import main
    from symparams.report import collection

    planned = [f for f, *_ in cli.planned()]
    assert sorted(planned + ["README.md"]) == sorted(p.name for p in DERIVATIONS.iterdir())
    monkeypatch.setattr(collection, "outputs", lambda entries, command: {"README.md": collection.index(entries, command)})
    assert main(["derive", "--all", "-o", str(tmp_path)]) == 0
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert index == (DERIVATIONS / "README.md").read_text(encoding="utf-8"), "run: symparams derive --all -o derivations/"
    assert "symparams derive --all -o derivations/" in index
    assert [f for f in planned if f"]({f})" not in index] == []


@pytest.mark.parametrize("part", range(PARTS))
def test_every_document_of_derivations_is_current_checks_out_and_compiles(part, monkeypatch, tmp_path):
    """Each document of derivations/ as ``derive --all`` writes it; then each model derived there: every
    number of its text read back, no word of the seed guide outside nanochat's, its LaTeX compiled to
    full pages within the margins (most are kept as Markdown), and, for a model derived by its name
    alone, the package's shipped documents (symparams.documents) in every format what it renders."""
    from pdflatex import problems

    from symparams.cli.derive import ALL_COMMAND, documents, planned
    from symparams.documents import shipped
    from symparams.report import FORMATS, build, collection

    monkeypatch.setattr(build, "_KEEP", 1000)  # every document of this part built once, for all its checks
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    named = {file: model for file, model, depth, fmt, _ in planned() if depth is None and fmt == "md"}
    part_entries = [e for i, e in enumerate(documents()) if i % PARTS == part]
    entries = sample(part_entries, f"derivations part {part}")
    written = collection.outputs(entries, ALL_COMMAND)
    stale = [e.filename for e in entries if written[e.filename] != (DERIVATIONS / e.filename).read_text(encoding="utf-8")]
    assert stale == [], "run: symparams derive --all -o derivations/"

    failed: list[str] = []
    for entry in entries:
        if entry.fmt == "tex":  # nanochat d20 is kept as .md and .tex: one document, read with its .md
            continue
        doc = document(entry.spec, entry.source)
        if entry.filename in named:
            name = named[entry.filename]
            failed += [f"{name} --format {fmt}: shipped document stale, run: python -m symparams.cli.known_documents"
                       for fmt in FORMATS if shipped(name, fmt) != render(doc, fmt)]
        stem = entry.filename.rsplit(".", 1)[0]
        text = render(doc, "text")
        try:
            c = check(text, entry.spec)
            assert c.checked["chain"] > 20 and f"{entry.spec.total:,}" in text, "too little checked"
            assert entry.spec.family == "nanochat" or "guide" not in text.lower(), "speaks of the seed guide"
        except (AssertionError, _Undefined) as err:
            failed.append(f"{entry.filename}: {type(err).__name__}: {str(err)[:300]}")
        failed += problems(render(doc, "tex"), tmp_path / stem, stem)
    assert len(part_entries) >= 30 and not failed, "\n".join(failed)


# ---- formats ----------------------------------------------------------------------------

def test_every_format_is_registered_with_its_extensions_and_offered_by_derive():
    from symparams.cli import build_parser
    from symparams.report import FORMATS

    assert {"text", "md", "tex"} <= set(FORMATS)
    action = next(a for a in build_parser("derive")._subparsers._group_actions[0].choices["derive"]._actions
                  if a.dest == "format")
    assert tuple(action.choices) == tuple(FORMATS)


def test_a_new_format_registers_itself_and_renders_every_part(d20):
    """A format is one class: it is listed, found by its extension, and told of any part it cannot write."""
    from symparams.report import FORMATS, format_of, register_format
    from symparams.report.text import TextRenderer

    @register_format
    class Shout(TextRenderer):
        name, extensions = "shout", (".shout",)

        def _print_str(self, s: str) -> str:
            return s.upper()

    try:
        assert format_of("x.SHOUT") == "shout"
        assert "EVERY FORMULA AND NUMBER BELOW" in render(d20[2], "shout")
    finally:
        del FORMATS["shout"]

    class Mute(TextRenderer):
        _print_Bars = None

    with pytest.raises(TypeError, match="cannot write a Bars"):
        Mute().render(d20[2])


@pytest.mark.parametrize("argv", [
    ["derive", "nanochat", "--depth", "4", "-o", "x.pdf"],
    ["derive", "nanochat", "--depth", "4", "--format", "md", "-o", "x.docx"],
    ["derive", "nanochat", "--format", "pdf"],
    ["derive"],
    ["derive", "--all"],
    ["derive", "--all", "nanochat", "-o", "d"],
])
def test_derive_refuses_what_it_cannot_write_with_one_line(argv, capsys, tmp_path, monkeypatch):
    from symparams.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symparams") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_the_format_follows_the_extension(tmp_path, capsys):
    from symparams.cli import main

    for name, first in (("d.md", "# Parameters"), ("d.tex", "\\documentclass"), ("d.txt", "Parameters"),
                        ("d", "Parameters")):
        assert main(["derive", "nanochat", "--depth", "4", "-o", str(tmp_path / name)]) == 0
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(first), name


# ---- sections, the brief and each family's own words -----------------------------------

@pytest.mark.parametrize("name", ["nanochat", "llama-2-7b", "mixtral-8x7b", "gpt2"])
def test_the_brief_checks_out_and_fits_on_two_pages(name, tmp_path):
    from pdflatex import problems

    from symparams.report import BRIEF

    spec, source = source_for(name, None, {})
    text = derive(spec, "text", source, BRIEF)
    c = check(text, spec)
    assert c.checked["table"] >= len(spec.breakdown().rows) and c.checked["chain"] >= 3
    assert [h for h in ("Closed form", "Components", "Total", "Key ratios") if h not in text] == []
    assert "Step by step" not in text and "Practice problems" not in text
    assert not problems(derive(spec, "tex", source, BRIEF), tmp_path)
    pages = (tmp_path / "doc.log").read_text(errors="replace")
    assert re.search(r"Output written on doc\.pdf \(([12]) pages?", pages), pages[-300:]


def test_sections_are_chosen_by_name_and_kept_in_document_order(capsys):
    from symparams.cli import main

    assert main(["derive", "gpt2", "--sections", "memory,flops"]) == 0
    out = capsys.readouterr().out
    heads = [line for line, nxt in zip(out.splitlines(), out.splitlines()[1:]) if nxt and set(nxt) == {"="}]
    assert heads == ["FLOPs per token", "Memory"]
    assert main(["derive", "gpt2", "--sections", "flops,nope"]) == 2
    assert "unknown section 'nope'" in capsys.readouterr().err
    for empty in ("", " , "):  # naming no section is not asking for all of them
        assert main(["derive", "gpt2", "--sections", empty]) == 2
        assert "--sections names no section" in capsys.readouterr().err
    assert main(["derive", "gpt2", "--brief", "--sections", "flops"]) == 2


def test_seq_sets_the_context_the_flops_and_memory_are_quoted_at(capsys):
    from symparams.cli import main

    assert main(["derive", "gpt2", "--sections", "flops", "--seq", "512"]) == 0
    assert "Training FLOPs per token at T=512:" in capsys.readouterr().out
    assert main(["derive", "gpt2", "--sections", "flops"]) == 0
    assert "Training FLOPs per token at T=1,024:" in capsys.readouterr().out  # GPT-2's own n_positions


def test_the_guides_model_keeps_the_guides_words(d20):
    text = " ".join(d20[3]["text"].split())
    assert "The guide's shortcut" in text and "the guide's vocabularies" in text


@pytest.mark.parametrize("name, says", [
    ("gpt2", ["tied to the token embedding", "Every linear layer in the blocks has a bias", "wpe",
              "LayerNorm(D, weight+bias)", "multi-head attention"]),
    ("qwen2-7b", ["grouped-query attention with H=28, H_kv=4", "Biases only on self_attn.q_proj, self_attn.k_proj "
                  "and self_attn.v_proj", "three matrices, one gating another"]),
    ("mixtral-8x7b", ["a mixture of experts", "A/N = 12,879,925,248/46,702,792,704", "RMSNorm(D, weight)"]),
    ("falcon-7b", ["multi-query attention"]),
    ("nanochat", ["RMSNorm(D, no learnable parameters)", "No linear layer in the blocks has a bias",
                  "two matrices, fc and proj"]),
])
def test_each_family_says_its_own_notable_things(name, says):
    spec = symparams.model(name)
    text = derive(spec, "text", None, ("notable",))
    for s in says:
        assert s in text, s
    if name in ("qwen2-7b", "mixtral-8x7b", "nanochat"):
        assert "tied" not in text


FIXTURES = Path(__file__).parent / "fixtures" / "configs"
# Models whose A and N differ for each reason: experts, weights applied at several layers, vision towers, both.
APART = ["mixtral-8x7b", "zamba2-1.2b", "gemma-3-4b-it", FIXTURES / "qwen3-vl-8b-instruct.json",
         FIXTURES / "qwen3-vl-30b-a3b-instruct.json", FIXTURES / "llama-4-scout-17b-16e-instruct.json",
         FIXTURES / "paligemma-3b-pt-224.json", "llama-2-7b"]


@pytest.mark.parametrize("name", APART, ids=lambda n: Path(n).stem)
def test_the_reason_given_for_a_and_n_differing_is_the_trees(name):
    """Each reason a document gives for A differing from N holds in the tree: experts only where a layer routes
    tokens, weights applied at several layers only where A exceeds N, parts a token never passes through named
    exactly where the tree has them, and nothing where A is N."""
    from symparams.report.compare import routed_layer, untouched
    from symparams.report.context import Reader

    spec = symparams.model(str(name))
    r = Reader(spec)
    text = " ".join(derive(spec, "text", None, ("notable", "experts")).split())
    routed, outside = routed_layer(r) is not None, [r.short[x.path] for x in untouched(r)]
    assert ("Every expert is stored" in text) == routed
    assert ("stored once and applied at several layers" in text) == (spec.active_total > spec.total)
    assert ("never passes through" in text) == bool(outside)
    for part in outside:
        assert part in text
    assert any(x.node.group == "vision" for x in spec.breakdown().top()) == bool(outside)
    if spec.active_total == spec.total:
        assert "A/N" not in text and "Parameters a token passes through" not in text
    else:
        assert f"A/N = {spec.active_total:,}/{spec.total:,}" in text


@pytest.mark.parametrize("name", ["gpt2", FIXTURES / "opt-350m.json", "llama-2-7b"], ids=lambda n: Path(n).stem)
def test_the_tables_named_are_lookups_and_a_projection_is_called_one(name):
    """Of the embedding group's leaves beside the token embedding, those named tables do no matmul (a lookup) and
    those that do are named projections: OPT-350m's project_in is not a table."""
    spec = symparams.model(str(name))
    text = " ".join(derive(spec, "text", None, ("notable",)).split())
    leaves = [x for x in spec.breakdown().rows if x.is_leaf and x.node.group == "embedding"][1:]
    tables = re.search(r"Embedding tables besides \S+: (.*?)(?:;|\.(?: |$))", text)
    projections = re.search(r"the projections? (.*?), (?:a matrix|matrices) every token passes through", text)
    named = lambda found: sorted(re.split(r", | and ", found.group(1))) if found else []  # noqa: E731
    assert named(tables) == sorted(x.name for x in leaves if x.node.matmul() == 0)
    assert named(projections) == sorted(x.name for x in leaves if x.node.matmul() != 0)


@pytest.mark.parametrize("name", ["llama-2-7b", "mamba-130m", "gemma-3-4b-it", "nanochat", "deepseek-v3", "bamba-9b"])
def test_doubling_a_size_says_which_sizes_defined_by_it_follow(name):
    """Doubling the depth or the width holds every other free symbol (but a count of the layers of one kind, which
    doubles with the depth); a size defined by a relation (d_h = D/H, F = e*D, L_s) moves with it, and the document
    names exactly those that move, each with its definition."""
    from symparams import insights

    spec = symparams.model(name)
    text = " ".join(derive(spec, "text", None, ("insights",)).split())
    for sym in ("L", "D"):
        where = insights.doubled(spec, sym)
        written = ", ".join(f"{k}={v:,}" for k, v in where.items())
        mix = " (each kind of layer doubled, so the mix stays)" if len(where) > 1 else ""
        said = re.search(rf"The same model with {re.escape(written + mix)}, every other free symbol held(.*?):", text)
        assert said is not None
        other = insights.variant(spec, **where)
        moved = [s for s, _ in spec.relations if s in spec.env and other.spec.env[s] != spec.env[s]]
        assert said.group(1).count("=") == len(moved)
        assert ("follows it" if len(moved) == 1 else "follow it" if moved else "") in said.group(1)


@pytest.mark.parametrize("name", ["llama-2-7b", "mamba-130m", "gemma-3-4b-it", "gpt2", "nanochat"])
def test_the_parts_said_to_grow_with_the_vocabulary_are_those_holding_v(name):
    """Other vocabularies: the parts named as growing with V are exactly the top-level parts whose count holds V
    (a tied head holds none)."""
    spec = symparams.model(name)
    text = " ".join(derive(spec, "text", None, ("insights",)).split())
    said = re.search(r"Other vocabularies [-=~^]* ?(.*?) grows? linearly with V", text)
    assert said is not None
    holding = [row.name for row in spec.breakdown().top() if "V" in {s.name for s in spec.formula(row.node).free_symbols}]
    assert sorted(re.split(r", | and ", said.group(1))) == sorted(holding)


@pytest.mark.parametrize("name", APART + ["deepseek-v3", "mamba-130m", "gpt2"], ids=lambda n: Path(n).stem)
def test_the_leading_terms_are_what_the_count_tends_to_as_every_size_grows(name):
    """Scaling every size (width, depth, vocabulary) by t while heads, experts and an image's geometry stay as they
    are, the count over its leading terms tends to 1, as 1 + O(1/t); and a model with a tower keeps the decoder's
    layers and the tower's in its leading terms, not the patch embedding."""
    from symparams.report.forms import leading_terms
    from symparams.symbols import INFO

    spec = symparams.model(str(name))
    form, lead = spec.closed_form, leading_terms(spec.closed_form)
    assert lead != 0 and lead.free_symbols <= form.free_symbols
    values = {s: spec.env[s] for s in form.free_symbols}
    errors = []
    for t in (10**3, 10**6, 10**9):
        scaled = {s: v * t if INFO.get(s.name) is None or INFO[s.name].scales else v for s, v in values.items()}
        errors.append(abs(sympy.Rational(form.xreplace(scaled)) / sympy.Rational(lead.xreplace(scaled)) - 1))
    assert errors[2] < errors[1] < errors[0] or errors[0] == 0
    assert errors[2] < sympy.Rational(1, 10**4)
    names = {s.name for s in lead.free_symbols}
    if "D_vis" in names or any(x.node.group == "vision" for x in spec.breakdown().top()):
        assert {"L", "D", "D_vis"} <= names and not names & {"C_img", "p_img", "S_img", "N_img"}


@settings(max_examples=20, deadline=None)
@given(folder=st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="/\\"),
                      min_size=1, max_size=20).filter(lambda s: s.strip(".") != ""))
def test_the_command_a_document_gives_to_regenerate_it_splits_back_into_its_arguments(folder, tmp_path_factory):
    """A config's path may hold any character a shell treats specially; the command a document names
    is quoted, so a shell hands symparams the same arguments, and the PDF shows straight quotes."""
    import shlex

    from symparams.cli import main

    path = tmp_path_factory.mktemp("model") / folder
    path.mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "configs" / "llama-3-8b.json", path / "config.json")
    out = path.parent / "doc.md"
    assert main(["derive", str(path), "--set", "F=3*D", "--brief", "-o", str(out)]) == 0
    spans = re.findall(r"Regenerate it with (`+) ?(.*?) ?\1\.", out.read_text())
    assert [shlex.split(span) for _, span in spans] == [["symparams", "derive", str(path), "--set", "F=3*D"]]
    assert main(["derive", str(path), "--set", "F=3*D", "--brief", "-o", str(out.with_suffix(".tex"))]) == 0
    code = re.search(r"Regenerate it with \\texttt\{(.*?)\}\.\n", out.with_suffix(".tex").read_text(), re.S)
    assert code is not None and "'" not in code.group(1) and "`" not in code.group(1)
