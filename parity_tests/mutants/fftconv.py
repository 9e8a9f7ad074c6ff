"""Planted bugs in the FFT convolution."""
from parity_tests.mutants import Mutant

_TESTS = ("parity_tests/test_fftconv.py",)

MUTANTS = [
    Mutant(
        name="fftconv-no-zero-padding",
        file="scratch/functional/fftconv.py",
        old="M = L + K - 1  # the FFT length",
        new="M = L  # the FFT length",
        tests=(*_TESTS, "-k", "matches_direct or causal"),
        why="an FFT of length L computes a circular convolution: the filter's tail wraps the end of the sequence "
            "onto its start, and the output reads the future",
    ),
    Mutant(
        name="fftconv-dx-without-conj",
        file="scratch/functional/fftconv.py",
        old="dx = np.fft.irfft(DY * np.conj(H), n=M)",
        new="dx = np.fft.irfft(DY * H, n=M)",
        tests=(*_TESTS, "-k", "matches_torch or gradcheck"),
        why="the adjoint of a convolution is a correlation, the conjugate spectrum: without conj dx convolves dy "
            "with the kernel again, forward in time instead of backward",
    ),
    Mutant(
        name="fftconv-dkernel-without-conj",
        file="scratch/functional/fftconv.py",
        old="(DY * np.conj(X)).sum(axis=0)",
        new="(DY * X).sum(axis=0)",
        tests=(*_TESTS, "-k", "gradcheck"),
        why="dkernel correlates dy with x (conj of x's spectrum); without conj it convolves them",
    ),
    Mutant(
        name="fftconv-dkernel-not-summed-over-batch",
        file="scratch/functional/fftconv.py",
        old="(DY * np.conj(X)).sum(axis=0)",
        new="(DY * np.conj(X))[0]",
        tests=(*_TESTS, "-k", "matches_torch"),
        why="every sequence in the batch shares the filter, so its gradient sums over N; keeping the first "
            "example's only is right for N = 1 alone",
    ),
    Mutant(
        name="fftconv-dkernel-cropped-at-the-end",
        file="scratch/functional/fftconv.py",
        old="n=M)[..., :K]",
        new="n=M)[..., M - K:]",
        tests=(*_TESTS, "-k", "module"),
        why="lag j of the correlation sits at index j of irfft's output (negative lags wrap to the end): the "
            "kernel's gradient is the first K samples, not the last",
    ),
]
