"""The gradient norm the recorder files is the true 2-norm of the gradients, whatever their dtype
(float32 gradients skip ``_foreach_norm``'s dtype argument; others are still summed in float32)."""

from __future__ import annotations

import pytest
import torch

from lrwatch import keys
from lrwatch.config import RecordConfig
from lrwatch.recorder import OptimizerProbe


@pytest.mark.parametrize("dtype, rel", [(torch.float32, 1e-6), (torch.bfloat16, 1e-5)])
def test_the_recorded_gradient_norm_is_the_norm_of_every_gradient(dtype, rel):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 3)).to(dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(16, 32, dtype=dtype)).square().mean().backward()
    probe = OptimizerProbe(optimizer, None, {id(p): n for n, p in model.named_parameters()},
                           RecordConfig(), clipping=False)
    probe.before_step(0)  # step 0 is a per-layer step too
    filed = dict(probe.pending)
    grads = [p.grad.double() for p in model.parameters()]
    expected = torch.sqrt(sum(g.square().sum() for g in grads))
    assert filed[keys.GRAD_NORM].dtype == torch.float32
    assert float(filed[keys.GRAD_NORM]) == pytest.approx(float(expected), rel=rel)
    per_layer = filed[keys.GRAD_NORM + "/*"]  # layers "0" and "2", in that order
    for i, layer in enumerate((model[0], model[2])):
        norm = torch.sqrt(sum(p.grad.double().square().sum() for p in layer.parameters()))
        assert float(per_layer[i]) == pytest.approx(float(norm), rel=rel)
    probe.close()
