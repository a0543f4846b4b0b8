"""The smoothing of every drawn curve: TensorBoard's debiased EMA.

The dashboard (static and live graphs) and reports smooth with :func:`ema`, so a curve looks the
same wherever it is drawn. The diagnosis does not smooth with it: it reads robust levels (the
running median of ``curve.Curve.trend``, blind to spikes), and the range test records
Lightning's own EMA (``rangetest.lightning_ema``): one smoother per purpose.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from lrwatch.errors import ConfigError


def ema(values: np.ndarray | list[float], weight: float) -> np.ndarray:
    """Debiased exponential moving average, as TensorBoard's smoothing slider computes it.

    ``s_t = w * s_{t-1} + (1 - w) * x_t`` over the finite values, divided by ``1 - w**k`` (``k``
    finite values seen so far) so the first points are not pulled toward zero. A NaN or inf
    passes through unchanged at its position and does not enter the average, as in TensorBoard.

    Args:
        values: the raw curve, in step order.
        weight: smoothing strength in ``[0, 1)``; 0 returns the values, 0.99 smooths heavily.

    Returns:
        A float64 array of the same length.

    Raises:
        ConfigError: if ``weight`` is not in ``[0, 1)``.

    Example::

        >>> ema([1.0, 2.0, float("nan"), 3.0], 0.5).round(3).tolist()
        [1.0, 1.667, nan, 2.429]
    """
    if not (isinstance(weight, (int, float)) and 0.0 <= weight < 1.0):
        raise ConfigError(f"ema weight must be in [0, 1), got {weight!r}")
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    out = x.copy()
    finite = np.isfinite(x)
    if weight == 0.0 or not finite.any():
        return out
    y = x[finite]
    smoothed = lfilter([1.0 - weight], [1.0, -weight], y)
    seen = np.arange(1, y.size + 1, dtype=np.float64)
    out[finite] = smoothed / -np.expm1(seen * np.log(weight))  # 1 - w**k, exact for tiny k
    return out
