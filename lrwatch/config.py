"""Frozen, validated settings: checked once at construction, recorded with the run."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass
from typing import Any

from lrwatch.errors import ConfigError


def check_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as a plain int >= ``minimum`` (numpy integers too), or a ConfigError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ConfigError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_bool(name: str, value: object) -> bool:
    """``value`` when it is True or False, else a ConfigError naming it (a string such as
    ``"no"`` is truthy: taken as True it would silently turn the option on)."""
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, got {value!r}")
    return value


def set_checked_int(config: object, name: str, minimum: int = 1) -> None:
    """Check a frozen dataclass's integer field and store it as a plain int (JSON-ready)."""
    object.__setattr__(config, name, check_int(name, getattr(config, name), minimum))


@dataclass(frozen=True)
class RecordConfig:
    """What the recorder captures and how often.

    Args:
        every_n_steps: record every n-th optimizer step (1 = every step).
        layer_every_n_steps: per-layer gradient norms and update ratios every n steps.
        update_ratio_every_n_steps: global ``update_ratio`` and ``param_norm`` every n steps;
            each such step copies the weights once (on their device, so it costs one more
            copy of the parameters in memory, and about four passes over them: as much as
            four or five gradient-norm steps). ``None`` (default): with the per-layer norms,
            every ``layer_every_n_steps``; the ratio is a slow-moving health signal.
        host_copy_every_n_steps: steps buffered on the device before one copy to the host.
        host_copy_interval_s: also copy when this many seconds passed, so rows reach the
            store, the dashboard and the live diagnosis within that time whatever the step time.
            A copy, unpacking it and the guard's look at the new rows cost about 1.4 ms on CPU
            (a 2 ms-step MLP), nearly however many steps they carry: every 32 steps that was
            some 45 us a step; every 0.5 s it is noise.
    """

    every_n_steps: int = 1
    layer_every_n_steps: int = 50
    update_ratio_every_n_steps: int | None = None
    host_copy_every_n_steps: int = 256
    host_copy_interval_s: float = 0.5

    def __post_init__(self) -> None:
        for name in ("every_n_steps", "layer_every_n_steps", "host_copy_every_n_steps"):
            set_checked_int(self, name)
        if self.update_ratio_every_n_steps is not None:
            set_checked_int(self, "update_ratio_every_n_steps")
        if not self.host_copy_interval_s > 0:
            raise ConfigError(
                f"host_copy_interval_s must be > 0 seconds, got {self.host_copy_interval_s!r}")

    @property
    def update_ratio_cadence(self) -> int:
        """Steps between update-ratio measurements."""
        return self.update_ratio_every_n_steps or self.layer_every_n_steps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
