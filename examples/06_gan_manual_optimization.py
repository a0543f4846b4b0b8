"""06 — A GAN with manual optimization: logged losses are stored, and no LR verdict from them.

``training_step`` returns nothing and logs ``g_loss`` and ``d_loss``; LRWatch stores them as
``logged/g_loss`` and ``logged/d_loss`` beside each optimizer's gradient norm and update ratio.
An adversarial loss is not meant to fall, so the final verdict gives no LR verdict from it: it
reports each optimizer's gradient and update health instead. Then, in a shell:
``lrwatch analyze --loss-key g_loss``.
"""

import torch
from digits import pl
from torch.utils.data import DataLoader, TensorDataset

from lrwatch import LRWatch, Store


class RingGAN(pl.LightningModule):
    """A generator learns 2-D points on a ring; a discriminator tells them from real ones."""

    def __init__(self, lr: float = 2e-4) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.lr = lr
        self.generator = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(),
                                             torch.nn.Linear(32, 2))
        self.discriminator = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(),
                                                 torch.nn.Linear(32, 1))

    def training_step(self, batch, batch_idx):
        real = batch[0]
        g_opt, d_opt = self.optimizers()
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
        fake = self.generator(torch.randn(len(real), 4))
        g_loss = bce(self.discriminator(fake), ones)
        g_opt.zero_grad()
        self.manual_backward(g_loss)
        g_opt.step()
        d_loss = (bce(self.discriminator(real), ones)
                  + bce(self.discriminator(fake.detach()), zeros)) / 2
        d_opt.zero_grad()
        self.manual_backward(d_loss)
        d_opt.step()
        self.log_dict({"g_loss": g_loss, "d_loss": d_loss})

    def configure_optimizers(self):
        betas = (0.5, 0.999)
        return (torch.optim.Adam(self.generator.parameters(), lr=self.lr, betas=betas),
                torch.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=betas))


def ring(n: int = 2048) -> DataLoader:
    angle = 2 * torch.pi * torch.rand(n)
    points = torch.stack([angle.cos(), angle.sin()], 1) + 0.05 * torch.randn(n, 2)
    return DataLoader(TensorDataset(points), batch_size=32, shuffle=True)


torch.manual_seed(0)
watch = LRWatch(name="ring-gan")
pl.Trainer(max_steps=400, callbacks=[watch], logger=False, enable_checkpointing=False,
           enable_progress_bar=False).fit(RingGAN(), ring())

with Store(watch.store_path, readonly=True) as store:
    run = store.run(watch.run.name)
    print("logged:", [k for k in store.keys(run) if k.startswith("logged/")])
