"""The hypothesis parity and gradcheck suite: NumPy side against PyTorch, and against central differences."""
