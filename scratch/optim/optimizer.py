"""The base class every NumPy optimizer derives from: parameter groups, per-parameter state, torch's state_dict.

An optimizer holds ``param_groups``, a list of dicts exactly as ``torch.optim`` keeps them: each has ``"params"`` (a
list of ``scratch.nn.Parameter``) and every hyperparameter (``lr``, ``weight_decay``...), the constructor's values
filling whatever the group does not set itself. That is how a model gets, say, no weight decay on its norms and
biases::

    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, weight_decay=0.1)

``step()`` updates every parameter whose ``.grad`` is not None IN PLACE (``p -= ...``), so the arrays a module holds
stay the module's parameters; a parameter whose ``.grad`` is None is skipped, as in torch.

``state_dict()`` has torch's layout: ``{"state": {index: {buffer name: array}}, "param_groups": [{..., "params":
[indices]}]}``, indices counting parameters across the groups in order. Every buffer is an ndarray (``step`` is a
0-d float32 array, as torch keeps a 0-d float32 tensor), so the state converts to torch's with ``torch.from_numpy``
per array (``torch_impl.optim.optimizer_state_to_torch``) and a torch optimizer loaded from it carries on identically.
"""
from __future__ import annotations

import numpy as np

from scratch.nn.module import Parameter


class Optimizer:
    """Parameter groups with defaults filled in, per-parameter state, ``zero_grad``, ``state_dict``.

    Args:
        params: an iterable of Parameters, or of dicts ``{"params": [...], <hyperparameter>: value, ...}``.
        defaults: every hyperparameter's default (the subclass's constructor arguments).

    Attributes:
        param_groups: list of dicts, one per group, each holding ``"params"`` and every hyperparameter.
        state: per-parameter buffers, ``{id(param): {name: array}}``. Keyed by ``id`` because ndarrays are not
            hashable; the groups hold the parameters, so an id can never be reused while the optimizer lives.
    """

    def __init__(self, params, defaults: dict):
        name = type(self).__name__
        if isinstance(params, np.ndarray):
            raise TypeError(f"{name}: params argument given to the optimizer should be an iterable of Parameters "
                            f"or dicts, but got {type(params).__name__} (wrap it in a list)")
        self.defaults = dict(defaults)
        self.state: dict[int, dict] = {}
        self.param_groups: list[dict] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Append a group; hyperparameters it does not set come from the constructor's defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got {type(param_group).__name__}")
        self._follow_casts()  # so that a cast parameter added now is not also in a group as its old self
        group = dict(param_group)  # a copy: the caller's dict is left as it was
        params = group.get("params")
        if isinstance(params, np.ndarray):
            params = [params]
        group["params"] = list(params)
        for p in group["params"]:
            if not isinstance(p, Parameter):
                raise TypeError(f"{name} can only optimize scratch.nn.Parameter arrays (they carry .grad), "
                                f"but one of the params is {type(p).__name__}")
            if p.dtype.type not in (np.float32, np.float64):
                raise TypeError(f"{name} can only optimize float32 or float64 parameters, got {p.dtype}")
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids):
            # torch only warns here and then updates the parameter twice per step; that is never what was meant.
            raise ValueError(f"{name}: a parameter group lists the same parameter twice")
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_hyperparameters(self, group: dict) -> None:
        """Subclasses raise ValueError for a hyperparameter outside its range (checked for every group)."""

    def _follow_casts(self) -> None:
        """Take up the Parameters that ``Module.double()``/``float()``/``to(dtype)`` put in place of ours.

        A NumPy array cannot change dtype in place, so a cast module holds new Parameters and each old one points to
        its replacement (``_cast_into``). Following the pointers here, and casting this parameter's state as
        ``load_state_dict`` does (``step`` keeps its own dtype), lets an optimizer built before the cast go on
        updating the arrays the module uses instead of orphans.
        """
        for group in self.param_groups:
            params = group["params"]
            for i, p in enumerate(params):
                new = p
                while getattr(new, "_cast_into", None) is not None:
                    new = new._cast_into
                if new is p:
                    continue
                params[i] = new
                state = self.state.pop(id(p), None)
                if state is not None:
                    self.state[id(new)] = {k: v if k == "step" else np.asarray(v).astype(new.dtype)
                                           for k, v in state.items()}

    # Stepping ---------------------------------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (optional) recomputes and returns the loss."""
        loss = closure() if closure is not None else None
        self._follow_casts()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue  # not used in this forward pass (frozen layer, unused branch): skipped, as in torch
                if p.grad.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has a grad of shape "
                                     f"{p.grad.shape}")
                self._update(p, p.grad, self.state.setdefault(id(p), {}), group)
        return loss

    def _update(self, param: Parameter, grad: np.ndarray, state: dict, group: dict) -> None:
        """Subclasses: update ``param`` in place from ``grad``; ``state`` is this parameter's buffers (starts {})."""
        raise NotImplementedError

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None`` (torch's default), or fill them with zeros."""
        self._follow_casts()
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0

    # State --------------------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {name: array}}, "param_groups": [...]}`` in torch's layout; arrays are copies."""
        self._follow_casts()
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index[id(p)] = len(index)
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[key]: {name: np.array(buf, copy=True) for name, buf in bufs.items()}
                 for key, bufs in self.state.items() if bufs}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state saved by ``state_dict()`` (here or by the torch twin, converted to arrays).

        The groups must have the same number of parameters as this optimizer's; the saved hyperparameters replace
        the current ones. Floating buffers are cast to their parameter's dtype, as torch does; ``step`` keeps its own.
        """
        self._follow_casts()
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}: loaded state dict contains a parameter group of {len(saved['params'])} "
                                 f"parameters where the optimizer's group has {len(group['params'])}")
        by_index = {i: p for saved, group in zip(saved_groups, self.param_groups)
                    for i, p in zip(saved["params"], group["params"])}
        self.state = {}
        for i, bufs in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[id(p)] = {
                k: np.array(v, dtype=None if k == "step" else p.dtype, copy=True) for k, v in bufs.items()
            }
        for saved, group in zip(saved_groups, self.param_groups):
            params = group["params"]
            group.clear()
            group.update({k: v for k, v in saved.items() if k != "params"})
            group["params"] = params

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def new_step() -> np.ndarray:
    """The step counter as torch keeps it: a 0-d float32 array (a tensor there), incremented in place."""
    return np.zeros((), dtype=np.float32)


def check_lr(name: str, lr) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"{name}: Invalid learning rate: {lr} (expected lr >= 0)")


def check_nonnegative(name: str, what: str, value) -> None:
    if not 0.0 <= value:
        raise ValueError(f"{name}: Invalid {what} value: {value} (expected {what} >= 0)")


def check_betas(name: str, betas) -> None:
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{name}: Invalid beta parameter at index {i}: {beta} (expected 0 <= beta < 1)")
