"""09 — Tell the places a team already looks: the Trainer's loggers and a chat webhook.

``mirror=True`` writes each diagnosis change and guard action into every logger of the Trainer
(here TensorBoard: an ``lrwatch/status`` scalar and a text entry); ``alert=`` posts it as
``{"text": ...}`` to a Slack incoming webhook (or any compatible one). Set ``LRWATCH_ALERT`` to
your webhook URL; without it this script starts a local receiver and prints what it got.
The LR of 3.0 makes the run blow up, so there is something to tell.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from digits import DigitsClassifier, digits_loaders

from lrwatch import LRWatch

try:
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import TensorBoardLogger
except ImportError:
    import pytorch_lightning as pl  # type: ignore[no-redef]
    from pytorch_lightning.loggers import TensorBoardLogger  # type: ignore[no-redef]

received = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


url = os.environ.get("LRWATCH_ALERT")
if url is None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"

watch = LRWatch(name="digits-too-hot", on_diverge="stop", mirror=True, alert=url)
trainer = pl.Trainer(max_steps=200, accelerator="cpu", enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, callbacks=[watch],
                     logger=TensorBoardLogger("lightning_logs", name="digits-too-hot"))
trainer.fit(DigitsClassifier(lr=3.0, optimizer="SGD"), *digits_loaders())
print("TensorBoard: tensorboard --logdir lightning_logs  (lrwatch/status, Text tab)")
for text in received:
    print("---\n" + text)
