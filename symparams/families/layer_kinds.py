"""Which layers attend through a sliding window, read from a config as plain data (no SymPy).

Gemma 2/3, Mistral, Qwen2 and the other families of :mod:`._gemma_layers` give some of
their L layers a window of W tokens. A config lists them (``layer_types``), or
transformers derives them from a pattern: every layer, those from layer m on, every p-th
layer full. A :class:`Rule` holds such a pattern as plain data: its count among the first
n layers is whole-number arithmetic, and its closed form in L (the relation L_s follows,
kept in closed forms) is made with SymPy only when a tree is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..config import DERIVED, Config
from .registry import by_layer, order

if TYPE_CHECKING:
    from sympy import Expr

__all__ = [
    "SLIDING", "FULL", "Rule", "ALL", "after", "every_pth_full", "windowed_every", "constant", "Layers",
    "read_layers", "read_window", "read_pattern", "NO_WINDOW", "uniform_layers", "PATTERN_LAYERS", "layers_of",
]

SLIDING = "sliding_attention"
FULL = "full_attention"
# transformers remaps the legacy name "attention" to "full_attention" (configuration_utils).
_KINDS = {SLIDING: True, FULL: False, "attention": False}


@dataclass(frozen=True)
class Rule:
    """How many of a model's L layers are windowed, as a function of L that transformers' pattern gives.

    ``kind`` is one of: "all" (L), "after" (L - n: the layers from layer n on), "every"
    (L - floor(L/n): every n-th layer full), "floor" (floor(L/n)) or "constant" (n, whatever L).
    """

    kind: str
    n: int = 0

    def at(self, layers: int) -> int:
        """The count at ``layers`` layers, exactly as the closed form evaluates there."""
        if self.kind in ("every", "floor"):
            return layers - layers // self.n if self.kind == "every" else layers // self.n
        return {"all": layers, "after": layers - self.n, "constant": self.n}[self.kind]

    @property
    def uniform(self) -> bool:
        """Whether the rule is identically 0 or L (one kind of layer at any depth), as its closed form reads."""
        return (self.kind == "all" or (self.kind == "after" and self.n == 0) or (self.kind in ("every", "floor")
                and self.n == 1) or (self.kind == "constant" and self.n == 0))

    def expr(self) -> Expr:
        """The rule's closed form in L."""
        import sympy

        from ..symbols import L

        return {"all": lambda: L, "after": lambda: L - self.n, "every": lambda: L - sympy.floor(L / self.n),
                "floor": lambda: sympy.floor(L / self.n), "constant": lambda: sympy.Integer(self.n)}[self.kind]()


ALL = Rule("all")


def after(n: int) -> Rule:
    """The layers from layer ``n`` on (Qwen2's ``max_window_layers``): L - n."""
    return Rule("after", n)


def every_pth_full(p: int) -> Rule:
    """Sliding layers when layer i (from 0) is full exactly when (i+1) % p == 0: L - floor(L/p)."""
    return Rule("every", p)


def windowed_every(p: int) -> Rule:
    """Every ``p``-th layer windowed: floor(L/p) (SmolLM3's no-RoPE layers)."""
    return Rule("floor", p)


def constant(n: int) -> Rule:
    """``n`` windowed layers at any depth (a list read once, at the config's own depth)."""
    return Rule("constant", n)


@dataclass(frozen=True)
class Layers:
    """Which of the L layers attend through a window of W tokens.

    ``sliding`` is their number at the config's values; ``rule`` the same number as a
    function of L when transformers derives it from a pattern (None when the config
    lists the layers); ``window`` the value of W (None when no layer is windowed, unless
    ``masked``). ``masked``: the model hands every layer the window's mask (Mistral's and
    Mixtral's), so even where no layer is windowed, W stays for the mask full layers keep.
    """

    layers: int
    sliding: int
    window: int | None
    rule: Rule | None = None
    notes: tuple[str, ...] = ()
    pattern: tuple[bool, ...] = ()  # layer by layer, whether it is windowed (empty: not known)
    masked: bool = False

    @property
    def mixed(self) -> bool:
        """Whether the tree needs two stacks: some (or, by the rule, possibly some) layers of each kind."""
        if self.window is None:
            return False
        if self.rule is not None:
            return not self.rule.uniform
        return 0 < self.sliding < self.layers

    @property
    def all_sliding(self) -> bool:
        return self.window is not None and not self.mixed and self.sliding > 0

    @property
    def has_window(self) -> bool:
        """Whether the tree holds W: some layer is windowed, or every full layer is handed the window's mask."""
        return self.window is not None and (self.mixed or self.all_sliding or self.masked)

    def shape(self) -> tuple:
        """What of the layout shapes a tree, as plain constants: every layer full, every layer windowed, or some
        of each, with the rule and the layer-by-layer pattern (:func:`layers_of` reads it back)."""
        if self.mixed:
            rule = (self.rule.kind, self.rule.n) if self.rule is not None else None
            return ("mixed", rule, by_layer(self.pattern if len(self.pattern) == self.layers else ()))
        if self.all_sliding:
            return ("sliding",)
        return ("full", "masked") if self.has_window else ("full",)

    def values(self) -> dict[str, int]:
        """The values the layout gives symbols: W where a layer is windowed, L_s where the config lists them."""
        out = {"W": self.window} if self.has_window and self.window is not None else {}
        if self.mixed and self.rule is None:
            out["L_s"] = self.sliding
        return out


def layers_of(shape: tuple, values: dict[str, int]) -> Layers:
    """The layout of :meth:`Layers.shape` at ``values``: the same tree, Spec and closed forms as the one read."""
    layers = values["L"]
    if shape == ("full", "masked"):
        return Layers(layers, 0, values["W"], masked=True)
    if shape[0] == "full":
        return Layers(layers, 0, None)
    if shape[0] == "sliding":
        return Layers(layers, layers, values["W"])
    rule = Rule(*shape[1]) if shape[1] is not None else None
    sliding = rule.at(layers) if rule is not None else values["L_s"]
    return Layers(layers, sliding, values["W"], rule, pattern=order(shape[2]))


def read_layers(cfg: Config, layers: int, window: int | None, rule: Rule | None,
                field: str = "layer_types") -> Layers:
    """The layer kinds from ``layer_types`` when the config lists them, else from ``rule`` (a function of L).

    Entries must be ``sliding_attention`` or ``full_attention`` (the legacy ``attention``
    is read as full, as transformers remaps it), and there must be one per layer, as
    transformers validates. Other kinds transformers knows (chunked, linear) are refused:
    these families have no such layer, and would fail on their first forward pass.

    Sliding layers without a window (``window`` None) are read as full attention, with a
    note: transformers builds them (every weight is there, and counted) but cannot make
    their mask, so the model cannot run; nothing windows their cache or FLOPs.
    """
    if cfg.has(field):
        cfg.read.add(field)
        listed = cfg.data[field]
        if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
            raise cfg.error(field, "expected a list of layer kinds (sliding_attention or full_attention)")
        if len(listed) != layers:
            raise cfg.error(field, f"lists {len(listed)} layers but num_hidden_layers is {layers}")
        bad = sorted({x for x in listed if x not in _KINDS})
        if bad:
            shown = ", ".join(repr(x[:40]) for x in bad[:3])
            raise cfg.error(field, f"{shown} is not a layer kind of {cfg.model_type} (sliding_attention or full_attention)")
        sliding = sum(_KINDS[x] for x in listed)
        rule = None
        pattern = tuple(_KINDS[x] for x in listed)
    else:
        if cfg.given(field):
            cfg.read.add(field)
        sliding = rule.at(layers) if rule is not None else 0
        pattern = _prefix_pattern(rule, layers, sliding)
        if sliding in (0, layers):
            rule = None  # one kind at this depth: one stack, and no L_s to keep positive
    if window is None:
        notes = (NO_WINDOW,) if sliding else ()
        return Layers(layers, 0, None, notes=notes)
    return Layers(layers, sliding, window, rule, pattern=pattern)


# Deeper than this, a rule's layer-by-layer pattern is not read (one evaluation per layer):
# pipeline stages then take the upper bound, as after ``--set`` changes the layer count.
PATTERN_LAYERS = 4096


def _prefix_pattern(rule: Rule | None, layers: int, sliding: int) -> tuple[bool, ...]:
    """Which layers ``rule`` makes windowed, read as the count of windowed layers among the first L
    (every p-th layer full: L - floor(L/p); Qwen2's from layer m on: L - m, none among fewer than m);
    empty where it does not read so, or past ``PATTERN_LAYERS`` layers."""
    if rule is None or layers > PATTERN_LAYERS:
        return ()
    counts = [min(max(rule.at(n), 0), n) for n in range(layers + 1)]
    steps = tuple(b - a for a, b in zip(counts, counts[1:]))
    return tuple(x == 1 for x in steps) if set(steps) <= {0, 1} and sum(steps) == sliding else ()


NO_WINDOW = ("sliding_window is null: transformers builds this model (every weight counted here) but cannot make "
             "its sliding-window mask, so it cannot run it; its layers are read as full attention")


def read_window(cfg: Config, needed: bool = False) -> tuple[int | None, tuple[str, ...]]:
    """``sliding_window`` (None when null), and a note where the model needs one to run.

    Gemma 2/3, VaultGemma, gpt-oss, Cohere 2 and Ministral (``needed``) make a sliding
    mask on every forward pass, even when all layers are full: transformers accepts a
    null window and builds the model, which then cannot run. Its weights are what they
    are, so it is counted, as full attention, and the note says why it will not run.
    """
    window = cfg.get("sliding_window")
    if window is DERIVED or window is None:
        return None, ((NO_WINDOW,) if needed else ())
    return window, ()


def read_pattern(cfg: Config, field: str = "sliding_window_pattern") -> int | None:
    """Every p-th layer full, from ``field`` (read whatever the path, so the table's every field is read).

    None where ``layer_types`` lists the layers: transformers then never divides by the
    pattern, and accepts any value there, null or text (EXAONE 4's "LLLG"). Otherwise it
    must be a whole number of at least 1, as ``(i + 1) % pattern`` needs.
    """
    pattern = _whole(cfg.get(field))
    if cfg.has("layer_types"):
        return None
    if isinstance(pattern, bool) or not isinstance(pattern, int) or pattern < 1:
        shown = "null" if pattern is DERIVED else repr(pattern)
        raise cfg.error(field, f"{shown} is not a whole number of layers, which transformers needs to lay the "
                        "layers out when layer_types is not given")
    return pattern


def uniform_layers(layers: int, window: int | None) -> Layers:
    """Every layer alike: all windowed when ``window`` is set (StarCoder2, Mistral-style), else all full."""
    return Layers(layers, layers if window is not None else 0, window, ALL if window is not None else None)


def _whole(value: Any) -> Any:
    """An integral JSON number written with a fraction or exponent (4.0, 4e0) as its int, as Python's int() reads it."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value
