"""07 — Configure from a LightningCLI YAML: ``LRFinder`` and ``LRWatch`` as ``class_path`` /
``init_args`` entries of ``trainer.callbacks``.

    python examples/07_lightning_cli.py fit --config examples/configs/lightning_cli.yaml

(without arguments it runs exactly that). Every argument of both is a plain typed value
(numbers, strings, booleans, ``null``), so ``--help`` lists them and a wrong one
(``on_diverge: explode``) is refused before training starts.
"""

import sys
from pathlib import Path

from digits import DigitsClassifier, DigitsData

try:
    from lightning.pytorch.cli import LightningCLI
except ImportError:
    from pytorch_lightning.cli import LightningCLI  # type: ignore[no-redef]

CONFIG = Path(__file__).parent / "configs" / "lightning_cli.yaml"

if __name__ == "__main__":
    LightningCLI(DigitsClassifier, DigitsData,
                 args=sys.argv[1:] or ["fit", "--config", str(CONFIG)],
                 save_config_kwargs={"overwrite": True})
