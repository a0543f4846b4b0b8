"""10 — A hand-written loop: ``Watch`` records and diagnoses a plain PyTorch or Fabric loop.

No Trainer: one ``watch.step(loss)`` after ``optimizer.step()`` records the step (gradients are
read inside ``optimizer.step()``); ``on_diverge="stop"`` turns a blow-up into
``watch.should_stop``. The same loop runs through Lightning Fabric when it is installed. The
second run's learning rate is far too high: it stops within a few steps of diverging.
"""

import torch
from digits import digits_loaders

from lrwatch import Store, Watch


def train(lr: float, name: str, fabric=None) -> Watch:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.Tanh(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loader, _ = digits_loaders()
    if fabric is not None:
        model, optimizer = fabric.setup(model, optimizer)
        loader = fabric.setup_dataloaders(loader)
    with Watch(model, optimizer, name=name, on_diverge="stop") as watch:
        for epoch in range(4):
            for x, y in loader:
                loss = torch.nn.functional.cross_entropy(model(x), y)
                optimizer.zero_grad()
                fabric.backward(loss) if fabric is not None else loss.backward()
                optimizer.step()
                watch.step(loss)
                if watch.should_stop:
                    break
            if watch.should_stop:
                break
    return watch


try:
    from lightning.fabric import Fabric

    fabric = Fabric(accelerator="cpu", devices=1)
except ImportError:
    fabric = None
calm = train(0.1, "digits-loop", fabric)
wild = train(400.0, "digits-loop-too-high", fabric)
with Store(calm.store_path, readonly=True) as store:
    for watch in (calm, wild):
        run = store.run(watch.run.name)
        print(f"{run.name}: {run.status} after {run.steps} steps, stopped: {watch.should_stop}")
