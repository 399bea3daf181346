"""The padding row of the token embedding: transformers refuses a ``pad_token_id`` outside the vocabulary.

Every family of this group builds ``nn.Embedding(vocab_size, hidden_size, padding_idx=pad_token_id)``,
and PyTorch asserts ``-vocab_size <= padding_idx < vocab_size``. Several config classes
default the id to a large number (GLM's 151329, OLMo's 1), so a small vocabulary with
the default id cannot be built; it is refused here as transformers refuses it, rather
than counted. A null id means no padding row, as in transformers.
"""

from __future__ import annotations

from ..config import DERIVED, Config, Field

__all__ = ["pad_field", "check_padding"]


def pad_field(default: int | None) -> Field:
    """``pad_token_id`` with the family's default (None: no padding row); null means none."""
    return Field("pad_token_id", DERIVED if default is None else default, null=DERIVED, minimum=-(10**50))


def check_padding(cfg: Config, vocab: int) -> None:
    """Refuse a padding id that is not a row of a ``vocab``-row embedding."""
    pad = cfg.get("pad_token_id")
    if pad is not DERIVED and not -vocab <= pad < vocab:
        said = "" if cfg.given("pad_token_id") else f" ({cfg.model_type}'s default)"
        raise cfg.error("pad_token_id", f"{pad}{said} is not a row of the {vocab}-token embedding, "
                                        "which transformers refuses to build")
