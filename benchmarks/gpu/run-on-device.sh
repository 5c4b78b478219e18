#!/usr/bin/env bash
# Runs on the GPU device machine, from the folder package.sh filled (benchmarks/gpu/out):
#   1. finds the CUDA 13 libraries (libcuda from the driver; libcudart.so.13, libcublas.so.13,
#      libnvrtc.so.13 from /usr/local/cuda or PyTorch's nvidia-* wheels) and prints the device;
#   2. the GPU test suite: every cuda op against the double-precision reference (relative error
#      <= 1e-5, FP32), the provider, the no-GPU checks, and align/select end to end against the
#      CPU (reference) backend;
#   3. the benchmarks: fused K w vs cuBLAS SGEMM (CudaProductBench), align 200,000 x 20,000 x 384 for 100
#      iterations on --backend cuda, the PyTorch peer on the same GPU and inputs, and rff with
#      5 * 10^6 synthetic rows (10^7 x 384 does not fit one FloatMatrix, see below).
# Everything it prints goes to stdout and to $OUT/device-run.log (when $OUT is set).
# Usage: ./run-on-device.sh [tests|bench|all]   (default all)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-all}"
java="$here/runtime/bin/java"
log="${OUT:-$here}/device-run.log"
work="${TMPDIR:-/tmp}/synalign-gpu"
mkdir -p "$work"
exec > >(tee -a "$log") 2>&1

# CUDA 13 user-space libraries: the toolkit if present, else the pip wheels next to torch.
libdirs=()
for d in /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64; do
  [[ -d "$d" ]] && libdirs+=("$d")
done
site="$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)"
for s in $site; do
  for d in "$s"/nvidia/*/lib "$s"/nvidia/cu13/lib; do
    [[ -d "$d" ]] && libdirs+=("$d")
  done
done
export LD_LIBRARY_PATH="$(IFS=:; echo "${libdirs[*]:-}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
for lib in libcuda.so.1 libcudart.so.13 libcublas.so.13 libnvrtc.so.13; do
  found="$(ldconfig -p 2>/dev/null | grep -m1 " $lib " | awk '{print $NF}')"
  if [[ -z "$found" ]]; then
    for d in "${libdirs[@]:-}"; do [[ -e "$d/$lib" ]] && found="$d/$lib" && break; done
  fi
  echo "  $lib: ${found:-NOT FOUND}"
done
"$java" -version 2>&1 | head -1

jopts=(-Xmx24g -Dsynalign.cuda.cacheDir="$work/module-cache")
status=0

run_tests() {
  echo "== GPU tests"
  "$java" "${jopts[@]}" -jar "$here/junit-console.jar" execute \
    --class-path "$here/tests.jar:$here/synalign-gpu.jar" \
    --select-class io.synalign.kernels.CudaBackendTest \
    --select-class io.synalign.kernels.cuda.CudaBackendProviderTest \
    --select-class io.synalign.kernels.cuda.KernelSourcesTest \
    --select-class io.synalign.kernels.cuda.KernelArgsTest \
    --select-class io.synalign.kernels.cuda.ModuleCacheTest \
    --select-class io.synalign.kernels.cuda.DeviceTilesTest \
    --select-class io.synalign.engine.CudaMatchesCpuTest \
    --details=tree --disable-banner || status=1
}

summary() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in r if not isinstance(r[k], (dict, list))})' "$1" || status=1
}

run_bench() {
  echo "== fused K w vs cuBLAS SGEMM (d = 384; target: >= 60 % of the SGEMM rate)"
  "$java" "${jopts[@]}" -cp "$here/synalign-gpu.jar" io.synalign.kernels.cuda.CudaProductBench \
    20000 20000 384 20 || status=1

  echo "== data: 200,000 synthetic x 20,000 real x 384"
  python3 "$here/torch_peer.py" make-data --synthetic 200000 --real 20000 --dim 384 --out "$work/peer" || status=1

  echo "== align --backend cuda, tiled, 100 iterations (target: within 15 s)"
  time "$java" "${jopts[@]}" -jar "$here/synalign-gpu.jar" align --backend cuda -v \
    --method tiled --iterations 100 --tolerance 1e-300 \
    --real-embeddings "$work/peer/R.npy" --synthetic-embeddings "$work/peer/S.npy" \
    --out "$work/w.npy" --summary "$work/summary.json" || status=1
  summary "$work/summary.json"

  echo "== PyTorch peer, same GPU, same inputs (target: synalign >= 1.5x faster)"
  SYNALIGN_CMD="$java ${jopts[*]} -jar $here/synalign-gpu.jar" \
    python3 "$here/torch_peer.py" align --data "$work/peer" --iterations 100 -- --method tiled || status=1

  # 10^7 x 384 floats exceed one Java array (FloatMatrix holds at most 2^31 values, 5.59 M rows
  # at d = 384), so the largest rff run the current SPI can take is 5 M rows; 10^7 needs the
  # synthetic rows streamed into the feature operator in chunks (an SPI change).
  echo "== rff with 5,000,000 synthetic rows x 384, D = 1024 (the 10^7 target needs chunked input)"
  python3 "$here/torch_peer.py" make-data --synthetic 5000000 --real 20000 --dim 384 --out "$work/rff" || status=1
  time "$java" -Xmx100g -Dsynalign.cuda.cacheDir="$work/module-cache" -jar "$here/synalign-gpu.jar" \
    align --backend cuda -v --method rff --features 1024 --iterations 100 \
    --real-embeddings "$work/rff/R.npy" --synthetic-embeddings "$work/rff/S.npy" \
    --out "$work/w-rff.npy" --summary "$work/summary-rff.json" || status=1
  summary "$work/summary-rff.json"
}

case "$what" in
  tests) run_tests ;;
  bench) run_bench ;;
  all) run_tests; run_bench ;;
  *) echo "usage: $0 [tests|bench|all]" >&2; exit 2 ;;
esac
echo "== done, status $status"
exit "$status"
