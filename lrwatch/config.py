"""Frozen, validated settings: checked once at construction, recorded with the run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lrwatch.errors import ConfigError

# The update ratio is a slow-moving health signal: measuring it every 10th step keeps its cost
# (a weight copy and three passes over the weights) to a tenth while the curve stays readable.
# Above AUTO_UPDATE_RATIO_MAX_PARAMS the copy is only made every ``layer_every_n_steps`` steps.
DEFAULT_UPDATE_RATIO_EVERY = 10
AUTO_UPDATE_RATIO_MAX_PARAMS = 100_000_000


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
            each such step copies the weights once (on their device, so it costs one more
            copy of the parameters in memory, and about three passes over them). ``None``
            (default): every ``DEFAULT_UPDATE_RATIO_EVERY`` steps for models up to
            ``AUTO_UPDATE_RATIO_MAX_PARAMS`` parameters, else every ``layer_every_n_steps``.
        host_copy_every_n_steps: steps buffered on the device before one copy to the host.
        host_copy_interval_s: also copy when this many seconds passed (slow steps stay live).
    """

    every_n_steps: int = 1
    layer_every_n_steps: int = 50
    update_ratio_every_n_steps: int | None = None
    host_copy_every_n_steps: int = 32
    host_copy_interval_s: float = 1.0

    def __post_init__(self) -> None:
        _positive_int("every_n_steps", self.every_n_steps)
        _positive_int("layer_every_n_steps", self.layer_every_n_steps)
        if self.update_ratio_every_n_steps is not None:
            _positive_int("update_ratio_every_n_steps", self.update_ratio_every_n_steps)
        _positive_int("host_copy_every_n_steps", self.host_copy_every_n_steps)
        if not self.host_copy_interval_s > 0:
            raise ConfigError(
                f"host_copy_interval_s must be > 0 seconds, got {self.host_copy_interval_s!r}")

    def update_ratio_cadence(self, param_count: int) -> int:
        """Steps between update-ratio measurements for a model of ``param_count`` parameters."""
        if self.update_ratio_every_n_steps is not None:
            return self.update_ratio_every_n_steps
        if param_count <= AUTO_UPDATE_RATIO_MAX_PARAMS:
            return min(DEFAULT_UPDATE_RATIO_EVERY, self.layer_every_n_steps)
        return self.layer_every_n_steps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
