"""03 — Compare learning rates: three runs, their diagnoses, and one plot of all three.

An LR far too high diverges, one far too low stalls, a good one falls steadily; lrwatch says
which is which and what to change. ``lrwatch.plot(store, [runs], "loss")`` overlays them.
"""

from digits import DigitsClassifier, digits_loaders, trainer

import lrwatch
from lrwatch.analysis import analyze
from lrwatch.readers import curves_from_store

names = []
for lr in (3.0, 1e-4, 3e-3):
    watch = lrwatch.LRWatch(name=f"sgd-lr-{lr:g}" if lr != 3e-3 else "adam-lr-0.003")
    model = DigitsClassifier(lr=lr, optimizer="SGD" if lr != 3e-3 else "Adam")
    trainer([watch], max_steps=150).fit(model, *digits_loaders())
    names.append(watch.run.name)

with lrwatch.Store(watch.store_path, readonly=True) as store:
    for name in names:
        d = analyze(curves_from_store(store, name))
        s = d.suggestion
        print(f"{name:15s} {d.status.value:12s} {s.action.value}: {s.rationale}")
    lrwatch.plot(store, names, "loss").write_html("compare-loss.html")
