"""find_lr under DDP: two CPU processes (gloo), rank 0 decides, every rank gets its result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lrwatch.store import ENV_VAR, Store, default_store_path

SCRIPT = textwrap.dedent('''
    import json, sys
    import torch
    from torch.nn import functional as F
    import lightning.pytorch as pl
    from lrwatch import find_lr

    root, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(4, 8, generator=g) * 3
    y = torch.randint(0, 4, (512,), generator=g)
    x = centers[y] + torch.randn(512, 8, generator=g)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)

    class Classifier(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.lr = 1e-3
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(),
                                           torch.nn.Linear(32, 4))

        def training_step(self, batch, batch_idx):
            return F.cross_entropy(self.net(batch[0]), batch[1])

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

    model = Classifier()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp", max_epochs=1,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=root)
    result = find_lr(trainer, model, data, min_lr=1e-3, max_lr=10, num_training=40)
    restored = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    trainer.fit(model, data)  # the real training, with the suggestion
    with open(f"{out}/rank{trainer.global_rank}.json", "w") as f:
        json.dump({"lr": result.results["lr"], "loss": result.results["raw_loss"],
                   "suggestion": result.suggestion(), "uid": result.run_uid,
                   "restored": restored, "model_lr": model.lr,
                   "global_step": trainer.global_step}, f)
    # end the gloo group before exit, as a DDP script should: left to interpreter teardown its
    # threads now and then abort the process ("terminate called without an active exception")
    torch.distributed.destroy_process_group()
''')


@pytest.mark.slow
def test_find_lr_under_ddp_agrees_on_every_rank(tmp_path: Path) -> None:
    script = tmp_path / "ddp_find_lr.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items()
           if k not in (ENV_VAR, "LOCAL_RANK", "RANK", "WORLD_SIZE", "MASTER_PORT")}
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "root"), str(tmp_path)],
                         env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]

    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0] == ranks[1]  # one result, broadcast from rank 0
    result = ranks[0]
    assert result["restored"] and result["suggestion"] is not None
    assert result["model_lr"] == result["suggestion"]
    assert result["global_step"] == 16  # 512 samples / 2 ranks / batch 16
    with Store(default_store_path(tmp_path / "root"), readonly=True) as store:
        (run,) = store.runs()  # written once, by rank 0
        assert run.uid == result["uid"] and run.meta["world_size"] == 2
        _, loss = store.scalars(run, "loss")
    assert np.allclose(loss, result["loss"])
    assert not list((tmp_path / "root").rglob("*.ckpt"))
