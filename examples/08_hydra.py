"""08 — Configure from Hydra: the Trainer and ``LRWatch`` from ``_target_`` entries.

    python examples/08_hydra.py
    python examples/08_hydra.py trainer.callbacks.0.on_diverge=recover
    LRWATCH_ALERT=https://hooks.slack.com/services/... python examples/08_hydra.py

``hydra.utils.instantiate`` builds the Trainer with its callbacks from
``examples/configs/hydra/train.yaml`` (composed here with Hydra's compose API; an
``@hydra.main`` application instantiates the same config the same way).
"""

import sys
from pathlib import Path

from digits import DigitsClassifier, digits_loaders
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

with initialize_config_dir(config_dir=str(Path(__file__).parent / "configs" / "hydra"),
                           version_base=None):
    cfg = compose("train", overrides=sys.argv[1:])

trainer = instantiate(cfg.trainer)
trainer.fit(DigitsClassifier(**cfg.model), *digits_loaders())
print(f"trained '{trainer.callbacks[0].run.name}' with on_diverge="
      f"{cfg.trainer.callbacks[0].on_diverge}")
