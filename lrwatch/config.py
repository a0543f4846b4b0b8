"""Frozen, validated settings: checked once at construction, recorded with the run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lrwatch.errors import ConfigError


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class RecordConfig:
    """What the recorder captures and how often.

    Args:
        every_n_steps: record every n-th optimizer step (1 = every step).
        layer_every_n_steps: per-layer gradient norms and update ratios every n steps.
        update_ratio_every_n_steps: global ``update_ratio`` and ``param_norm`` every n steps;
            each such step keeps a copy of the weights from before the update (on their device).
        host_copy_every_n_steps: steps buffered on the device before one copy to the host.
        host_copy_interval_s: also copy when this many seconds passed (slow steps stay live).
    """

    every_n_steps: int = 1
    layer_every_n_steps: int = 50
    update_ratio_every_n_steps: int = 1
    host_copy_every_n_steps: int = 32
    host_copy_interval_s: float = 1.0

    def __post_init__(self) -> None:
        _positive_int("every_n_steps", self.every_n_steps)
        _positive_int("layer_every_n_steps", self.layer_every_n_steps)
        _positive_int("update_ratio_every_n_steps", self.update_ratio_every_n_steps)
        _positive_int("host_copy_every_n_steps", self.host_copy_every_n_steps)
        if not self.host_copy_interval_s > 0:
            raise ConfigError(
                f"host_copy_interval_s must be > 0 seconds, got {self.host_copy_interval_s!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
