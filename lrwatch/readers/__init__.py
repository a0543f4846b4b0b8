"""Turn logs that already exist (lrwatch stores, Lightning CSV logs and hparams.yaml,
TensorBoard events, Hugging Face trainer_state.json, JSON logs, plain-text training logs, the
printed output saved in Jupyter notebooks' cells) into the curves analysis reads.

``find_runs(path)`` lists the runs a path holds and ``read_run(run)`` reads one into a
``ReadResult`` (its ``RunCurves``, the columns chosen and notes on what was cleaned).
``curves_from_store(store, run)`` is the builder the CLI, the dashboard and reports share. Each
format is one module with a ``Reader`` (``base``), listed in ``registry.READERS``.
``read_run`` adds what a run's folder says where its log is silent (a settings file beside it,
the LR and optimizer its path names: ``path_setup``), with a note for each.

Example::

    from lrwatch.readers import find_runs, read_run
    for run in find_runs("lightning_logs"):
        curves = read_run(run).curves
"""

from lrwatch.readers.columns import Columns, detect_columns
from lrwatch.readers.discover import LogRun, find_runs, read_run, stores_in
from lrwatch.readers.series import Hints, ReadResult
from lrwatch.readers.store import curves_from_store, judged_lr, read_store_run, training_runs

__all__ = [
    "Columns",
    "Hints",
    "LogRun",
    "ReadResult",
    "curves_from_store",
    "detect_columns",
    "find_runs",
    "judged_lr",
    "read_run",
    "read_store_run",
    "stores_in",
    "training_runs",
]
