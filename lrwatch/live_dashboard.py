"""``dashboard=True`` of every front end (``LRWatch``, ``Watch``, the Hugging Face callback).

The live dashboard serves the training's store from a separate process
(``lrwatch.dashboard.launcher``, standard library only: the training process never imports
Dash), until this Python process exits unless kept. One copy of the checks, the start and the
lines a user reads, so the three front ends behave alike.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from lrwatch.config import check_int
from lrwatch.errors import ConfigError, LRWatchError

if TYPE_CHECKING:
    from lrwatch.dashboard.launcher import DashboardProcess


def check_dashboard_address(host: Any, port: Any) -> tuple[str, int]:
    """The host and port to serve on, checked at construction.

    Raises:
        ConfigError: the host is not a non-empty string, or the port is outside 0-65535.
    """
    if not isinstance(host, str) or not host.strip():
        raise ConfigError(f"dashboard_host must be a host name or address such as "
                          f"'127.0.0.1', got {host!r}")
    port = check_int("dashboard_port", port, minimum=0)
    if port > 65535:
        raise ConfigError(f"dashboard_port must be in 0-65535, got {port}")
    return host, port


def start_dashboard(store_path: str | os.PathLike[str], host: str, port: int, *, keep: bool,
                    warn: Callable[[str], None], info: Callable[[str], None]
                    ) -> DashboardProcess | None:
    """Serve the dashboard of ``store_path`` next to training, without waiting for it to
    answer (it imports Dash meanwhile). A dashboard already serving this store on this machine
    is reused. A failure to start never stops training: one warning, and None."""
    from lrwatch.dashboard import launcher

    try:
        served = launcher.start_in_background(store_path, host, port, keep=keep, wait=False)
    except Exception as exc:  # noqa: BLE001 - the dashboard is never worth a training run
        reason = str(exc) if isinstance(exc, LRWatchError) else f"{type(exc).__name__}: {exc}"
        warn(f"lrwatch: the dashboard did not start ({reason}); training goes on")
        return None
    info(f"lrwatch: dashboard at {served.url}"
         + (" (already serving this store)" if served.reused else ""))
    return served
