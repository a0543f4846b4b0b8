"""02 — Plot a run from Python or a notebook: ``lrwatch.plot`` returns plotly figures.

``kind="overview"`` stacks loss, LR, gradient norm and update ratio with the diagnosis span
shaded; one panel (``"loss"``, ``"lr"`` ...) or the per-layer heatmap (``"layers"``) alone.
In a notebook, ``fig.show()``; here the figures are written as HTML files.
"""

from digits import DigitsClassifier, digits_loaders, trainer

import lrwatch

watch = lrwatch.LRWatch(name="digits-plot")
trainer([watch]).fit(DigitsClassifier(lr=3e-3), *digits_loaders())

overview = lrwatch.plot(watch.store_path, watch.run.name)  # loss, LR, grad norm, update ratio
overview.write_html("digits-plot-overview.html")
loss = lrwatch.plot(watch.store_path, watch.run.name, kind="loss", smoothing=0.9)
loss.update_yaxes(type="log").write_html("digits-plot-loss.html")
print("wrote digits-plot-overview.html and digits-plot-loss.html")
