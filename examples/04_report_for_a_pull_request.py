"""04 — One HTML file to attach to an issue or a pull request.

``lrwatch report STORE --run NAME -o report.html`` from a shell, or ``write_report`` from
Python: the diagnosis and every figure in one file that opens offline (plotly.js inlined).
"""

from digits import DigitsClassifier, digits_loaders, trainer

from lrwatch import LRWatch
from lrwatch.report import write_report

watch = LRWatch(name="digits-report")
trainer([watch]).fit(DigitsClassifier(lr=3e-3), *digits_loaders())
path = write_report(watch.store_path, watch.run.name, "digits-report.html")
print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
