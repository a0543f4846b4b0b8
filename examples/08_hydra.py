"""08 — Configure from Hydra: the Trainer and ``LRWatch`` from ``_target_`` entries.

    python examples/08_hydra.py
    python examples/08_hydra.py trainer.callbacks.0.on_diverge=recover
    LRWATCH_ALERT=https://hooks.slack.com/services/... python examples/08_hydra.py

``hydra.utils.instantiate`` builds the Trainer with its callbacks from
``examples/configs/hydra/train.yaml``.
"""

import hydra
from digits import DigitsClassifier, digits_loaders
from omegaconf import DictConfig


@hydra.main(config_path="configs/hydra", config_name="train", version_base=None)
def main(cfg: DictConfig) -> None:
    trainer = hydra.utils.instantiate(cfg.trainer)
    trainer.fit(DigitsClassifier(**cfg.model), *digits_loaders())


if __name__ == "__main__":
    main()
