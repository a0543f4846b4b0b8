"""The classes K of a cross-entropy loss (or its vocabulary size), whose chance level ln K the
diagnosis reads: a loss stuck at a uniform guess, or worse than one.

One place for what every source of K shares, stdlib only, so that the front ends (which may not
import the readers) and the Hugging Face reader use the same rule:

- ``check_classes``: a K the user gives (``classes=`` of a front end, ``analyze --classes``);
- ``classes_from_config``: K from a Hugging Face model config, a ``config.json`` or a live
  model's ``config.to_dict()``.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, Mapping, TypeGuard

from lrwatch.errors import ConfigError

_CLASSIFIER = re.compile(r"For(Sequence|Token|Image|Audio|MultipleChoice)Classification$")
_LANGUAGE_MODEL = re.compile(r"(ForCausalLM|ForMaskedLM|ForConditionalGeneration|LMHeadModel)$")
_WANTED = "the classes (or vocabulary size) of a cross-entropy loss, an integer >= 2"


def check_classes(name: str, value: object) -> int:
    """``value`` as a plain int >= 2 (not a bool), or a one-line ConfigError naming ``name``."""
    if not _is_classes(value):
        raise ConfigError(f"{name} must be {_WANTED}, got {value!r}")
    return int(value)


def parse_classes(text: str, name: str) -> int:
    """A K the user typed (``--classes 10``), or a one-line ConfigError naming ``name``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{name} must be {_WANTED}, got {text!r}") from None
    return check_classes(name, value)


def classes_from_config(config: Mapping[str, Any], architecture: str | None = None
                        ) -> int | None:
    """The classes of a Hugging Face model's cross-entropy loss, from its config: the labels of
    a ...ForSequenceClassification / TokenClassification model (``id2label``, else
    ``num_labels``; none for a regression or a multi-label problem), the ``vocab_size`` of a
    language model; None otherwise. The architecture is ``architecture`` where given (a live
    model's class name: the module that computes the loss, whatever checkpoint it was loaded
    from; a headless ``AutoModel`` of a masked-LM checkpoint has no softmax over its
    vocabulary), else the config's first ``architectures`` entry (a saved ``config.json``'s)."""
    architectures = config.get("architectures")
    if not architecture and isinstance(architectures, list) and architectures:
        architecture = str(architectures[0])
    if not architecture:
        return None
    if _CLASSIFIER.search(architecture):
        if config.get("problem_type") in ("regression", "multi_label_classification"):
            return None  # MSE or binary cross-entropy, not a softmax over classes
        labels = config.get("id2label")
        count = len(labels) if isinstance(labels, dict) else config.get("num_labels")
        return count if _is_classes(count) else None
    if _LANGUAGE_MODEL.search(architecture):
        vocab = config.get("vocab_size")
        return vocab if _is_classes(vocab) else None
    return None


def _is_classes(value: object) -> TypeGuard[numbers.Integral]:
    """A whole number of classes: an integer (not a bool) of 2 or more."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 2
