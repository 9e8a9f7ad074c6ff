"""The one small base class every NumPy layer shell derives from, and the Parameter array it holds.

A ``Module`` owns parameters (arrays with a ``.grad``), buffers (arrays without one, such as batch norm's running
statistics) and child modules, and names them exactly as ``torch.nn`` does, so that ``state_dict()`` has the same keys,
in the same order, with the same shapes as its PyTorch twin.

Calling a module returns ``(y, backward)``. ``backward(dy)`` adds each parameter's gradient to ``param.grad`` (so two
calls sharing weights accumulate, as in torch) and returns the gradient of the input.

Thread safety: one module may run forward and backward in several threads at once (torch's autograd allows it).
Each Parameter carries a lock that ``accumulate_grad`` holds while it adds, as torch's AccumulateGrad holds one per
parameter: without it two threads can both find ``grad is None`` and the second assignment drops the first thread's
whole gradient, and ``+=`` on a large array interleaves element by element (NumPy releases the GIL inside the add).

Hooks: ``register_forward_hook`` and ``register_full_backward_hook`` take torch's hook signatures and fire in torch's
order; ``__call__`` wires them around every module's ``forward`` and its backward closure, in this one place.

Casting: ``double()``, ``float()`` and ``to(dtype)`` cast floating parameters, their ``.grad`` and floating buffers.
"""
from __future__ import annotations

import inspect
import itertools
import threading
from collections import OrderedDict

import numpy as np


class Parameter(np.ndarray):
    """An ndarray that carries the gradient accumulated into it, as ``torch.nn.Parameter`` does.

    It behaves as a plain array in every expression (results of arithmetic on it are plain ndarrays) and adds one
    attribute, ``grad``: ``None`` until a backward pass writes it. ``accumulate_grad`` writes it under the
    parameter's own lock, so backward passes in several threads lose nothing.
    """

    def __new__(cls, data):
        obj = np.array(data, copy=True).view(cls)
        obj.grad = None
        return obj

    def __array_finalize__(self, obj):
        self.grad = None
        # An array made from a Parameter (a view, .copy()) shares its lock, which at worst makes two arrays wait on
        # one lock; a Parameter built from data, deep-copied or unpickled gets its own. Made here rather than on
        # first use, which would itself race.
        self._grad_lock = getattr(obj, "_grad_lock", None) or threading.Lock()

    def __array_wrap__(self, out, context=None, return_scalar=False):
        # Results of ufuncs on a Parameter are ordinary values: a Parameter is only ever made on purpose.
        out = out.view(np.ndarray)
        return out[()] if return_scalar else out

    def __reduce__(self):
        # Pickle as a Parameter, keeping .grad.
        fn, args, state = super().__reduce__()
        return fn, args, (state, self.grad)

    def __setstate__(self, state):
        nd_state, grad = state
        super().__setstate__(nd_state)
        self.grad = grad

    def __deepcopy__(self, memo):
        out = Parameter(self)
        out.grad = None if self.grad is None else self.grad.copy()
        return out

    def __repr__(self):
        return "Parameter(" + np.array2string(self.view(np.ndarray), prefix="Parameter(") + ")"


def accumulate_grad(param: Parameter | None, grad) -> None:
    """``param.grad += grad``, starting from ``None`` as torch does; safe from several threads at once."""
    if param is None or grad is None:
        return
    with param._grad_lock:  # the None check and the add are one step: see the module docstring
        if param.grad is None:
            param.grad = np.array(grad, dtype=param.dtype, copy=True)
        else:
            param.grad += grad


_TORCH_STYLE_NAMES = {"float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
                      "float16": np.float16, "half": np.float16}


def _dtype_or_none(value):
    """A ``np.dtype`` for a dtype-like value, None for anything else (a device: "cpu", "cuda:0", torch.device).

    Strings and torch objects are read by torch's names, where "float" is float32 (NumPy's "float" is float64).
    """
    if value is None:
        return None
    if isinstance(value, str) or type(value).__module__ == "torch":
        text = str(value).removeprefix("torch.")
        if text in _TORCH_STYLE_NAMES:
            return np.dtype(_TORCH_STYLE_NAMES[text])
        value = text  # "int64" is a dtype (refused later as not floating); "cuda" is not one
    try:
        return np.dtype(value)
    except TypeError:
        return None


def _as_grad(output, d):
    """A gradient entry of ``grad_output``: an array for an array (or NumPy scalar) output given one, else None."""
    if d is None or not isinstance(output, (np.ndarray, np.generic)) or isinstance(d, tuple):
        return None
    return d if isinstance(d, np.ndarray) else np.asarray(d, dtype=np.result_type(output))


class RemovableHandle:
    """What ``register_*_hook`` returns: ``remove()`` takes the hook out again (torch's ``RemovableHandle``)."""

    _next_id = itertools.count()

    def __init__(self, hooks: OrderedDict):
        self.id = next(RemovableHandle._next_id)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks: OrderedDict, hook, entry, prepend: bool) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = entry
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class Module:
    """Base class: parameters, buffers and children, with torch's names for everything that touches them."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())  # id -> (hook, with_kwargs)
        object.__setattr__(self, "_backward_hooks", OrderedDict())  # id -> hook

    # Registration --------------------------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() before setting {name}")
        if isinstance(value, Parameter):
            self._buffers.pop(name, None)
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._modules[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"{type(self).__name__}.{name} is a parameter: assign a Parameter or None")
            del self._parameters[name]  # like torch's register_parameter(name, None): absent from state_dict
        elif name in self._buffers:
            if value is None:
                del self._buffers[name]
            else:
                self._buffers[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        if value is not None:
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    # Calling -------------------------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def __call__(self, *args, **kwargs):
        """``forward``, with the hooks around it and around its backward closure (nothing extra when there are none).

        As in torch's ``Module.__call__``: forward hooks run after ``forward``, in registration order, each seeing
        the output as the previous one left it; the backward hooks are the ones registered at the time of the
        call (torch snapshots them there too, so removing a hook between forward and backward does not stop it for
        that call).
        """
        forward_hooks, backward_hooks = self.__dict__.get("_forward_hooks"), self.__dict__.get("_backward_hooks")
        if not forward_hooks and not backward_hooks:  # the common case costs two lookups
            return self.forward(*args, **kwargs)
        forward_hooks = list(forward_hooks.values()) if forward_hooks else []
        backward_hooks = list(backward_hooks.values()) if backward_hooks else []
        result = self.forward(*args, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
            raise TypeError(f"{type(self).__name__}.forward must return (output, backward) for its hooks to run, "
                            f"got {type(result).__name__}")
        y, backward = result
        for hook, with_kwargs in forward_hooks:
            replaced = hook(self, args, kwargs, y) if with_kwargs else hook(self, args, y)
            if replaced is not None:
                y = replaced
        if backward_hooks:
            # Known at call time, as torch knows it from requires_grad: no input gets a gradient when no positional
            # argument is a float array (token ids) or the input is declared data (input_grad=False, given to the
            # call or set on the layer).
            no_input_grad = (kwargs.get("input_grad", getattr(self, "input_grad", True)) is False
                             or not any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in args))
            backward = self._hooked_backward(backward, backward_hooks, args, y, no_input_grad)
        return y, backward

    def _hooked_backward(self, backward, hooks, args, y, no_input_grad):
        """``backward`` followed by the full backward hooks, with torch's ``grad_input`` and ``grad_output``.

        torch's tuples (``torch.utils.hooks.BackwardHook``): ``grad_output`` has one entry per top-level element of
        the output (a bare array counts as a 1-tuple), the gradient for an array element and None for anything else
        (LSTM's nested ``(h_n, c_n)``, MultiheadAttention's absent weights) or for an array given no gradient;
        ``grad_input`` has one entry per positional argument of the call, the gradient for an array argument and
        None for anything else (keyword arguments are not in it); an array argument the module computes no
        gradient for holds zeros when another argument has a gradient, None when none has (torch's quirk, kept).
        A hook returning a tuple of that length replaces ``grad_input`` for the hooks after it and for the caller;
        the entries standing for arguments without a gradient are never handed on, as in torch.

        When no input gets a gradient (``no_input_grad``), torch fires the hooks as soon as the output's gradient
        is known, before the modules inside run theirs, with ``grad_input`` all None, and a hook may not return
        gradients; the same here, before the closure runs.

        The backward closure's own return keeps its shape: ``dx`` for a one-input module, a tuple for several
        (MultiheadAttention's ``(dquery, dkey, dvalue)``, an RNN's ``(dx, dhx)``); its entries line up with the
        positional arguments, first to first.
        """
        name = type(self).__name__
        outputs = y if isinstance(y, tuple) else (y,)
        try:  # losses' closures default their upstream gradient (dloss=1.0): report what the closure will use
            default = next(iter(inspect.signature(backward).parameters.values())).default
        except (StopIteration, TypeError, ValueError):
            default = inspect.Parameter.empty

        def hooked_backward(*dys):
            grads = None if no_input_grad else backward(*dys)
            if dys:
                dy = dys[0]
            elif default is not inspect.Parameter.empty:
                dy = np.full(np.shape(outputs[0]), default, dtype=np.asarray(outputs[0]).dtype)
            else:
                dy = None
            dys_top = dy if isinstance(y, tuple) and isinstance(dy, tuple) else (dy,)
            grad_output = tuple(_as_grad(o, d) for o, d in itertools.zip_longest(outputs, dys_top[:len(outputs)]))
            if no_input_grad:
                for hook in hooks:
                    replaced = hook(self, (None,) * len(args), grad_output)
                    if replaced is not None and not (isinstance(replaced, tuple)
                                                     and all(g is None for g in replaced)):
                        raise RuntimeError(f"{name}: backward hook for a module where no input gets a gradient "
                                           f"should always return None or None for all gradients (as in torch)")
                return backward(*dys)
            several = isinstance(grads, tuple)
            per_arg = list(grads) if several else [grads]
            per_arg += [None] * (len(args) - len(per_arg))
            grad_input = tuple(g if isinstance(a, np.ndarray) and isinstance(g, np.ndarray) else None
                               for a, g in zip(args, per_arg))
            if any(g is not None for g in grad_input):
                # torch hands zeros (in the input's dtype) for a tensor argument without a gradient (a loss's
                # integer target) once any argument has one: its hook's autograd Function materializes them.
                grad_input = tuple(np.zeros_like(a) if g is None and isinstance(a, np.ndarray) else g
                                   for a, g in zip(args, grad_input))
            for hook in hooks:
                replaced = hook(self, grad_input, grad_output)
                if replaced is None:
                    continue
                if not isinstance(replaced, (tuple, list)) or len(replaced) != len(grad_input):
                    got = len(replaced) if isinstance(replaced, (tuple, list)) else type(replaced).__name__
                    raise RuntimeError(f"{name}: backward hook returned an invalid number of grad_input, got {got}, "
                                       f"but expected {len(grad_input)} (one per positional argument)")
                grad_input = tuple(replaced)
            for i, (a, g) in enumerate(zip(args, grad_input)):
                if isinstance(a, np.ndarray) and isinstance(per_arg[i], np.ndarray):
                    per_arg[i] = g
            if not several:
                return per_arg[0]
            return tuple(per_arg[:len(grads)])

        return hooked_backward

    # Hooks -------------------------------------------------------------------------------------------------------
    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> "RemovableHandle":
        """Call ``hook(module, args, output)`` after every ``forward``, as torch does.

        ``args`` is the tuple of positional arguments (keyword arguments are not passed unless ``with_kwargs``, and
        then the hook is ``hook(module, args, kwargs, output)``); ``output`` is the module's output ``y``, not the
        ``(y, backward)`` pair. A hook that returns something other than None replaces the output, for the hooks
        after it and for the caller. ``prepend`` puts the hook before those already registered.

        A replaced output is the caller's, and the gradient the caller hands to ``backward`` goes to the module's
        backward closure as it is. That is torch's result whenever the replacement's Jacobian with respect to the
        output is the identity (``output + c``, a copy); torch would also differentiate through anything else the
        hook computes (``2 * output`` doubles the gradient there), which NumPy arrays carry no record of.

        Returns:
            a ``RemovableHandle``: ``handle.remove()`` unregisters the hook (also usable as a context manager).
        """
        return _add_hook(self._forward_hooks, hook, (hook, bool(with_kwargs)), prepend)

    def register_full_backward_hook(self, hook, *, prepend: bool = False) -> "RemovableHandle":
        """Call ``hook(module, grad_input, grad_output)`` each time the module's backward closure runs, as torch does.

        ``grad_input`` holds one gradient per positional argument of the forward call (None for non-arrays; for an
        array whose gradient the module does not compute, such as a loss's integer target, zeros like it, or None
        when no argument gets a gradient, such as a first layer's with ``input_grad=False``, all as torch passes);
        ``grad_output`` one per top-level output element (None for non-arrays and for outputs given no gradient).
        For ``Linear`` that is ``((dx,), (dy,))``: the parameters' gradients are not in ``grad_input`` (here they
        are already in ``.grad`` when the hook runs; torch does not promise that order). A hook may return a new
        ``grad_input`` tuple of the same length, which then replaces the gradients the backward returns. Hooks run
        in registration order (or first, with ``prepend``); across a model the innermost modules' backward runs
        first, so their hooks fire first, each parent's once its children are done, exactly torch's order.

        When no input gets a gradient (token ids, or ``input_grad=False`` for data), torch fires the hook as soon
        as the output's gradient is known (with a warning), before the modules inside, with ``grad_input`` all
        None; so does this one (without the warning), and such a hook must return None, as in torch. That is known
        at call time only from the call itself: a container given float data whose first child has
        ``input_grad = False`` set as an attribute fires its hook last, after its children, with the same values.

        Returns:
            a ``RemovableHandle``.

        Examples:
            >>> from scratch.nn import Linear
            >>> layer = Linear(3, 2, dtype=np.float64)
            >>> handle = layer.register_full_backward_hook(
            ...     lambda m, grad_input, grad_output: print([g.shape for g in grad_input + grad_output]))
            >>> y, backward = layer(np.ones((4, 3)))
            >>> dx = backward(np.ones((4, 2)))
            [(4, 3), (4, 2)]
            >>> handle.remove()
        """
        return _add_hook(self._backward_hooks, hook, hook, prepend)

    # Traversal -----------------------------------------------------------------------------------------------
    def named_modules(self, prefix: str = ""):
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(prefix + ("." if prefix else "") + name)

    def children(self):
        return [m for m in self._modules.values() if m is not None]

    def modules(self):
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix: str = ""):
        seen = set()
        for mod_prefix, mod in self.named_modules(prefix):
            for name, p in mod._parameters.items():
                if id(p) not in seen:  # a parameter shared by two children is listed once, as in torch
                    seen.add(id(p))
                    yield mod_prefix + ("." if mod_prefix else "") + name, p

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = ""):
        for mod_prefix, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                yield mod_prefix + ("." if mod_prefix else "") + name, b

    def buffers(self):
        return [b for _, b in self.named_buffers()]

    # State -----------------------------------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters then buffers of each module, depth first, exactly torch's key order.

        Values are plain-ndarray views that share memory with the module, like the tensors of torch's state_dict.
        """
        out = OrderedDict()
        for mod_prefix, mod in self.named_modules():
            dot = "." if mod_prefix else ""
            for name, p in mod._parameters.items():
                out[mod_prefix + dot + name] = p.view(np.ndarray)
            for name, b in mod._buffers.items():
                out[mod_prefix + dot + name] = b
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> None:
        """Copy values in place (so references held by an optimizer stay valid).

        Keys and shapes must match exactly: nothing is ever transposed or reshaped to fit.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key])
            if value.shape != target.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {key} has shape {tuple(value.shape)} in the state dict "
                    f"but {tuple(target.shape)} in the module (no transposes are made silently)"
                )
            target[...] = value

    # Dtype ---------------------------------------------------------------------------------------------------------
    def double(self) -> "Module":
        """Cast every floating parameter (and its ``.grad``) and floating buffer to float64; returns self.

        See ``to`` for what happens to the Parameter objects.
        """
        return self._cast_floating(np.dtype(np.float64))

    def float(self) -> "Module":
        """Cast every floating parameter (and its ``.grad``) and floating buffer to float32; returns self."""
        return self._cast_floating(np.dtype(np.float32))

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False) -> "Module":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or keywords, as torch's ``Module.to``; returns self.

        ``dtype``: a NumPy dtype or type (``np.float64``), or a torch-style name (``"float64"``, ``"float32"``,
        ``"double"``, ``"float"``; ``torch.float64`` itself is accepted by its name, without importing torch).
        Floating parameters and floating buffers are cast, in this module and every child; integer buffers such
        as batch norm's ``num_batches_tracked`` are left alone, and a non-floating dtype is an error, as in torch.

        ``device``: the arrays live in host memory, so only ``None`` and ``"cpu"`` are accepted (nothing to do);
        any other device is a ``ValueError`` (for a GPU, use the torch twin from ``torch_impl``).

        Parameter objects: torch keeps each Parameter and swaps its storage (``param.data = ...``), so references
        to it stay valid. A NumPy array's buffer and dtype are fixed for life (``ndarray.data`` cannot be assigned
        in NumPy 2), so a parameter whose dtype changes is replaced by a new ``Parameter`` holding the cast values;
        one whose dtype is already right is kept as it is. A parameter shared by several modules stays shared (one
        new Parameter for all of them). An existing ``.grad`` is cast with it, as torch casts ``.grad``; the old
        Parameter keeps its old values and grad. The old Parameter points to its replacement, and a
        ``scratch.optim`` optimizer built before the cast follows that pointer at its next ``step``,
        ``zero_grad`` or ``state_dict`` and casts its state (momentum, Adam's moments) to the new dtype, so it
        goes on updating the arrays the module uses (in torch, SGD goes on too but Adam's float32 state makes the
        first step after ``double()`` raise). Any other reference taken before the cast (``p = model.fc.weight``)
        still names the old array: take it again after casting.

        Examples:
            >>> from scratch.nn import BatchNorm1d
            >>> bn = BatchNorm1d(3).to("float64")
            >>> bn.weight.dtype, bn.running_mean.dtype, bn.num_batches_tracked.dtype
            (dtype('float64'), dtype('float64'), dtype('int64'))
        """
        name = type(self).__name__
        if len(args) > 2:
            raise TypeError(f"{name}.to expected at most 2 positional arguments (device, dtype), got {len(args)}")
        for arg in args:
            as_dtype = _dtype_or_none(arg)
            if as_dtype is not None:
                if dtype is not None:
                    raise TypeError(f"{name}.to got two dtypes: {dtype!r} and {arg!r}")
                dtype = arg
            elif device is None:
                device = arg
            else:
                raise TypeError(f"{name}.to expected (device, dtype), got {args!r}")
        if device is not None and str(device) != "cpu":
            raise ValueError(f"{name}.to expected a dtype (np.float64, 'float64', 'double', ...) or a device; "
                             f"scratch modules hold NumPy arrays in host memory, so the only device is 'cpu', "
                             f"got {device!r} (for a GPU, use the torch twin in torch_impl)")
        if dtype is None:
            return self
        target = _dtype_or_none(dtype)
        if target is None:
            raise TypeError(f"{name}.to expected a dtype such as np.float64 or 'float64', got {dtype!r}")
        if target.type not in (np.float32, np.float64):
            raise TypeError(f"{name}.to only accepts float32 or float64 (the dtypes scratch layers compute in), "
                            f"got {target}")
        return self._cast_floating(target)

    def _cast_floating(self, dtype: np.dtype) -> "Module":
        new_params: dict[int, Parameter] = {}  # id(old) -> new: a shared parameter becomes one shared parameter
        for mod in self.modules():
            for name, p in list(mod._parameters.items()):
                if p is None or p.dtype.kind != "f" or p.dtype == dtype:
                    continue
                new = new_params.get(id(p))
                if new is None:
                    new = p.view(np.ndarray).astype(dtype).view(Parameter)  # one copy; a lock of its own
                    new.grad = None if p.grad is None else p.grad.astype(dtype)
                    p._cast_into = new  # followed by optimizers built before the cast (scratch.optim)
                    new_params[id(p)] = new
                setattr(mod, name, new)
            for name, b in list(mod._buffers.items()):
                if b is not None and b.dtype.kind == "f" and b.dtype != dtype:
                    setattr(mod, name, b.astype(dtype))
        return self

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None (torch's default ``set_to_none=True``)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
