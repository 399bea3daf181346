"""The family registry: model_type -> the family that reads its config and builds its tree.

A family is data plus one builder: the model_types it reads, transformers' field table
(defaults, aliases, nulls, parameter groups), the builder from a config to a
:class:`~symparams.spec.Spec`, the field that holds its context length, and, for
families sized by one knob, its depth ladder. Nothing outside a family module asks which
family a model is: readings and outputs ask the :class:`Family` instead.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, MutableMapping, TypeVar

from ..config import Config, Fields, check_architectures, printable, read_json, short
from ..errors import SymparamsError

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..spec import Spec

__all__ = ["Family", "Reading", "Inner", "Registry", "Entry", "entry", "refused_whole", "settle", "by_layer", "order",
           "counted_shape"]

V_ = TypeVar("V_")


@dataclass(frozen=True)
class Reading:
    """A config read to plain data, before any tree is built: what shapes the tree, and its symbols' values.

    ``shape`` holds every choice the family builds its tree and rules from (biases, tying,
    the activation, which sizes are relations), as (name, value) pairs of plain constants;
    ``values`` the whole numbers the config gives its symbols, by name, in the Spec's order;
    ``name`` the Spec's own name and ``notes`` what the reader noted. Two configs of one
    family with equal shapes build the same tree with other values, so the forms of a tree
    kept by its shape (:mod:`symparams.shapes`) serve every config of that shape.
    ``inner`` holds the configs read inside this one by families of their own (a
    vision-language wrapper's decoder), as :class:`Inner`: they are settled once the
    forms give their head sizes, as counting their trees settles them.
    """

    shape: tuple[tuple[str, Any], ...]
    values: tuple[tuple[str, int], ...]
    name: str
    notes: tuple[str, ...] = ()
    inner: tuple[Inner, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Inner:
    """A config read inside another by its own family (``text_config`` by the decoder's), and that family; ``spec``
    its tree, where one was built because the family reads no plain data (a learned decoder's)."""

    cfg: Config
    family: Family
    spec: Spec | None = None


# Marks a layer-by-layer order inside a shape (see :func:`by_layer`).
BY_LAYER = "by layer"


def by_layer(order: str | tuple) -> tuple:
    """A layer-by-layer order (one kind per layer) as a shape holds it.

    The tree places its layers by the order (pipeline stages take whole layers), but a
    count depends only on which kinds there are and which comes first: the tree keeps one
    stack per kind, in the order the kinds first appear, and how many layers each has are
    the reading's values (L_s, L_a, ...). Forms are therefore kept by
    :func:`counted_shape`, which keeps only the kinds in that order, so configs that
    differ otherwise in the order or the number of their layers share them.
    """
    return (BY_LAYER, order)


def order(entry: tuple) -> Any:
    """The order a :func:`by_layer` entry holds."""
    if not (isinstance(entry, tuple) and len(entry) == 2 and entry[0] == BY_LAYER):
        raise TypeError(f"not a layer-by-layer order: {entry!r}")
    return entry[1]


def counted_shape(shape: Any) -> Any:
    """``shape`` as a count reads it: each :func:`by_layer` order replaced by the kinds it holds, as they first appear."""
    if isinstance(shape, tuple):
        if len(shape) == 2 and shape[0] == BY_LAYER and isinstance(shape[1], (tuple, str)):
            kinds = tuple(dict.fromkeys(shape[1]))
            return (BY_LAYER, "".join(kinds) if isinstance(shape[1], str) else kinds)
        return tuple(counted_shape(v) for v in shape)
    return shape


@dataclass(frozen=True)
class Family:
    """One architecture: how its configs read and how its tree is built.

    ``build`` turns a :class:`Config` (read through ``fields``) into a Spec;
    ``ladder`` builds the model at a depth, for families sized by depth alone;
    ``context`` names the config field with the model's context length, and
    ``default_context`` is used where no config says it (a depth ladder's models).
    ``refused`` says what the family does not model, for the README's table.
    ``retired`` maps model_types the family's configs once carried, which transformers
    no longer reads (Falcon's ``RefinedWeb``), to the message that says what to write
    instead: such a config is refused with it, never read as something else.
    ``symbolic_ladder(n)`` says how each symbol follows the depth ``n`` in closed form
    (nanochat: L = n, D = 64n), so sizing can solve the count along the ladder.
    ``rope_head`` says which head size transformers' RoPE validation reads (see
    :mod:`.rope`): "always" the family's own, "given" only a stated head_dim; None where
    there is no rotary embedding or the family checks it itself (per layer kind, as
    Gemma 3 and OLMo 3 do). ``rotary`` says how transformers' config class keeps rope
    parameters: "flat", "by-layer-kind" or "none" (:func:`.rope.check_rope`);
    ``rope_default`` what its flat table holds when a file states none, whatever the
    top level says, beyond a default type; ``rope_renames`` the older rope types it
    renames once it has filled its table in; ``rope_share`` whether its default rotary
    embedding rotates the share of each head ``partial_rotary_factor`` gives (its own
    table holds one); ``rope_share_default`` the share its class rotates where neither
    the file's rope table nor its top level (``rope_share_field``; None where the class
    sets its share whatever the top level says) states one, as
    transformers' YaRN and partial rotary embeddings read it, where ``rope_default`` holds
    none (None: the whole head); ``rope_theta_field`` the top-level field its class fills a
    table's missing ``rope_theta`` from (GPT-NeoX's ``rotary_emb_base``);
    ``rope_head_unset`` whether its class holds a null ``head_dim`` unless the file states
    one (Mixtral's), which transformers' dynamic, YaRN and LongRoPE functions cannot compute
    with; ``lacks`` the attributes its class does not hold that transformers' rope code
    reads (``max_position_embeddings``, which fills in a scaled table's original context:
    Bloom's, MPT's and Mamba's; ``num_attention_heads``, which LongRoPE divides by: Mamba's);
    ``rope_used`` whether a config's model builds a rotary embedding,
    where that depends on the config (None: wherever ``rotary`` is not "none"); ``rope_top``
    whether the top level's rope keys are its class's own to check (None: always; a flat
    Qwen2-VL file hands them to its text config, which reads them with its own defaults);
    ``layer_lists`` how it holds ``layer_types`` (:mod:`.layer_lists`). ``read``, where a
    family has it, is the first half of ``build``: the config to a :class:`Reading`, with
    every check the family makes of it and no SymPy; ``build`` is then a tree made from that
    Reading alone. ``same_parameters`` names the model classes other than its causal LM that
    build the causal LM's parameters (a learned encoder's masked LM): a file naming one counts.
    ``model_class`` names the transformers class whose parameters the family counts where
    ``AutoModelForCausalLM`` builds another from its configs (the decoder alone of a
    vision-language model whose files hold its vision tower too): verification builds it.
    """

    name: str
    summary: str
    model_types: tuple[str, ...] = ()
    fields: Fields = field(default_factory=Fields)
    build: Callable[[Config], Spec] | None = None
    context: str | None = "max_position_embeddings"
    default_context: int | None = None
    ladder: Callable[..., Spec] | None = None
    default_depth: int | None = None
    refused: str = ""
    guide: bool = False
    retired: Mapping[str, str] = field(default_factory=dict)
    symbolic_ladder: Callable[[Symbol], Mapping[Symbol, Expr]] | None = None
    rope_head: str | None = None
    rotary: str = "flat"
    rope_default: tuple[tuple[str, Any], ...] = ()
    rope_share: bool = False
    rope_share_default: Any = None
    rope_share_field: str | None = "partial_rotary_factor"
    rope_theta_field: str = "rope_theta"
    rope_head_unset: bool = False
    lacks: tuple[str, ...] = ()
    rope_renames: tuple[tuple[str, str], ...] = ()
    rope_used: Callable[[Config], bool] | None = None
    rope_top: Callable[[Config], bool] | None = None
    layer_lists: str = "given"
    read: Callable[[Config], Reading] | None = None
    same_parameters: tuple[str, ...] = ()
    model_class: str | None = None

    def group(self, param_name: str) -> str:
        """The tree group of one of transformers' parameter names (for verification)."""
        return self.fields.group(param_name)

    def at_depth(self, depth: int | None = None, /, **overrides) -> Spec:
        if self.ladder is None:
            raise SymparamsError(f"{self.name} is not sized by depth")
        spec = self.ladder(depth if depth is not None else self.default_depth, overrides=overrides)
        return spec if spec.context is not None else replace(spec, context=self.default_context)


def refused_whole(model_type: str, reason: str, summary: str, refused: str) -> Family:
    """A family that refuses its model type whole, with ``reason`` as the one-line error.

    For architectures whose weights could be counted but whose cache and FLOPs would be
    guesses until their node kinds exist: counting them in part would hand out a total
    whose other readings silently miss layers. It reads every config to that error, so
    refusing one imports no SymPy either.
    """

    def refuse(cfg: Config) -> Any:
        raise SymparamsError(f"{cfg.source}: {reason}")

    return Family(name=model_type, summary=summary, model_types=(model_type,), fields=Fields(), build=refuse,
                  read=refuse, context=None, refused=refused)


@dataclass(frozen=True)
class Entry:
    """What the registry knows of a family before importing its module: enough to route a config to it.

    ``module`` and ``attribute`` say where the :class:`Family` is bound; the rest repeats
    the family's own declaration (``model_types``, the ``retired`` ones, whether it has a
    ``ladder``) so that naming one family, or listing model types, imports no other family.
    Entries are generated from the families themselves (:func:`entry`, ``families/_index.py``).
    """

    name: str
    module: str
    attribute: str
    model_types: tuple[str, ...]
    retired: tuple[str, ...] = ()
    ladder: bool = False


def entry(fam: Family, module: str, attribute: str) -> Entry:
    """The index entry of a loaded family."""
    return Entry(fam.name, module, attribute, tuple(fam.model_types), tuple(fam.retired), fam.ladder is not None)


REGENERATE = "python -m symparams.families"


def index_source(package: str, sources: Iterable[tuple[str, str]]) -> str:
    """The text of ``_index.py``: every family's entry, each module imported to read its declaration."""
    lines = ["# ruff: noqa: E501", f'"""The families\' index, generated by ``{REGENERATE}`` from the modules listed in',
             '``symparams.families.SOURCES``; tests/test_registry.py checks it is current."""', "",
             "from .registry import Entry", "", "ENTRIES = ("]
    for module, attribute in sources:
        fam = getattr(importlib.import_module(f"{package}.{module}"), attribute)
        lines.append(f"    {entry(fam, module, attribute)!r},")
    return "\n".join(lines + [")", ""])


class _Lazy(MutableMapping[str, V_]):
    """A mapping whose keys are known up front and whose values load (and stay loaded) when asked for.

    An entry may be set or removed like a dict's (a test swapping in a broken family); what is
    set is returned as it is, never loaded.
    """

    def __init__(self, keys: Mapping[str, Entry], load: Callable[[str, Entry], V_]):
        self._keys: dict[str, Entry | None] = dict(keys)
        self._set: dict[str, V_] = {}
        self._load = load

    def __getitem__(self, key: str) -> V_:
        if key in self._set:
            return self._set[key]
        found = self._keys[key]
        if found is None:
            raise KeyError(key)
        return self._load(key, found)

    def __setitem__(self, key: str, value: V_) -> None:
        self._keys.setdefault(key, None)
        self._set[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self._keys:
            raise KeyError(key)
        self._set.pop(key, None)
        del self._keys[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def entry(self, key: str) -> Entry | None:
        """The index entry behind ``key``, None when it is absent or was set by hand."""
        return None if key in self._set else self._keys.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


class Registry:
    """Families by name and by model_type; a model_type belongs to exactly one family.

    A family's module is imported the first time the family is asked for: a command that
    reads one Llama config imports the Llama module and what it uses, not the other families.
    """

    def __init__(self, package: str, entries: Iterable[Entry]):
        self.package = package
        self.entries = tuple(entries)
        names: dict[str, Entry] = {}
        types: dict[str, Entry] = {}
        retired: dict[str, Entry] = {}
        for e in self.entries:
            assert e.name not in names, e.name
            names[e.name] = e
            for t in e.model_types:
                assert t not in types, t
                types[t] = e
            for t in e.retired:
                assert t not in types and t not in retired, t
                retired[t] = e
        self.by_name: MutableMapping[str, Family] = _Lazy(names, lambda _, e: self.load(e))
        self._by_type: _Lazy[Family] = _Lazy(types, lambda _, e: self.load(e))
        self.by_type: MutableMapping[str, Family] = self._by_type
        self.retired: Mapping[str, str] = _Lazy(retired, lambda t, e: self.load(e).retired[t])
        self._loaded: dict[str, Family] = {}

    def load(self, e: Entry) -> Family:
        """The family an entry points to, its module imported if it is not yet."""
        fam = self._loaded.get(e.name)
        if fam is None:
            fam = getattr(importlib.import_module(f"{self.package}.{e.module}"), e.attribute)
            if entry(fam, e.module, e.attribute) != e:
                raise SymparamsError(f"the family index is stale for {e.name}: regenerate it ({REGENERATE})")
            self._loaded[e.name] = fam
        return fam

    def __iter__(self) -> Iterator[Family]:
        return iter(self.by_name.values())

    def model_types(self) -> list[str]:
        return sorted(self.by_type)

    def name_for_type(self, model_type: str) -> str | None:
        """The name of the hand-written family that reads ``model_type`` (None if none does), without loading it."""
        if model_type not in self.by_type:
            return None
        found = self._by_type.entry(model_type)
        return self.by_type[model_type].name if found is None else found.name

    def ladders(self) -> Mapping[str, Family]:
        """The families sized by depth (nanochat), by name; each loads when looked up."""
        return _Lazy({e.name: e for e in self.entries if e.ladder}, lambda _, e: self.load(e))

    def of(self, spec: Spec) -> Family | None:
        """The family that built ``spec`` (None for a tree built by hand)."""
        return self.by_name.get(spec.family) or learned_family(spec.family)

    def for_type(self, cfg: Config) -> Family:
        """The hand-written family of the config's model_type, else its shipped learned family
        (whose data loads only then: a preset's derivation does not need it)."""
        model_type = cfg.model_type
        fam = self.by_type.get(model_type)
        if fam is None and model_type in self.retired:
            raise cfg.error("model_type", self.retired[model_type])
        if fam is None and isinstance(model_type, str):
            from .learned import PREFIX

            fam = learned_family(PREFIX + model_type)
        if fam is None:
            from .learned import PREFIX

            inner = cfg.data.get("text_config")
            inner_type = inner.get("model_type") if isinstance(inner, dict) else None
            if isinstance(inner_type, str) and (inner_type in self.by_type or learned_family(PREFIX + inner_type)):
                raise cfg.error("model_type", (
                    f"{printable(repr(model_type))} wraps a language model with other towers (vision, audio), and "
                    f"symparams does not count it whole: save its text_config (model_type "
                    f"{printable(repr(inner_type))}) as a file of its own to count that part"))
            from .learned import refused, shipped

            why = refused().get("refused", {}).get(model_type)
            if isinstance(why, dict):
                raise cfg.error("model_type", f"{printable(repr(model_type))} has no hand-written family, and "
                                              f"symparams learn could not read it: {printable(str(why.get('reason')))}")
            known = ", ".join(self.model_types())
            shown = model_type if len(model_type) <= 40 else model_type[:37] + "..."
            learned = len(shipped())
            raise cfg.error("model_type", f"{printable(repr(shown))} is not supported (supported: {known}; "
                                          f"and {learned} learned model types, listed by symparams list)")
        return fam

    def config_for(self, data: dict, source: str = "config") -> tuple[Config, Family]:
        """The config read through the field table of its model_type's family, and that family."""
        cfg = Config(data, source)
        fam = self.for_type(cfg)
        cfg.fields = fam.fields
        check_architectures(cfg, fam.same_parameters)
        return cfg, fam

    def from_dict(self, data: dict, source: str = "config", name: str | None = None) -> Spec:
        """The Spec for a config given as a dict (as :func:`~symparams.config.read_json` returns it)."""
        cfg, fam = self.config_for(data, source)
        assert fam.build is not None
        spec = fam.build(cfg)
        try:
            env = spec.env
        except SymparamsError as err:
            raise SymparamsError(f"{cfg.source}: {err}") from None
        from ..symbols import d_h, d_rope
        from .later import later_rules

        head, rotary = env.get(d_h), env.get(d_rope)
        context = settle(cfg, fam, int(head) if head is not None and head.is_Integer else None,
                         int(rotary) if rotary is not None and rotary.is_Integer else None)
        spec = replace(spec, family=fam.name, context=context if context is not None else spec.context,
                       constraints=spec.constraints + later_rules(cfg, spec))
        return replace(spec, name=name) if name else spec

    def from_file(self, path: str | os.PathLike) -> Spec:
        data = read_json(path)
        source = os.fspath(path)
        shown = os.path.basename(os.path.dirname(os.path.abspath(source))) + "/" + os.path.basename(source)
        return self.from_dict(data, printable(source), name=printable(shown))


@lru_cache(maxsize=None)
def learned_family(name: str) -> Family | None:
    """The family of a shipped learned file, by name (``learned:<model_type>``), or None."""
    from .learned import PREFIX, LearnedFields, learned
    from .learned.tree import build_spec

    if not name.startswith(PREFIX):
        return None
    model_type = name[len(PREFIX):]
    family = learned(model_type)
    if family is None:
        return None

    # The class's own rope table, learned with the rest: none, flat, or by layer kind.
    rope = family.fixed.get("rope_parameters")
    rotary = "none" if not isinstance(rope, dict) else (
        "by-layer-kind" if any(isinstance(v, dict) for v in rope.values()) else "flat")
    kinds = [k for k, v in rope.items() if isinstance(v, dict)] if isinstance(rope, dict) and rotary == "by-layer-kind" else []

    missing = family.fields.get("head_dim", {}).get("missing")
    head = missing if type(missing) is int else None  # the class's own, which its rotary embedding reads
    shares = family.rope_kinds.get("shares", [])

    def build(cfg: Config) -> Spec:
        if kinds and "rope_parameters" in family.free:  # a table of the config's own, validated kind by kind
            _check_kinds(cfg, kinds, head if "head_dim" not in cfg.data else None, shares)
        return build_spec(family, cfg.data, cfg.source, cfg.source, read=_read_again)

    return Family(name=name, summary=f"learned from the shapes transformers {family.transformers} builds",
                  model_types=(model_type,), fields=LearnedFields(family), build=build,
                  refused="KV cache, attention FLOPs, activations (a learned family knows shapes, not semantics)",
                  rotary=rotary, rope_head="given" if rotary == "flat" else None,
                  rope_share=isinstance(rope, dict) and "partial_rotary_factor" in rope,
                  rope_share_default=rope.get("partial_rotary_factor") if isinstance(rope, dict) else None,
                  same_parameters=tuple(family.same_parameters))


def _read_again(data: dict, source: str) -> None:
    """Every check a config passes, for a learned count whose values were set after it was read."""
    from . import FAMILIES

    FAMILIES.from_dict(data, source)


def _check_kinds(cfg: Config, kinds: list[str], head_dim: int | None = None, shares: Iterable[str] = ()) -> None:
    """Refuse the rope parameters a class that keeps them by layer kind refuses, for each of its kinds (at the
    class's ``head_dim`` where the file states none; ``shares``: the kinds whose embedding reads their share)."""
    from .rope import check_layer_kinds, check_table

    stated = cfg.data.get("rope_parameters")
    if isinstance(stated, dict) and stated and not any(isinstance(v, dict) for v in stated.values()):
        check_table(cfg, "rope_parameters", stated, where=" (one table, for every kind of layer)")
    if isinstance(stated, dict):
        for kind in kinds:
            if stated.get(kind) is not None and not isinstance(stated[kind], dict):
                raise cfg.error("rope_parameters", f"{kind}: is {short(stated[kind])}, not an object of rope parameters; "
                                                   "transformers refuses it")
    check_layer_kinds(cfg, kinds, head_dim=head_dim, shares=shares)


def settle(cfg: Config, fam: Family, head_dim: int | None, rotary_head: int | None = None) -> int | None:
    """The checks a config passes after its model is built, and then its context length.

    transformers refuses the rope parameters, layer lists and field types checked here; ``head_dim`` is
    the built model's head size (None where it is not one whole number), which its
    rotary embedding must be able to rotate; ``rotary_head`` the size its rotary embedding
    takes a share of, where that is another (latent attention's rotary part, d_rope). A
    ``head_dim`` the file states is the one transformers' rope functions read (set on the config
    even where its class declares no such field and its layers use D/H), except where the class
    replaces it with latent attention's rotary part (unless ``rope_head`` is "given").
    """
    from .field_types import check_types, even_fields, replaced
    from .layer_lists import check_layer_lists
    from .rope import check_head, check_rope, check_rope_head_dim, class_share, rope_table

    if (fam.rotary != "none" or cfg.data.get("rope_scaling") or cfg.data.get("rope_parameters")) \
            and not (fam.rope_head == "given" and replaced(cfg, "head_dim")):
        check_head(cfg, fam.rope_head, head_dim, class_share(fam))
    stated = cfg.data.get("head_dim")
    table = rope_table(cfg)[1]
    if fam.rope_head is None and fam.rotary != "by-layer-kind" and (fam.rope_top is None or fam.rope_top(cfg)) \
            and type(stated) is int and not replaced(cfg, "head_dim") \
            and isinstance(table, dict) and "partial_rotary_factor" in table:
        # validated even where no layer rotates (OPT's, Bamba's): the table's share of the head_dim the file states
        check_rope_head_dim(cfg, stated, "head_dim", held=False)
    held = True  # the rope tables are checked at a size the layers use
    if type(stated) is int and (rotary_head is None or fam.rope_head == "given"):
        # the config's head_dim, which transformers' rope functions read, even where no layer does
        rotary_head, held = stated, False
    elif rotary_head is None and head_dim is None and fam.rotary != "none":
        # no attention layer (a Bamba of Mamba-2 layers alone): the model's table still is
        rotary_head, held = _floor_head(cfg), False
    check_rope(cfg, fam, rotary_head if rotary_head is not None else head_dim, held)
    check_layer_lists(cfg, fam.fields, fam.layer_lists)
    check_types(cfg)
    for name in even_fields(cfg):  # a learned class's rotary size: odd and above 4, rotated whole, is refused
        check_rope_head_dim(cfg, cfg.data[name], name)
    return _context(cfg, fam)


def _floor_head(cfg: Config) -> int | None:
    """hidden_size // num_attention_heads, the head size transformers' rope functions fall back to (rounded down)."""
    width, heads = cfg.data.get("hidden_size"), cfg.data.get("num_attention_heads")
    return width // heads if type(width) is int and type(heads) is int and width > 0 and heads > 0 else None


def _context(cfg: Config, fam: Family) -> int | None:
    """The model's own context length, where its config states one."""
    if fam.context is None:
        return fam.default_context
    if fam.context in fam.fields:
        value = cfg.get(fam.context)
        return value if isinstance(value, int) else fam.default_context
    if cfg.has(fam.context):
        return cfg.int(fam.context)
    return fam.default_context


def names(families: Iterable[Family]) -> list[str]:
    return [f.name for f in families]
