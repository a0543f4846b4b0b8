"""What every front end shares around the engine: its options, checked, and how a run starts.

``LRWatch`` (Lightning), ``Watch`` (Fabric and plain loops) and ``LRWatchCallback`` (Hugging
Face) take the same options, serve the same live dashboard and open a run the same way;
``FrontEnd`` does that once, so each front end only translates its framework's events into calls
on ``self.engine``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, TypedDict

import torch

from lrwatch.config import RecordConfig, check_bool
from lrwatch.engine import Engine, model_classes, starts_pretrained
from lrwatch.errors import ConfigError
from lrwatch.guard import GuardConfig
from lrwatch.live_dashboard import check_dashboard_address, start_dashboard
from lrwatch.loss_classes import check_classes
from lrwatch.notify import build_notifier, check_alert_url
from lrwatch.store import RunInfo, StoreURL

log = logging.getLogger("lrwatch")


class FrontEndOptions(TypedDict, total=False):
    """The keyword options ``FrontEnd`` takes, typed for a front end that passes them on as
    ``**options`` (``Watch``): editors and type checkers list them and check their types."""

    on_diverge: Literal["warn", "stop", "recover"]
    every_n_steps: int
    layer_every_n_steps: int
    update_ratio_every_n_steps: int | None
    host_copy_every_n_steps: int | None
    check_every_n_steps: int
    snapshot_every_n_steps: int
    max_recoveries: int
    lr_factor: float | None
    skip_batches: int
    on_spike: str | None
    alert: str | None
    dashboard: bool
    dashboard_host: str
    dashboard_port: int
    keep_dashboard: bool
    strict: bool
    fine_tune: bool | None
    classes: int | None
    shared_loss: bool


class FrontEnd:
    """The options of a front end, checked at construction, and its ``engine``.

    Args:
        store: the store file or folder (default: ``$LRWATCH_STORE``, else the front end's
            default folder).
        name: the run's name (default: the model's class name).
        on_diverge, every_n_steps, layer_every_n_steps, update_ratio_every_n_steps,
        host_copy_every_n_steps, check_every_n_steps, snapshot_every_n_steps, max_recoveries,
        lr_factor, skip_batches, on_spike, alert, dashboard, dashboard_host, dashboard_port,
        keep_dashboard, strict, fine_tune, classes, shared_loss: as ``lrwatch.LRWatch``
        documents them (a guard that acts copies every step to the host, unless
        ``host_copy_every_n_steps`` says otherwise).

    Raises:
        ConfigError: an option is out of range or of the wrong type (one line that names it).
    """

    def __init__(
        self,
        store: str | os.PathLike[str] | None = None,
        name: str | None = None,
        *,
        on_diverge: str = "warn",
        every_n_steps: int = 1,
        layer_every_n_steps: int = 50,
        update_ratio_every_n_steps: int | None = None,
        host_copy_every_n_steps: int | None = None,
        check_every_n_steps: int = 100,
        snapshot_every_n_steps: int = 100,
        max_recoveries: int = 3,
        lr_factor: float | None = None,
        skip_batches: int = 0,
        on_spike: str | None = None,
        alert: str | None = None,
        dashboard: bool = False,
        dashboard_host: str = "127.0.0.1",
        dashboard_port: int = 8050,
        keep_dashboard: bool = False,
        strict: bool = False,
        fine_tune: bool | None = None,
        classes: int | None = None,
        shared_loss: bool = False,
    ) -> None:
        if store is not None and not isinstance(store, (str, os.PathLike)):
            raise ConfigError(f"store must be a path (a str or pathlib.Path), got {store!r}")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ConfigError(f"name must be a non-empty string, got {name!r}")
        guard = GuardConfig(on_diverge=on_diverge, check_every_n_steps=check_every_n_steps,
                            snapshot_every_n_steps=snapshot_every_n_steps,
                            max_recoveries=max_recoveries, lr_factor=lr_factor,
                            skip_batches=skip_batches, on_spike=on_spike)
        if host_copy_every_n_steps is None:
            host_copy_every_n_steps = 1 if guard.acts else RecordConfig.host_copy_every_n_steps
        record = RecordConfig(every_n_steps=every_n_steps, layer_every_n_steps=layer_every_n_steps,
                              update_ratio_every_n_steps=update_ratio_every_n_steps,
                              host_copy_every_n_steps=host_copy_every_n_steps)
        self.alert = check_alert_url(alert) if alert is not None else None
        self.dashboard_host, self.dashboard_port = check_dashboard_address(dashboard_host,
                                                                           dashboard_port)
        for arg, flag in (("dashboard", dashboard), ("keep_dashboard", keep_dashboard),
                          ("strict", strict), ("shared_loss", shared_loss)):
            check_bool(arg, flag)
        if fine_tune is not None and not isinstance(fine_tune, bool):
            raise ConfigError(f"fine_tune must be True, False or None (unknown), got {fine_tune!r}")
        if classes is not None:
            classes = check_classes("classes", classes)
        self.store_arg = store
        self.name = name
        self.fine_tune = fine_tune
        self.classes = classes
        self.shared_loss = shared_loss
        self.dashboard = dashboard
        self.keep_dashboard = keep_dashboard
        self.dashboard_url: str | None = None
        self._dashboard: Any = None
        self._dashboard_noted = False
        self.engine = Engine(record, guard, strict=strict)

    @property
    def run(self) -> RunInfo | None:
        return self.engine.run

    def _fine_tune(self, model: Any) -> bool | None:
        """Whether training starts from pretrained weights: as the user said, else True where
        the model shows it (``starts_pretrained``), else unknown."""
        return self.fine_tune if self.fine_tune is not None else starts_pretrained(model)

    def _classes(self, model: Any) -> int | None:
        """The classes of the loss's cross-entropy: as the user said, else where a Hugging Face
        model's config says them (``model_classes``), else unknown."""
        return self.classes if self.classes is not None else model_classes(model)

    @property
    def store_path(self) -> Path | StoreURL | None:
        return self.engine.store_path

    @property
    def should_stop(self) -> bool:
        """The guard stopped the run (``on_diverge="stop"``, or recoveries ran out)."""
        return self.engine.should_stop

    def _serve_dashboard(self, info: Callable[[str], None] = log.warning) -> None:
        """With ``dashboard``, serve the open store's live dashboard (rank 0), unless this front
        end serves one already; a dashboard that fails to start never stops training."""
        if not self.dashboard:
            return
        self._dashboard_noted = False
        if self._dashboard is None or not self._dashboard.running():
            self._dashboard = start_dashboard(
                self.engine.store_path,  # type: ignore[arg-type]
                self.dashboard_host, self.dashboard_port, keep=self.keep_dashboard,
                warn=self.engine.warn, info=info)
            self.dashboard_url = self._dashboard.url if self._dashboard is not None else None

    def _record(self, name: str, meta: dict[str, Any],
                named_parameters: Iterable[tuple[str, torch.Tensor]], clipping: bool, *,
                clip_norm: float | None = None, loggers: Iterable[Any] = ()) -> RunInfo:
        """Rank 0, at train start: open the run and tell its notices to ``loggers`` and the alert
        webhook, with a link to its dashboard page when one is served."""
        engine = self.engine
        run = engine.start(name, meta, named_parameters, clipping, clip_norm=clip_norm)
        page = f"{self.dashboard_url}/run/{run.id}" if self.dashboard_url else None
        engine.attach_notifier(engine.safely("notify", build_notifier, run.name, loggers,
                                             self.alert, page))
        return run

    def _note_dashboard(self, info: Callable[[str], None] = log.warning) -> None:
        """Training ended and the dashboard serves on: say once how to serve it again."""
        if self._dashboard is not None and not self._dashboard_noted:
            self._dashboard_noted = True
            info(self._dashboard.after_fit_note(self.store_path))
