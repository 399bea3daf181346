"""Other libraries' logging and warnings held off for a while, and put back as they were."""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Iterator

__all__ = ["silenced"]


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Logging and warnings off around calls into a library whose notes would stand above symparams' own one line
    (huggingface_hub's retries, transformers' probe builds), and back as they were after: a caller that set
    ``logging.disable`` or its own warning filters finds them unchanged."""
    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(before)
