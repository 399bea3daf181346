"""FLOPs per token and memory, read from the same tree by their own modules.

The conventions live in :mod:`symparams.flops` and the byte counts in
:mod:`symparams.memory`; these sections only lay out what those modules compute,
so a derivation and ``symparams flops`` / ``symparams memory`` cannot disagree.
A section is left out only when its reading refuses the model.
"""

from __future__ import annotations

import sympy
from sympy import Expr, Integer

from ..errors import SymparamsError
from ..families import FAMILIES
from ..symbols import T
from .context import Reader
from .document import Heading, Inline, Math, Para, Part, Rounded, Table, Values, Verbatim
from .math import Form

__all__ = ["sections", "flops", "memory", "context_length", "context_words", "CONTEXT", "MEMORY_SETTINGS"]

# The context length FLOPs are quoted at when neither the model nor its family states one.
CONTEXT = 2048


def context_length(r: Reader) -> int:
    """The model's own context length (its config's, or its family's default), else :data:`CONTEXT`."""
    if r.spec.context:
        return r.spec.context
    fam = FAMILIES.of(r.spec)
    if fam is not None and fam.default_context:
        return fam.default_context
    return CONTEXT


def context_words(r: Reader) -> tuple[Inline, ...]:
    """Where the T of the FLOPs and memory sections comes from, in words."""
    seq = context_length(r)
    if r.spec.context:
        why = "the model's own context length, unless derive --seq set another"
    elif (fam := FAMILIES.of(r.spec)) is not None and fam.default_context:
        why = "its family's context length"
    else:
        why = "a default, since the model states no context length (derive --seq sets another)"
    return ("Here ", Values((("T", seq),)), f" tokens: {why}.")


def flops(r: Reader) -> list[Part]:
    from .. import flops as fl

    seq = context_length(r)
    try:
        rows = fl.flops_table(r.spec, seq)
    except SymparamsError:
        return _not_derived(r, "FLOPs per token", "how its attention mixes tokens")
    table = [(f.convention.name, f.convention.source, Math(Form(f.train_form)), f.train, Rounded(f.train))
             for f in rows]
    try:
        causal = fl.flops(r.spec, seq, "exact", causal=True)
    except SymparamsError:
        causal = None
    if causal is not None:
        form, branch = _branch_at(causal.train_form, {**r.spec.env, T: Integer(seq)})
        if form is not None:
            source = "masked blocks skipped" + (f", for {branch}" if branch else "")
            train = causal.train if isinstance(causal.train, int) else sympy.Rational(causal.train.numerator,
                                                                                        causal.train.denominator)
            table.insert(1, ("exact (causal)", source, Math(Form(form)), train, Rounded(causal.train)))
    return [
        Heading(2, "FLOPs per token"),
        Para(("Training FLOPs per token (forward and backward, 3 x forward) under each published convention, "
              "each a reading of the same tree. ", *context_words(r), " See ",
              Verbatim("symparams flops"), " for forward-only figures and the conventions' sources.",)),
        Para((_attention_words(r), " Training is 3 x forward because "
              "each matmul's backward is two matmuls of its own size, the input's gradient and the weight's. "
              "PyTorch's FlopCounterMode, run on transformers' eager forward and backward passes in the tests, "
              "measures exactly 3 x the executed forward; neither it nor the convention counts the embedding's "
              "gradient (a scatter-add), the loss, the softmax or the norms.",)),
        Table("flops", f"Training FLOPs per token at T={seq:,}",
              ("convention", "source", "formula", "per token", "rounded"), tuple(table), "lllrr"),
    ]


def _groups(r: Reader) -> set[str]:
    return {row.node.group for row in r.breakdown.rows if not row.node.children()}


def _attention_words(r: Reader) -> str:
    """What the exact conventions count of attention; a model without attention has nothing that grows with T."""
    if "attention" not in _groups(r):
        return ("The model has no attention: no term grows with T, so exact counts each matmul of the tree once per "
                "token, and exact (causal), what a kernel that skips masked attention blocks executes, equals it.")
    return ("exact counts what eager attention executes: every query scores all T keys, and a mask then zeroes "
            "the later ones. exact (causal) counts what a kernel that skips the masked blocks executes: query i "
            "meets i + 1 keys, (T + 1)/2 on average, or at most a layer's window.")


def _cache_words(r: Reader) -> str:
    """What the inference cache holds: keys and values that grow with T, a state-space layer's fixed state, or both."""
    groups = _groups(r)
    state = ("each state-space layer's recurrent state (its convolution window and SSM state), the same size "
             "whatever T, for B sequences")
    if "attention" not in groups:
        return f"the with-KV-cache row holds no keys or values, only {state}"
    if "ssm" in groups:
        return f"the KV cache holds keys and values for T tokens of B sequences in the attention layers, and {state}"
    return "the KV cache holds keys and values for T tokens of B sequences"


def _branch_at(form: Expr, env: dict) -> tuple[Expr | None, str]:
    """``form`` with each window's Piecewise replaced by the branch that holds at ``env``.

    A windowed layer's causal keys are (T + 1)/2 up to the window and another form past
    it; the table quotes one T, so it shows the form in force there and names its
    condition. None when a condition cannot be decided at these values.
    """
    chosen: list[str] = []

    def pick(*pairs) -> Expr:
        for expr, cond in pairs:
            held = cond.subs(env) if cond is not sympy.true else sympy.true
            if held is sympy.true:
                if cond is not sympy.true:
                    chosen.append(str(cond))
                else:
                    chosen.append(" and ".join(str(sympy.Not(c)) for _, c in pairs if c is not sympy.true))
                return expr
            if held is not sympy.false:
                raise _Undecided
        raise _Undecided

    try:
        out = form.replace(sympy.Piecewise, pick)
    except _Undecided:
        return None, ""
    return out, "; ".join(dict.fromkeys(chosen))


class _Undecided(Exception):
    pass


# Settings of the memory table: label -> arguments of symparams.memory.memory (seq filled in).
MEMORY_SETTINGS: dict[str, dict] = {
    "inference, bf16 weights": {"dtype": "bf16", "training": False},
    "inference, bf16, with KV cache": {"dtype": "bf16", "training": False, "seq": True},
    "training, bf16, AdamW": {"dtype": "bf16", "optimizer": "adamw"},
    "training, mixed precision AdamW": {"dtype": "bf16", "optimizer": "adamw", "master_weights": True},
}


def memory(r: Reader) -> list[Part]:
    from .. import memory as mem

    seq = context_length(r)
    rows = []
    theirs: list[Part] = []
    try:
        for label, kwargs in MEMORY_SETTINGS.items():
            args = {**kwargs, "seq": seq} if kwargs.get("seq") else kwargs
            m = mem.memory(r.spec, **args)
            rows.append((label, Math(Form(m.formula)), m.total_bytes, mem.gib(m.total_bytes)))
            other = r.spec.cached_otherwise
            if m.transformers_kv_cache_bytes is not None and other is not None:
                theirs = [
                    Para((f"The KV cache is what the layers attend over. transformers' own {r.spec.family} "
                          f"{other.why}, so its cache holds more:",)),
                    Table("kv", f"KV cache in bytes at T={seq:,}, B=1, bf16", ("cache", "formula", "bytes"),
                          (("the layers attend over", Math(Form(m.formulas["kv_cache"])), m.kv_cache_bytes),
                           ("transformers' cache", Math(Form(m.formulas["transformers_kv_cache"])),
                            m.transformers_kv_cache_bytes)), "llr"),
                ]
    except SymparamsError:
        return _not_derived(r, "Memory", "what its layers cache and keep for the backward pass")
    return [
        Heading(2, "Memory"),
        Para(("Bytes for the weights, and for training their gradients and optimizer state (mixed precision adds "
              "an fp32 master copy and fp32 states); ", _cache_words(r), ". ",
              *context_words(r), " Activations are not counted. See ", Verbatim("symparams memory"),
              " for other settings.",)),
        Table("memory", f"Memory in bytes at T={seq:,}, B=1", ("setting", "formula", "bytes", "GiB"),
              tuple(rows), "llrr"),
        *theirs,
    ]


def _not_derived(r: Reader, title: str, semantics: str) -> list[Part]:
    """For a learned family, a section that says why it is not derived; nothing for any other model."""
    from ..families.learned import PREFIX

    if not r.spec.family.startswith(PREFIX):
        return []
    return [Heading(2, title), Para((f"Not derived: this model is counted by a family learned from the parameter "
                                     f"shapes transformers builds, which knows its weights but not {semantics}.",))]


def sections(r: Reader) -> list[Part]:
    return flops(r) + memory(r)
