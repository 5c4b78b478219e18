#!/usr/bin/env bash
# Runs on the GPU device machine, from the folder package.sh filled (benchmarks/gpu/out), as one
# call of at most BUDGET_S seconds (default 540: give the device call timeout_s=590, so that the
# script's own step timeouts fire first and its summary is written; the device tool stops a
# command at 600 s). Every step runs under its own `timeout`, cut to what is left of the budget;
# a step that cannot start with 32 s left (20 s for itself) is skipped and said so. A session
# has 15 minutes of device time in all, start included: after `all`, a second call gets what is
# left, e.g. `BUDGET_S=<seconds left - 60> bash benchmarks/gpu/out/run-on-device.sh tests` (if
# the tests were skipped) or `... stream` / `... huge`, with timeout_s = BUDGET_S + 40.
# The call must carry benchmarks/gpu/out (it is git-ignored). The steps, most valuable first:
#   1. finds the CUDA 13 libraries (libcuda from the driver; libcudart.so.13, libcublas.so.13,
#      libnvrtc.so.13 from /usr/local/cuda or PyTorch's nvidia-* wheels) and prints the device;
#   2. the benchmark rows of issue 11 (docs/PERFORMANCE.md, "GPU-resident alignment"):
#      a. align 16,000 x 4,000 x 384, defaults                       target <= 0.3 s in the engine
#         (also the probe: if cuda is unusable here, it exits 2, and only the tests run after it,
#         for their diagnosis)
#      b. align 200,000 x 20,000 x 384, 100 iterations, beside the PyTorch peer (same algorithm,
#         FP32 tiled recompute), both scored in float64   target <= 5 s in the engine, >= 15x the
#         peer, MMD^2 <= 1.01 x the peer's; then the same with --kernel-storage fp16 (opt-in:
#         half the bytes per product; its accuracy cost is in docs/PERFORMANCE.md)
#      c. align --method rff 2,000,000 x 20,000 x 384, D = 1,024, 100 iterations
#                                                                    target <= 2 s in the engine
#   3. the GPU test suite: every cuda op and device vector operation against the float64
#      reference, the kept fp32/fp16 triangle, the projection against the sort-based walk, the
#      provider, and align/select end to end against the CPU backend;
#   4. d. fused K w vs cuBLAS SGEMM (CudaProductBench), short;
#   5. the benchmark row of issue 12 (docs/PERFORMANCE.md, "Rows beyond one array"):
#      e. align --method rff 10,000,000 x 20,000 x 384 (a 15.4 GB .npy, streamed from the
#         mapped file), D = 1,024, 100 iterations                   target <= 30 s wall
#      f. (mode huge, a call of its own) the same at 100,000,000 rows: the 10^7-row file of e
#         given as 10 shards (one 154 GB .npy would not fit this machine's 64 GiB disk), 3
#         iterations; Phi_S (410 GB in fp32) cannot be kept, so most of it is recomputed in
#         every pass                                      target: runs; time per pass stated
# Everything it prints goes to stdout and to $OUT/device-run.log (when $OUT is set); the summary
# JSON of every align run is copied to $OUT too, with steps.tsv (every step's exit status and
# seconds) and results.md (the rows against their targets, printed at the end). Data sets are kept in $TMPDIR/synalign-gpu and
# reused by a later call on the same (warm) machine; summaries are not.
# Usage: ./run-on-device.sh [all|tests|bench|stream|huge]   (default all: every step above but
# f; bench is 2 and 4, stream is 5e, huge is 5f)
# BENCH_SCALE=100 divides every benchmark size by 100 (a rehearsal of the script's logic on a
# machine without a GPU: the cuda steps then fail with exit status 2, the rest must run;
# BENCH_FORCE=1 goes on past a failed probe).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-all}"
deadline=$((SECONDS + ${BUDGET_S:-540}))
[[ -n "${OUT:-}" ]] && mkdir -p "$OUT"
log="${OUT:-$here}/device-run.log"
work="${TMPDIR:-/tmp}/synalign-gpu"
mkdir -p "$work"
# A package made before the last edit of this script or a peer would run the old copies (the
# device runs what package.sh put in out/): stop at once, before any device time is spent.
stale=()
[[ -f "$here/../run-on-device.sh" ]] && ! cmp -s "$here/run-on-device.sh" "$here/../run-on-device.sh" \
  && stale+=(run-on-device.sh)
[[ -f "$here/../source-list.sh" ]] && ! cmp -s "$here/source-list.sh" "$here/../source-list.sh" \
  && stale+=(source-list.sh)
for f in numpy_peer.py torch_peer.py; do
  [[ -f "$here/../../peer/$f" ]] && ! cmp -s "$here/$f" "$here/../../peer/$f" && stale+=("$f")
done
# The jars: built from the sources SOURCES.sha256 lists (package.sh); an edit since then means
# the run would measure older code.
if [[ -f "$here/SOURCES.sha256" && -d "$here/../../../kernels" ]] \
    && ! (cd "$here/../../.." && sha256sum -c --quiet "$here/SOURCES.sha256" >/dev/null 2>&1); then
  stale+=("the sources the jars were built from (SOURCES.sha256)")
fi
# A main source added (or removed) since packaging: the list differs.
if [[ -f "$here/SOURCES.list" && -f "$here/source-list.sh" && -d "$here/../../../kernels" ]]; then
  . "$here/source-list.sh"
  if ! (cd "$here/../../.." && source_list) | cmp -s - "$here/SOURCES.list"; then
    stale+=("the list of main sources (SOURCES.list: a file added or removed)")
  fi
fi
if (( ${#stale[@]} )); then
  echo "STALE PACKAGE: ${stale[*]} in $here differ(s) from the working tree; run benchmarks/gpu/package.sh again" | tee "${OUT:-$here}/device-run.log"
  exit 3
fi
# A summary left by an earlier call must not pass for this call's.
rm -f "$work"/summary-*.json "$work"/w-*.npy "$work"/junit-*.txt
steps="${OUT:-$work}/steps.tsv"   # name, exit status, seconds of every step that ran
: > "$steps"
exec > >(tee -a "$log") 2>&1
tee_pid=$!
# Python's output reaches the log line by line, also from a step that is killed.
export PYTHONUNBUFFERED=1

# CUDA 13 user-space libraries: the toolkit if present, else the pip wheels next to torch.
libdirs=()
for d in /usr/local/nvidia/lib64 /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64; do
  [[ -d "$d" ]] && libdirs+=("$d")
done
site="$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)"
for s in $site; do
  for d in "$s"/nvidia/*/lib "$s"/nvidia/cu13/lib; do
    [[ -d "$d" ]] && libdirs+=("$d")
  done
done
# For Java only (a wrapper, below): PyTorch finds its own CUDA libraries, and the toolkit's put
# ahead of them on LD_LIBRARY_PATH could replace them.
jlib="$(IFS=:; echo "${libdirs[*]:-}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
java="$work/java"
printf '#!/usr/bin/env bash\nLD_LIBRARY_PATH=%q exec %q "$@"\n' "$jlib" "$here/runtime/bin/java" > "$java"
chmod +x "$java"
python3 -c 'import numpy' 2>/dev/null || echo "  python3: NumPy NOT importable (the data steps will fail)"
python3 -c 'import torch' 2>/dev/null || echo "  python3: PyTorch NOT importable (row b's peer will fail)"
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
# The GPU's name goes into results.md too: on anything but an H200 (an H100 has 80 GB), auto may
# keep K in fp16 where the H200 keeps fp32, and the targets are the H200's.
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null \
  | tee "${OUT:-$work}/gpu.txt" | grep -q . || echo "nvidia-smi: not available"
for lib in libcuda.so.1 libcudart.so.13 libcublas.so.13 libnvrtc.so.13; do
  found="$(ldconfig -p 2>/dev/null | grep -m1 -E "^[[:space:]]+${lib//./\\.} " | awk '{print $NF}')"
  if [[ -z "$found" ]]; then
    for d in "${libdirs[@]:-}" /usr/lib/x86_64-linux-gnu /usr/lib64; do
      [[ -e "$d/$lib" ]] && found="$d/$lib" && break
    done
  fi
  echo "  $lib: ${found:-NOT FOUND}"
done
"$java" -version 2>&1 | head -1

jopts=(-Xmx24g -Dsynalign.cuda.cacheDir="$work/module-cache")
status=0

# other_skips REPORT: whether a JUnit console report has skipped or aborted tests. Every one
# fails the run: session 27's one known gap (cuda's flat kernels, whose contract tests skipped
# cuda by name) is mended (session 28), so no reason is excused any more. grep reads the file
# itself, not a pipe (a pipe into grep -q once passed a failed run under pipefail, review 27).
other_skips() {
  grep -q -E "\[ +[1-9][0-9]* tests (skipped|aborted)" "$1"
}

# run_tests NAME SECONDS [JAVA_OPTION...] -- TEST_CLASS...: the JUnit console on the package's
# test classes; then the counts, and the reasons of skipped or aborted tests (a GPU test whose
# assumption fails here, "cuda backend unavailable", tested nothing), which fail the run.
run_tests() {
  local name="$1" limit="$2" opts=() classes=()
  shift 2
  while [[ $# -gt 0 && "$1" != "--" ]]; do opts+=("$1"); shift; done
  shift
  for c in "$@"; do classes+=(--select-class "$c"); done
  local report="$work/junit-${name// /-}.txt"
  rm -f "$report"
  # A pipe, not a process substitution: the report is complete when the step returns.
  step "$limit" "$name" bash -c 'r="$1"; shift; "$@" 2>&1 | tee "$r"; exit "${PIPESTATUS[0]}"' \
    _ "$report" "$java" "${jopts[@]}" ${opts[@]+"${opts[@]}"} -jar "$here/junit-console.jar" execute \
    --class-path "$here/tests.jar:$here/synalign-gpu.jar" "${classes[@]}" \
    --details=tree --disable-banner --disable-ansi-colors
  if [[ -f "$report" ]]; then
    grep -E "tests (successful|failed|skipped|aborted)" "$report" | sed "s/^/   $name: /"
    # JUnit counts a failed assumption as aborted, a @Disabled test as skipped.
    if other_skips "$report"; then
      echo "   $name: TESTS SKIPPED OR ABORTED, reasons:"
      grep -o -E "(skipped|Assumption failed)[^]]*" "$report" | sort | uniq -c | sort -rn | head -8
      status=1
    fi
  fi
}

gpu_test_classes=(
  io.synalign.kernels.CudaBackendTest
  io.synalign.kernels.CudaVectorOpsTest
  io.synalign.kernels.cuda.CudaBackendProviderTest
  io.synalign.kernels.cuda.KernelSourcesTest
  io.synalign.kernels.cuda.KernelArgsTest
  io.synalign.kernels.cuda.ModuleCacheTest
  io.synalign.kernels.cuda.DeviceTilesTest
  io.synalign.kernels.cuda.HostCopyTest
  io.synalign.engine.CudaMatchesCpuTest
)

run_gpu_tests() {
  run_tests "GPU tests" 180 -- "${gpu_test_classes[@]}"
  # Again with 1 MiB device tiles and 64 KiB staging chunks: on this GPU's memory every test
  # shape is otherwise one tile, one band and one chunk, and the multi-tile paths (stream
  # tiles, operator tiles, bands of the kept triangle, double-buffered features, chunked
  # uploads and reads) would go unrun.
  run_tests "GPU tests, small tiles" 150 -Dsynalign.cuda.maxTileBytes=1048576 \
    -Dsynalign.cuda.stagingChunkBytes=65536 -- io.synalign.kernels.CudaBackendTest \
    io.synalign.kernels.CudaVectorOpsTest io.synalign.engine.CudaMatchesCpuTest
}

summary() {
  if [[ ! -f "$1" ]]; then
    echo "   (no summary: $1 was not written)"; status=1; return 1
  fi
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: r[k] for k in r if not isinstance(r[k], (dict, list))})' "$1" || status=1
}

# step SECONDS NAME COMMAND...: runs COMMAND under `timeout` (SECONDS, or what is left of the
# call's budget), prints its wall time, returns its exit status, and marks the run failed (but
# goes on) when it fails or times out. Skipped (status 125) when it would get less than 20 s
# (12 s of what is left are kept for `timeout`'s kill and the lines after it).
step() {
  local limit="$1" name="$2"
  shift 2
  local left=$((deadline - SECONDS - 12))
  if (( left < 20 )); then
    echo "== $name: SKIPPED, $((deadline - SECONDS)) s of the call's budget left (a step needs 32)"
    printf '%s\tskipped\t0\n' "${name%% (*}" >> "$steps"
    status=1
    return 125
  fi
  (( limit > left )) && limit=$left
  echo "== $name (limit ${limit} s)"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  echo "-- $name: exit $rc after $((SECONDS - t0)) s"
  printf '%s\t%s\t%s\n' "${name%% (*}" "$rc" "$((SECONDS - t0))" >> "$steps"
  [[ $rc -eq 0 ]] || status=1
  return $rc
}

# data NAME SYNTHETIC REAL SECONDS: the peers' synthetic/real set (dimension 384, scaled by
# BENCH_SCALE) in $work/NAME, made once: a set a finished step wrote is reused by later calls.
data() {
  local name="$1" synthetic=$(($2 / scale)) real=$(($3 / scale)) limit="$4"
  # The marker names the generator's version: a set from another make-data is made again.
  local done="$work/$name/complete-v2-$synthetic-$real"
  if [[ -f "$done" ]]; then
    echo "== data $name: $synthetic x $real x 384 reused from an earlier call"
    return 0
  fi
  rm -rf "${work:?}/$name"
  step "$limit" "data $name: $synthetic x $real x 384" python3 "$here/numpy_peer.py" make-data \
    --synthetic "$synthetic" --real "$real" --dim 384 --out "$work/$name" && touch "$done"
}

# keep NAME: the summary JSON of an align run, printed and copied to $OUT.
keep() {
  summary "$work/summary-$1.json" && cp "$work/summary-$1.json" "${OUT:-$work}/" 2>/dev/null
}

scale="${BENCH_SCALE:-1}"
align=("$java" "${jopts[@]}" -jar "$here/synalign-gpu.jar" align --backend cuda -v)
# Rows c and e: rff, D = 1,024, 100 iterations; a larger heap for millions of rows' vectors.
# maxPhysicalBytes=0: JavaCPP's check of the process's resident size would count the pages of
# every mapping of the (sharded, in f) input file, up to 10 x 15.4 GB, and refuse allocations.
rff_base=("$java" -Xmx64g -Dorg.bytedeco.javacpp.maxPhysicalBytes=0
  -Dsynalign.cuda.cacheDir="$work/module-cache" -jar
  "$here/synalign-gpu.jar" align --backend cuda -v --method rff --features 1024
  --tolerance 1e-300)
rff_align=("${rff_base[@]}" --iterations 100)

# a. Also the probe: exit 2 means cuda is unusable here (the reason is in its output).
run_probe() {
  data peer16k 16000 4000 60 || return 1
  step 60 "a. align 16,000 x 4,000 x 384, defaults (target <= 0.3 s in the engine)" \
    "${align[@]}" --real-embeddings "$work/peer16k/R.npy" \
    --synthetic-embeddings "$work/peer16k/S.npy" --out "$work/w-16k.npy" \
    --summary "$work/summary-16k.json"
  local rc=$?
  keep 16k
  if [[ $rc -eq 2 && -z "${BENCH_FORCE:-}" ]]; then
    echo "== cuda is not usable here (exit 2 above): the other benchmark steps are skipped"
    return 2
  fi
  return 0
}

run_bench_rows() {
  if data peer 200000 20000 60; then
    step 300 "b. align 200,000 x 20,000 x 384, 100 iterations, vs PyTorch FP32 tiled (targets: <= 5 s in the engine, >= 15x, MMD^2 <= 1.01 x)" \
      env SYNALIGN_CMD="$java ${jopts[*]} -jar $here/synalign-gpu.jar" \
      python3 "$here/torch_peer.py" align --data "$work/peer" --iterations 100 \
      --summary-out "${OUT:-$work}/peer-200k.json"
    # Row b's bandwidth (the peer's median heuristic), so that b' is the same problem.
    local sigma
    sigma=$(python3 -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["bandwidth"]))' \
      "${OUT:-$work}/peer-200k.json" 2>/dev/null) || sigma=""
    step 60 "b'. the same align with --kernel-storage fp16 (opt-in)" \
      "${align[@]}" --real-embeddings "$work/peer/R.npy" --synthetic-embeddings "$work/peer/S.npy" \
      --iterations 100 --tolerance 1e-300 --kernel-storage fp16 ${sigma:+--bandwidth "$sigma"} \
      --out "$work/w-200k-fp16.npy" --summary "$work/summary-200k-fp16.json"
    keep 200k-fp16
    # The fp16 run reports its own objective on the fp16 K: scored here in float64, as row b.
    if [[ -n "$sigma" && -f "$work/w-200k-fp16.npy" ]]; then
      step 60 "b''. float64 MMD^2 of the fp16 weights" \
        python3 "$here/torch_peer.py" score --data "$work/peer" --weights "$work/w-200k-fp16.npy" \
        --bandwidth "$sigma" --out "${OUT:-$work}/score-200k-fp16.json"
    fi
  fi
  if data rff 2000000 20000 90; then
    step 90 "c. align --method rff 2,000,000 x 20,000 x 384, D = 1,024, 100 iterations (target <= 2 s in the engine)" \
      "${rff_align[@]}" --real-embeddings "$work/rff/R.npy" --synthetic-embeddings "$work/rff/S.npy" \
      --out "$work/w-rff.npy" --summary "$work/summary-rff.json"
    keep rff
  fi
}

run_product_bench() {
  step 60 "d. fused K w vs cuBLAS SGEMM" "$java" "${jopts[@]}" -cp "$here/benchmarks-gpu.jar:$here/synalign-gpu.jar" \
    io.synalign.benchmarks.cuda.CudaProductBench $((20000 / scale)) $((20000 / scale)) 384 5
}

# room SECONDS NAME MODE: whether SECONDS of the call's budget are left for a long step, which
# would otherwise only be cut off; if not, says so (and which mode runs it as a call of its own)
# and marks the run failed.
room() {
  (( deadline - SECONDS >= $1 )) && return 0
  echo "== $2: SKIPPED, $((deadline - SECONDS)) s of the call's budget left (run '$0 $3' as a call of its own)"
  printf '%s\tskipped\t0\n' "$2" >> "$steps"
  status=1
  return 1
}

run_stream() {
  # Needs 45-90 s for the data on 16 cores (none when an earlier call made it) and up to 2
  # minutes for the run: not started where it could only be cut off.
  local need=220
  [[ -f "$work/rff10m/complete-v2-$((10000000 / scale))-$((20000 / scale))" ]] && need=130
  room "$need" "e. align --method rff 10,000,000 rows" stream || return
  data rff10m 10000000 20000 180 || return
  # Wall time of the whole command (JVM start, mapping, plan, features, 100 iterations).
  step 120 "e. align --method rff 10,000,000 x 20,000 x 384, D = 1,024, 100 iterations (target <= 30 s wall)" \
    "${rff_align[@]}" --real-embeddings "$work/rff10m/R.npy" --synthetic-embeddings "$work/rff10m/S.npy" \
    --out "$work/w-rff10m.npy" --summary "$work/summary-rff10m.json"
  keep rff10m
}

run_huge() {
  # The data as for e (about 30 s when missing), then up to 3 iterations over 10^8 rows: every
  # pass streams the rows of the chunks not kept (up to 154 GB) host -> device; the page cache
  # holds the one 15.4 GB file. If the step is cut off before its summary, the log's progress
  # lines (one every 5 s: chunks done of the current pass, elapsed time) give the time per pass.
  room 150 "f. align --method rff 100,000,000 rows" huge || return
  data rff10m 10000000 20000 180 || return
  local shards=() k
  for k in 0 1 2 3 4 5 6 7 8 9; do
    shards+=(--synthetic-embeddings "$work/rff10m/S.npy")
  done
  step 540 "f. align --method rff 100,000,000 x 20,000 x 384 (10 shards), D = 1,024, 3 iterations (target: runs; time per pass stated)" \
    "${rff_base[@]}" --iterations 3 --real-embeddings "$work/rff10m/R.npy" "${shards[@]}" \
    --out "$work/w-rff100m.npy" --summary "$work/summary-rff100m.json"
  keep rff100m
}

case "$what" in
  tests) run_gpu_tests ;;
  bench) run_probe && run_bench_rows; run_product_bench ;;
  stream) run_stream ;;
  huge) run_huge ;;
  all)
    if run_probe; then
      run_bench_rows; run_gpu_tests; run_product_bench; run_stream
    else
      run_gpu_tests
    fi ;;
  *) echo "usage: $0 [all|tests|bench|stream|huge]" >&2; exit 2 ;;
esac
# The rows against their targets, from the summaries and step times this call wrote.
python3 - "${OUT:-$work}" "$work" <<'PY' | tee "${OUT:-$work}/results.md"
import csv, json, os, sys
out, work = sys.argv[1], sys.argv[2]
def load(name):
    for d in (out, work):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            with open(p) as f:
                return json.load(f)
    return None
steps = {}
with open(os.path.join(out, "steps.tsv")) as f:
    for name, rc, secs in csv.reader(f, delimiter="\t"):
        # rc is "skipped" for a step the budget left no room for.
        steps[name] = (int(rc) if rc.lstrip("-").isdigit() else rc, int(secs))
gpu = "unknown"
if os.path.isfile(os.path.join(out, "gpu.txt")):
    with open(os.path.join(out, "gpu.txt")) as f:
        gpu = f.read().strip() or gpu
print(f"GPU: {gpu} (the targets are an H200's)")
print()
def verdict(ok):
    return "met" if ok else "NOT met"
rows = []
s = load("summary-16k.json")
if s:
    rows.append(("a. align 16,000 x 4,000 x 384, defaults", f"{s['seconds']:.3f} s in the engine,"
                 f" {s['iterations']} iterations, {s['backend']}, {s.get('kernel_storage')}",
                 "<= 0.3 s", verdict(s["seconds"] <= 0.3 and s["backend"] == "cuda")))
p = load("peer-200k.json")
if p and p.get("torch_seconds") is None:
    # The peer was cut off after SynAlign's side was written.
    rows.append(("b. align 200,000 x 20,000 x 384, 100 iterations",
                 f"{p['synalign_engine_seconds']:.2f} s in the engine ({p['synalign_wall_seconds']:.1f} s"
                 f" wall), MMD^2 {p['mmd2_uniform']:.4e} -> {p['mmd2_synalign']:.4e};"
                 f" {p['synalign_method']}, {p['synalign_kernel_storage']}; the torch peer did"
                 f" not finish",
                 "<= 5 s, >= 15x, ratio <= 1.01",
                 "engine " + verdict(p["synalign_engine_seconds"] <= 5) + "; peer unmeasured"))
elif p:
    speed = p["torch_seconds"] / p["synalign_engine_seconds"]
    rows.append(("b. align 200,000 x 20,000 x 384, 100 iterations",
                 f"{p['synalign_engine_seconds']:.2f} s in the engine ({p['synalign_wall_seconds']:.1f} s"
                 f" wall), torch {p['torch_seconds']:.1f} s: {speed:.1f}x; MMD^2 {p['mmd2_synalign']:.4e}"
                 f" vs {p['mmd2_torch']:.4e} ({p['mmd2_ratio']:.4f}); synalign {p['synalign_method']},"
                 f" {p['synalign_kernel_storage']}; torch K_SS"
                 f" {'kept' if p['torch_kept_kss'] else 'recomputed (tiled)'}",
                 "<= 5 s, >= 15x, ratio <= 1.01",
                 verdict(p["synalign_engine_seconds"] <= 5 and speed >= 15 and p["mmd2_ratio"] <= 1.01)))
s = load("summary-200k-fp16.json")
if s:
    q = load("score-200k-fp16.json")
    scored = (f"float64 MMD^2 {q['mmd2_weighted']:.4e}"
              + (f" ({q['mmd2_weighted'] / p['mmd2_synalign']:.4f} of row b's)"
                 if p and p.get("mmd2_synalign") else "")) if q else \
        f"its own fp16 objective {s['mmd2_weighted']:.4e} (not scored in float64)"
    rows.append(("b'. the same, K kept in fp16", f"{s['seconds']:.2f} s in the engine, {scored},"
                 f" {s.get('kernel_storage')}", "(opt-in)", "-"))
s = load("summary-rff.json")
if s:
    rows.append(("c. rff 2,000,000 x 20,000 x 384, D = 1,024, 100 iterations",
                 f"{s['seconds']:.2f} s in the engine, MMD^2 (rff) {s['mmd2_uniform']:.4e} ->"
                 f" {s['mmd2_weighted']:.4e}", "<= 2 s",
                 verdict(s["seconds"] <= 2 and s["backend"] == "cuda")))
s = load("summary-rff10m.json")
e = next((v for k, v in steps.items() if k.startswith("e. ")), None)
if s and e:
    rows.append(("e. rff 10,000,000 x 20,000 x 384, D = 1,024, 100 iterations",
                 f"{e[1]} s wall ({s['seconds']:.1f} s in the engine), peak RSS"
                 f" {s.get('peak_rss_bytes', 0) / 2**30:.1f} GiB, MMD^2 (rff)"
                 f" {s['mmd2_uniform']:.4e} -> {s['mmd2_weighted']:.4e}", "<= 30 s wall",
                 verdict(e[1] <= 30 and e[0] == 0)))
s = load("summary-rff100m.json")
f = next((v for k, v in steps.items() if k.startswith("f. ")), None)
if s and f:
    t = s["trace"]["seconds"]
    per = sorted(b - a for a, b in zip(t, t[1:]))
    median = per[len(per) // 2] if per else float("nan")
    rows.append(("f. rff 100,000,000 x 20,000 x 384 (10 shards), D = 1,024, 3 iterations",
                 f"{f[1]} s wall ({s['seconds']:.1f} s in the engine, set-up {t[0]:.1f} s), median"
                 f" {median:.1f} s per iteration (one product, two passes, plus backtracking: the"
                 f" log's products line), peak RSS {s.get('peak_rss_bytes', 0) / 2**30:.1f} GiB,"
                 f" MMD^2 (rff) {s['mmd2_uniform']:.4e} -> {s['mmd2_weighted']:.4e}",
                 "runs; time per pass stated", verdict(f[0] == 0)))
print("| row | measured | target | status |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("| step | exit | seconds |")
print("|---|---|---|")
for name, (rc, secs) in steps.items():
    print(f"| {name} | {rc} | {secs} |")
PY
echo "== done after $SECONDS s, status $status"
# Close the pipe to tee and wait for it, so that the log's last lines are written.
exec >&- 2>&-
wait "$tee_pid" 2>/dev/null
exit "$status"
