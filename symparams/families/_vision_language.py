"""What vision-language wrappers share: a decoder read from ``text_config``, towers beside it, one Spec.

transformers' ``*ForConditionalGeneration`` classes (Gemma 3's, Qwen3.5's) hold the language
model a ``text_config`` describes, a vision tower a ``vision_config`` describes, and sometimes
a projector. The decoder is read as a file of its own model type would be (every check of
that family, its notes), except that the model type inside ``text_config`` is not read (the
wrapper's class decides it, as in transformers) and the head's tie is the wrapper's. The
towers are :class:`~symparams.components.tower.Tower` nodes: in the parameter count, outside
every per-token reading.

Each wrapper reads its config to plain data first (:func:`decoder_reading`, :func:`with_sizes`):
its decoder's reading, by the decoder's own family, then its own choices and its towers'
sizes. Its tree is built from that reading alone (:func:`built_with_towers`), so a config of a
shape already counted is counted from the forms that shape keeps, without SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..config import Config, Fields, printable, short
from ..errors import SymparamsError

if TYPE_CHECKING:
    from sympy import Expr, Symbol

    from ..components import Module
    from ..spec import Constraint, Spec
    from .registry import Family, Reading

__all__ = ["TowerFields", "TextClass", "NOTE", "WRAPPER", "PER_IMAGE", "wrapper", "sub_config", "check_decoder",
           "decoder_reading", "Unread", "with_sizes", "built_text", "built_with_towers", "with_towers",
           "feature_layers", "check_unused_rope", "check_vit", "check_tower", "check_rope", "check_rotary_head",
           "typed_as"]

NOTE = ("the vision parts run once per image: they are in the parameter count, and every per-token reading "
        "(active, FLOPs, KV cache, activations) is the language model's")


# What every wrapper's Family declares: no context, rope table or layer list of its own (its decoder's are read
# with it), and none of the attributes transformers' rope code reads at the top level.
WRAPPER = dict(context=None, rotary="none", layer_lists="unchecked", lacks=("max_position_embeddings", "num_attention_heads"))
PER_IMAGE = "per-image compute (per-token readings are the decoder's)"


def wrapper(name: str, summary: str, build: Callable[[Config], Spec], fields: Fields, model_class: str,
            refused: str, *, counted_as_class: bool = True,
            read: Callable[[Config], Reading] | None = None) -> Family:
    """A wrapper's Family: its one model type, the ``*ForConditionalGeneration`` class its files name (whose weights
    they hold, and whose parameters are counted: transformers' AutoModelForCausalLM may build the decoder alone),
    :data:`WRAPPER`'s settings, and ``refused`` followed by what no wrapper reads (:data:`PER_IMAGE`).
    ``counted_as_class`` false: the class is the one AutoModelForCausalLM builds (Gemma 3's); ``read`` the first half
    of ``build``, where the wrapper reads its config to plain data (:func:`with_sizes`)."""
    from .registry import Family

    return Family(name=name, summary=summary, model_types=(name,), fields=fields, build=build,
                  same_parameters=(model_class,), model_class=model_class if counted_as_class else None,
                  refused=f"{refused}; {PER_IMAGE}", read=read, **WRAPPER)  # type: ignore[arg-type]


class TowerFields(Fields):
    """A wrapper's fields; a transformers parameter under one of ``towers`` (module names) is in the ``vision`` group,
    one under ``audio`` in the ``audio`` group."""

    def __init__(self, *fields, towers: tuple[str, ...], audio: tuple[str, ...] = (),
                 groups: dict[str, str] | None = None):
        super().__init__(*fields, groups=groups)
        self.towers = towers
        self.audio = audio

    def group(self, param_name: str) -> str:
        parts = param_name.split(".")
        if any(part in self.audio for part in parts):
            return "audio"
        if any(part in self.towers for part in parts):
            return "vision"
        return super().group(param_name)


@dataclass(frozen=True)
class TextClass:
    """A text config class that only a wrapper builds (``qwen3_vl_text``: there is no causal LM of it), read through
    the table of the hand-written family whose decoder it builds, field for field.

    ``defaults`` are its class's defaults where they differ from ``read_as``'s; ``ignored`` the fields ``read_as``
    reads that it has no use for (a window its attention never applies); ``fixed`` what its modules do whatever the
    file says (Qwen3-VL-MoE's router always renormalises); ``unset`` the fields whose null or 0 its class replaces
    by the value the model works out (``head_dim or hidden_size // num_attention_heads``); ``whole_heads`` whether
    its attention refuses a width its heads do not divide (``read_as``'s rounds the head size down); ``adjust`` what
    else its class makes of the file's fields (a null it reads as a value); ``check`` what else it refuses, given the
    text config as read and the decoder's values by name.
    """

    model_type: str
    read_as: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    whole_heads: bool = False
    adjust: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    check: Callable[[Config, Mapping[str, int]], None] | None = None

    def translate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` (a text config's fields) as a ``read_as`` file that builds the same decoder."""
        from . import FAMILIES

        fields = FAMILIES.by_type[self.read_as].fields
        data = {k: v for k, v in given.items() if k not in self.ignored and k not in self.fixed}
        for name in self.unset:
            if name in data and (data[name] is None or (type(data[name]) is int and data[name] == 0)):
                del data[name]
        if self.adjust is not None:
            data = self.adjust(data)
        for name, value in self.defaults.items():
            names = fields[name].names if name in fields else (name,)
            if not any(n in data for n in names):
                data[name] = value
        return {**data, **self.fixed, "model_type": self.read_as}


def sub_config(cfg: Config, name: str, fields: Fields) -> Config:
    """The object ``name`` of ``cfg`` (missing or null: every default) as a config of its own, named in its errors."""
    return Config(dict(cfg.get(name)), f"{cfg.source} {name}", fields)


def typed_as(cfg: Config, model_type: str) -> Config:
    """``cfg``, once every value ``model_type``'s config class refuses is refused. For a sub-config whose class is the
    wrapper's choice: a ``model_type`` written inside names nothing (transformers builds the wrapper's tower)."""
    from .field_types import check_types

    check_types(Config({**cfg.data, "model_type": model_type}, cfg.source))
    return cfg


def check_decoder(cfg: Config, default: str, decoders: tuple[str, ...], reason: str | None = None) -> None:
    """Refuse a ``text_config`` naming a model type (``default`` where it names none or is missing) other than
    ``decoders``, the ones the wrapper's class builds as symparams counts them. ``reason`` says why the others are
    refused; None: the class builds that model type's base model beside a bias-free ``lm_head`` of its own, and only
    ``decoders``' causal LMs are exactly that."""
    given = cfg.data.get("text_config")
    stated = given.get("model_type", default) if isinstance(given, dict) else default
    if stated in decoders:
        return
    listed = ", ".join(decoders)
    why = (f", whose head is a bias-free lm_head of its own beside that model type's base model ({listed})"
           if reason is None else f" ({listed}): {reason}")
    raise cfg.error("text_config", f"its model_type {printable(short(stated))} is not one symparams counts inside "
                                   f"{cfg.model_type}{why}")


def decoder_reading(cfg: Config, model_type: str | TextClass, tied: bool | None, *, own_type: bool = False,
                    absent: dict | None = None, given: dict | None = None, plain: bool = True) -> tuple[Reading, list[str]]:
    """The decoder ``text_config`` describes, read to plain data as a ``model_type`` file whose head is ``tied``
    (None: as the text config says, where the wrapper builds the decoder's own causal LM), and the note to add where
    that object names another model type (which the wrapper's class does not read). Every check of that family is
    made but those its tree settles, which are made once the forms give the head size (:class:`~.registry.Inner`);
    :func:`built_text` builds its tree. A decoder whose family reads no plain data (a learned one) is
    :class:`Unread` where ``plain``, else built, its tree kept in the reading's ``inner``.

    ``own_type``: the class reads the object by the model type it names (``model_type`` where it names none), as
    transformers' AutoConfig does; ``absent``: what the class makes of a missing or null object, where that is not
    the model type's own defaults; ``given``: the text config's fields where they are not ``text_config``'s (Qwen2-VL
    reads them from the top level when it has none). Where the class reads the object by its own model type, that
    type's class loads it as the file states it: a tie of the wrong type there is refused, whatever tie the wrapper
    makes.
    """
    from . import FAMILIES
    from .registry import Inner, Reading

    text_class, data, source, notes = _text_config(cfg, model_type, tied, own_type, absent, given)
    text_cfg, fam = FAMILIES.config_for(text_class.translate(data) if text_class else data, source)
    if fam.read is not None:
        read = replace(fam.read(text_cfg), inner=(Inner(text_cfg, fam),))
    elif plain:
        raise Unread(f"{source}: {fam.name} reads no plain data")
    else:
        spec = FAMILIES.from_dict(text_cfg.data, source)
        read = Reading((), tuple(_whole_values(spec).items()), spec.name, spec.notes, (Inner(text_cfg, fam, spec),))
    _check_text(text_class, Config(data, source), dict(read.values))
    return read, notes


class Unread(SymparamsError):
    """A wrapper whose decoder's family reads no plain data: counted from its tree alone."""


def _text_config(cfg: Config, model_type: str | TextClass, tied: bool | None, own_type: bool, absent: dict | None,
                 given: dict | None) -> tuple[TextClass | None, dict, str, list[str]]:
    """The text config as its family reads it (before a text class translates it), where it is read from, and the
    note :func:`decoder_reading` adds."""
    text_class = model_type if isinstance(model_type, TextClass) else None
    if text_class is not None:
        model_type = text_class.model_type
    if given is None:
        given = cfg.get("text_config")
        if absent is not None and not isinstance(cfg.data.get("text_config"), dict):
            given = absent
    tie = {} if tied is None else {"tie_word_embeddings": tied}
    stated = given.get("model_type", model_type)
    read_as = stated if own_type else model_type
    data = {**given, "model_type": read_as, **tie}
    source = f"{cfg.source} text_config"
    if own_type and tie and "tie_word_embeddings" in given:  # its own class loads it, and refuses a wrong type there
        from .field_types import check_types

        check_types(Config({"model_type": read_as, "tie_word_embeddings": given["tie_word_embeddings"]}, source))
    notes = [] if stated == read_as else [
        f"text_config's model_type {printable(short(stated))} is not read: {cfg.model_type}'s config class reads "
        f"its text_config as {model_type}, and so does symparams"]
    return text_class, data, source, notes


def _whole_values(spec: Spec) -> dict[str, int]:
    """The whole-number values of a Spec's free symbols, by name (its rules checked first)."""
    env = spec.env
    return {s.name: int(env[s]) for s in spec.symbols if env[s].is_Integer}


def _check_text(text_class: TextClass | None, cfg: Config, values: Mapping[str, int]) -> None:
    """What a text class refuses beyond its family's checks, given the decoder's values by name."""
    if text_class is not None and text_class.whole_heads:
        _whole_heads(values, cfg)
    if text_class is not None and text_class.check is not None:
        text_class.check(cfg, values)


def with_sizes(text: Reading, shape: tuple[tuple[str, Any], ...], sizes: Mapping[str, int],
               notes: list[str], note: str | None = NOTE) -> Reading:
    """A wrapper's reading: its decoder's ``text`` reading (shape, values and notes) followed by its own choices
    (``shape``), the towers' ``sizes`` and the notes it adds, then ``note`` (:data:`NOTE`; None where it has no
    tower), as :func:`with_towers` lays out its Spec."""
    from .registry import Reading

    return Reading((("text", (text.inner[0].family.name, text.shape)), *shape), (*text.values, *sizes.items()),
                   text.name, (*text.notes, *notes, *((note,) if note else ())), text.inner)


def built_text(read: Reading) -> Spec:
    """The tree of a wrapper's decoder (:func:`decoder_reading`), built from its text config as a file of its own."""
    from . import FAMILIES

    inner = read.inner[0]
    return inner.spec if inner.spec is not None else FAMILIES.from_dict(inner.cfg.data, inner.cfg.source)


def built_with_towers(read: Reading, family: str, label: str, towers: tuple[Module, ...],
                      relations: tuple[tuple[Symbol, Expr], ...], constraints: tuple[Constraint, ...],
                      kept: tuple[Symbol, ...] = (), text: Spec | None = None) -> Spec:
    """:func:`with_towers` of a wrapper's reading (:func:`with_sizes`): its decoder's tree (``text``: that tree as
    the wrapper changes it), the towers' sizes and every note from the reading."""
    text = built_text(read) if text is None else text
    names = {s.name for s in text.symbols}
    spec = with_towers(text, family, label, towers, {n: v for n, v in read.values if n not in names}, relations,
                       constraints, kept, [])
    return replace(spec, notes=read.notes)


def check_rotary_head(cfg: Config, text: Mapping[str, int]) -> None:
    """A text class whose attention makes heads of D / H (no head_dim of its own) but whose rotary embedding turns
    ``head_dim`` wide heads where the file gives a (truthy) one: where the two differ no token runs through the
    decoder, so the file is refused (Qwen2-VL's, Mllama's)."""
    given, own = cfg.data.get("head_dim"), text["D"] // text["H"]
    if given and (isinstance(given, bool) or given != own):
        raise cfg.error("head_dim", f"is {short(given)}, but this decoder's attention makes heads of hidden_size / "
                                    f"num_attention_heads = {own}, while its rotary embedding turns heads of head_dim: "
                                    "no token runs through it")


def _whole_heads(text: Mapping[str, int], cfg: Config) -> None:
    width, heads = text["D"], text["H"]
    if width % heads:
        raise cfg.error("num_attention_heads", f"{heads} heads do not divide hidden_size {width}: this decoder's "
                                               "attention refuses it (transformers raises)")


def with_towers(text: Spec, family: str, label: str, towers: tuple[Module, ...], sizes: dict[str, int],
                relations: tuple[tuple[Symbol, Expr], ...], constraints: tuple[Constraint, ...],
                kept: tuple[Symbol, ...], notes: list[str]) -> Spec:
    """``text`` with ``towers`` after its parts, their symbols' values (``sizes``, by name), relations and rules."""
    import sympy

    from ..symbols import SYMBOLS

    tree = replace(text.tree, name=family, parts=(*text.tree.parts, *towers), label=label)
    values = text.values + tuple((SYMBOLS[name], sympy.Integer(v)) for name, v in sizes.items())
    return replace(text, tree=tree, values=values, relations=text.relations + relations,
                   constraints=text.constraints + constraints, kept=(*text.kept, *kept),
                   notes=(*text.notes, *notes, NOTE))


def check_rope(cfg: Config, kinds: tuple[str, ...]) -> None:
    """Refuse a vision config's rope table its tower cannot build with: a rope type other than ``kinds`` (whose
    functions read fields a vision config lacks), or a ``rope_theta`` that is no number, which the tower raises to
    powers as it is built."""
    from decimal import Decimal

    rope = cfg.data.get("rope_parameters")
    if not isinstance(rope, dict):
        return
    kind, theta = rope.get("rope_type", "default"), rope.get("rope_theta")
    if kind not in kinds:
        raise cfg.error("rope_parameters", f"rope_type {short(kind)}: the vision tower's rotary embedding is "
                                           f"{' or '.join(kinds)} alone")
    if theta is not None and (isinstance(theta, bool) or not isinstance(theta, (int, float, Decimal))):
        raise cfg.error("rope_parameters", f"rope_theta {short(theta)} is not a number")


def feature_layers(cfg: Config, layers: int) -> int:
    """How many of the tower's hidden states (L_vis + 1 of them) the projector takes: ``vision_feature_layer``, one
    index or a list, each within the tower's. A bare 0 asks transformers' output capture for no hidden states (its
    ``select_hidden_states`` passes the index as the switch), so none are kept: no image runs, as past the last."""
    value = cfg.get("vision_feature_layer")
    listed = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not (isinstance(listed, list) and listed and all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in listed)):
        raise cfg.error("vision_feature_layer", f"expected a layer index or a non-empty list of them, got "
                                                f"{short(value)}")
    if value == 0 and not isinstance(value, list):
        raise cfg.error("vision_feature_layer", "0 is read by transformers as asking for no hidden states at all: "
                                                "no image runs through it (write [0] for the embeddings' output)")
    for i in listed:
        if not -(layers + 1) <= i <= layers:
            raise cfg.error("vision_feature_layer", f"takes hidden state {i}, but a tower of {layers} layers has "
                                                    f"{layers + 1}: no image runs through it")
    return len(listed)


@dataclass(frozen=True)
class _NoRotary:
    """A vision config class without a rotary embedding, as :func:`rope.check_rope` reads one: it validates a rope
    table the file states as every config class does, fills nothing in, and has no context of its own."""

    rotary: str = "none"
    rope_default: tuple[tuple[str, Any], ...] = ()
    rope_share: bool = False
    rope_share_default: Any = None
    rope_share_field: str | None = None
    rope_theta_field: str = "rope_theta"
    rope_head_unset: bool = False
    lacks: tuple[str, ...] = ("max_position_embeddings",)
    rope_renames: tuple[tuple[str, str], ...] = ()
    rope_used: Callable[[Config], bool] | None = None
    rope_top: Callable[[Config], bool] | None = None


def check_unused_rope(cfg: Config) -> None:
    """Refuse a rope table in the config of a tower without a rotary embedding where its class refuses it: the
    tower computes nothing with it, but the class validates it when it is made (a key its type requires missing,
    a type whose validation reads a context the config lacks, a value it measures that is not what it measures)."""
    from .rope import check_rope as check_table

    check_table(cfg, _NoRotary())


def check_vit(cfg: Config, sizes: Mapping[str, int]) -> None:
    """What a ViT tower's (SigLIP's, InternViT's) config class and modules refuse, with every layer's attention
    splitting the width into heads and the patch embedding cutting the image: a rope table its class refuses
    (:func:`check_unused_rope`), an unknown ``hidden_act``, heads that do not divide the width, a patch larger than
    the image."""
    from .activations import activation

    check_unused_rope(cfg)
    activation(cfg, "hidden_act")
    if sizes["D_vis"] % sizes["H_vis"]:
        raise cfg.error("num_attention_heads", f"{sizes['H_vis']} heads do not divide the width "
                                               f"{sizes['D_vis']}; its attention refuses it")
    if sizes["p_img"] > sizes["S_img"]:
        raise cfg.error("patch_size", f"{sizes['p_img']} is larger than the image ({sizes['S_img']} pixels): "
                                      "the tower has no patch to embed")


def check_tower(cfg: Config, model_type: str, name: str) -> None:
    """Refuse a vision config naming a tower other than ``model_type`` (``name``'s, the one modelled), and any value
    of a field whose type that tower's config class refuses."""
    from .field_types import check_types

    given = cfg.data.get("model_type", model_type)
    if given != model_type:
        raise cfg.error("model_type", f"{short(given)} names another vision tower; symparams models {name}'s "
                                      f"({model_type!r}, the default) alone")
    check_types(Config({**cfg.data, "model_type": model_type}, cfg.source))
