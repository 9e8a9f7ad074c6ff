"""The PyTorch twins of ``scratch``: same names, same file layout, same state_dict keys.

Where ``torch.nn`` has the layer, the twin *is* torch's own function or module, so parity tests compare against
real PyTorch and CUDA runs get torch's kernels. ``torch_impl.state`` moves weights between the two sides.
"""
