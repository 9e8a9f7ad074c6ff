"""Optimizers and learning-rate schedules with torch.optim's names, arguments, update rules and state_dict layout.

    opt = scratch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in data:
        opt.zero_grad()
        loss, backward = ...            # forward pass
        backward(1.0)                   # fills each parameter's .grad
        opt.step()                      # updates the parameters in place

``scratch.optim.lr_scheduler`` holds StepLR, CosineAnnealingLR and WarmupCosineLR.
"""
from scratch.optim import lr_scheduler
from scratch.optim.adam import Adam, AdamW
from scratch.optim.lion import Lion
from scratch.optim.optimizer import Optimizer
from scratch.optim.rmsprop import RMSprop
from scratch.optim.sgd import SGD

__all__ = ["Adam", "AdamW", "Lion", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
