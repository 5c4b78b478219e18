#!/usr/bin/env bash
# Runs on the GPU device machine, from the folder package.sh filled (benchmarks/gpu/out), in at
# most about 8 minutes, every step under its own `timeout`:
#   1. finds the CUDA 13 libraries (libcuda from the driver; libcudart.so.13, libcublas.so.13,
#      libnvrtc.so.13 from /usr/local/cuda or PyTorch's nvidia-* wheels) and prints the device;
#   2. the GPU test suite: every cuda op and device vector operation against the float64
#      reference, the kept fp32/fp16 triangle, the projection against the sort-based walk, the
#      provider, and align/select end to end against the CPU backend;
#   3. the benchmark rows of issue 11 (docs/PERFORMANCE.md, "GPU-resident alignment"):
#      a. align 16,000 x 4,000 x 384, defaults                       target <= 0.3 s in the engine
#      b. align 200,000 x 20,000 x 384, 100 iterations, beside the PyTorch peer (same algorithm,
#         FP32 tiled recompute), both scored in float64   target <= 5 s in the engine, >= 15x the
#         peer, MMD^2 <= 1.01 x the peer's; then the same with --kernel-storage fp16 (opt-in:
#         half the bytes per product; its accuracy cost is in docs/PERFORMANCE.md)
#      c. align --method rff 2,000,000 x 20,000 x 384, D = 1,024, 100 iterations
#                                                                    target <= 2 s in the engine
#      d. fused K w vs cuBLAS SGEMM (CudaProductBench), short
#   4. (`stream`, a separate call: with it the worst case passes the device tool's 10-minute
#      limit per command) the benchmark row of issue 12 (docs/PERFORMANCE.md, "Rows beyond one
#      array"):
#      e. align --method rff 10,000,000 x 20,000 x 384 (a 15.4 GB .npy, streamed from the
#         mapped file), D = 1,024, 100 iterations                   target <= 30 s wall
#      (the 10^8 row needs a 154 GB .npy: more than this machine's disk; not run)
# Everything it prints goes to stdout and to $OUT/device-run.log (when $OUT is set); the summary
# JSON of every align run is copied to $OUT too.
# Usage: ./run-on-device.sh [tests|bench|stream|all]   (default all: tests and bench, not stream)
# BENCH_SCALE=100 divides every benchmark size by 100 (a rehearsal of the script's logic on a
# machine without a GPU: the cuda steps then fail with exit status 2, the rest must run).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-all}"
java="$here/runtime/bin/java"
[[ -n "${OUT:-}" ]] && mkdir -p "$OUT"
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
  echo "== GPU tests (limit 180 s)"
  timeout --kill-after=10 180 "$java" "${jopts[@]}" -jar "$here/junit-console.jar" execute \
    --class-path "$here/tests.jar:$here/synalign-gpu.jar" \
    --select-class io.synalign.kernels.CudaBackendTest \
    --select-class io.synalign.kernels.CudaVectorOpsTest \
    --select-class io.synalign.kernels.cuda.CudaBackendProviderTest \
    --select-class io.synalign.kernels.cuda.KernelSourcesTest \
    --select-class io.synalign.kernels.cuda.KernelArgsTest \
    --select-class io.synalign.kernels.cuda.ModuleCacheTest \
    --select-class io.synalign.kernels.cuda.DeviceTilesTest \
    --select-class io.synalign.engine.CudaMatchesCpuTest \
    --details=tree --disable-banner || status=1
}

summary() {
  if [[ ! -f "$1" ]]; then
    echo "   (no summary: $1 was not written)"; status=1; return 1
  fi
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in r if not isinstance(r[k], (dict, list))})' "$1" || status=1
}

# step SECONDS NAME COMMAND...: runs COMMAND under `timeout`, prints its wall time, and marks
# the run failed (but goes on) when it fails or times out.
step() {
  local limit="$1" name="$2"
  shift 2
  echo "== $name (limit ${limit} s)"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  echo "-- $name: exit $rc after $((SECONDS - t0)) s"
  [[ $rc -eq 0 ]] || status=1
}

# keep NAME: the summary JSON of an align run, printed and copied to $OUT.
keep() {
  summary "$work/summary-$1.json" && cp "$work/summary-$1.json" "${OUT:-$work}/" 2>/dev/null
}

run_bench() {
  local scale="${BENCH_SCALE:-1}"
  local align=("$java" "${jopts[@]}" -jar "$here/synalign-gpu.jar" align --backend cuda -v)
  step 60 "data: 16,000 x 4,000 x 384" python3 "$here/numpy_peer.py" make-data \
    --synthetic $((16000 / scale)) --real $((4000 / scale)) --dim 384 --out "$work/peer16k"
  step 60 "a. align 16,000 x 4,000 x 384, defaults (target <= 0.3 s in the engine)" \
    "${align[@]}" --real-embeddings "$work/peer16k/R.npy" \
    --synthetic-embeddings "$work/peer16k/S.npy" --out "$work/w-16k.npy" \
    --summary "$work/summary-16k.json"
  keep 16k

  step 90 "data: 200,000 x 20,000 x 384" python3 "$here/torch_peer.py" make-data \
    --synthetic $((200000 / scale)) --real $((20000 / scale)) --dim 384 --out "$work/peer"
  step 240 "b. align 200,000 x 20,000 x 384, 100 iterations, vs PyTorch FP32 tiled (targets: <= 5 s in the engine, >= 15x, MMD^2 <= 1.01 x)" \
    env SYNALIGN_CMD="$java ${jopts[*]} -jar $here/synalign-gpu.jar" \
    python3 "$here/torch_peer.py" align --data "$work/peer" --iterations 100 \
    --summary-out "${OUT:-$work}/peer-200k.json"
  step 60 "b'. the same align with K kept in fp16 (the default keeps fp32)" \
    "${align[@]}" --real-embeddings "$work/peer/R.npy" --synthetic-embeddings "$work/peer/S.npy" \
    --iterations 100 --tolerance 1e-300 --kernel-storage fp16 \
    --out "$work/w-200k-fp16.npy" --summary "$work/summary-200k-fp16.json"
  keep 200k-fp16

  step 150 "data: 2,000,000 x 20,000 x 384" python3 "$here/torch_peer.py" make-data \
    --synthetic $((2000000 / scale)) --real $((20000 / scale)) --dim 384 --out "$work/rff"
  step 90 "c. align --method rff 2,000,000 x 20,000 x 384, D = 1,024, 100 iterations (target <= 2 s in the engine)" \
    "$java" -Xmx64g -Dsynalign.cuda.cacheDir="$work/module-cache" -jar "$here/synalign-gpu.jar" \
    align --backend cuda -v --method rff --features 1024 --iterations 100 --tolerance 1e-300 \
    --real-embeddings "$work/rff/R.npy" --synthetic-embeddings "$work/rff/S.npy" \
    --out "$work/w-rff.npy" --summary "$work/summary-rff.json"
  keep rff

  step 60 "d. fused K w vs cuBLAS SGEMM" "$java" "${jopts[@]}" -cp "$here/benchmarks-gpu.jar:$here/synalign-gpu.jar" \
    io.synalign.benchmarks.cuda.CudaProductBench $((20000 / scale)) $((20000 / scale)) 384 5
}

run_stream() {
  local scale="${BENCH_SCALE:-1}"
  step 180 "data: 10,000,000 x 20,000 x 384 (15.4 GB)" python3 "$here/torch_peer.py" make-data \
    --synthetic $((10000000 / scale)) --real $((20000 / scale)) --dim 384 --out "$work/rff10m"
  # Wall time of the whole command (JVM start, mapping, plan, features, 100 iterations).
  step 120 "e. align --method rff 10,000,000 x 20,000 x 384, D = 1,024, 100 iterations (target <= 30 s wall)" \
    "$java" -Xmx64g -Dsynalign.cuda.cacheDir="$work/module-cache" -jar "$here/synalign-gpu.jar" \
    align --backend cuda -v --method rff --features 1024 --iterations 100 --tolerance 1e-300 \
    --real-embeddings "$work/rff10m/R.npy" --synthetic-embeddings "$work/rff10m/S.npy" \
    --out "$work/w-rff10m.npy" --summary "$work/summary-rff10m.json"
  keep rff10m
  rm -rf "$work/rff10m"
}

case "$what" in
  tests) run_tests ;;
  bench) run_bench ;;
  stream) run_stream ;;
  all) run_tests; run_bench ;;
  *) echo "usage: $0 [tests|bench|stream|all]" >&2; exit 2 ;;
esac
echo "== done, status $status"
exit "$status"
