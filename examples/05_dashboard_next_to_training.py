"""05 — Watch training live: the dashboard in its own process, next to the training.

``start_in_background`` serves the store on 127.0.0.1 from a separate process (so it never
slows the training loop), reuses one already serving this store, and stops with ``stop()``.
Open the printed URL while it trains. The same from a shell: ``lrwatch dashboard``.
"""

import urllib.request

from digits import DigitsClassifier, digits_loaders, trainer

from lrwatch import LRWatch
from lrwatch.dashboard.launcher import start_in_background
from lrwatch.store import default_store_path

dashboard = start_in_background(default_store_path(), port=8050)
print(f"dashboard: {dashboard.url}")
try:
    trainer([LRWatch(name="digits-live")]).fit(DigitsClassifier(lr=3e-3), *digits_loaders())
    with urllib.request.urlopen(dashboard.url) as page:
        print(f"the dashboard answers: HTTP {page.status}")
finally:
    dashboard.stop()
