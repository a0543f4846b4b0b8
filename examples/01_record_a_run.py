"""01 — Record a run: add the ``LRWatch`` callback, train, and read what was recorded.

Every optimizer step's loss, learning rate, gradient norm and update ratio lands in a local
SQLite store (``./lrwatch_logs`` by default). Then ``lrwatch runs`` lists the run, and the same
numbers are there for Python through ``lrwatch.Store``.
"""

from digits import DigitsClassifier, digits_loaders, trainer

from lrwatch import LRWatch, Store

watch = LRWatch(name="digits-adam")
trainer([watch]).fit(DigitsClassifier(lr=3e-3), *digits_loaders())

with Store(watch.store_path, readonly=True) as store:
    run = store.run(watch.run.name)  # "digits-adam", or "digits-adam-2" on a second run
    steps, loss = store.scalars(run, "loss")
    print(f"{run.name}: {run.steps} steps, loss {loss[0]:.3f} -> {loss[-1]:.3f}")
    print("recorded:", ", ".join(store.keys(run)))
