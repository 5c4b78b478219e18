#!/usr/bin/env bash
# RFF alignment at scale: wall time and peak memory (max RSS of the whole JVM process, heap and
# ND4J off-heap together) of `synalign align --method rff` for growing numbers of synthetic rows
# against a fixed real set, to check that time grows linearly in n and peak memory stays bounded.
#
# Usage: benchmarks/rff-scaling.sh [REAL_ROWS] [SYNTHETIC_ROWS...]
#   default: 100000 real rows, 125000 250000 500000 1000000 synthetic rows, d = 384
# Data (seeded, unit-norm clustered rows) goes to $RFF_DATA (default /tmp/synalign-rff), several GB.
# RFF_ITERATIONS (default 100) caps the iterations; RFF_FEATURE_BUDGET=BYTES caps the features kept
# between passes (0: every chunk recomputed from the file in every pass, so time per pass is the
# streamed cost); RFF_FEATURES sets D (default 1024). The plan each run states (kept chunks,
# expected peak) is printed under its row.
set -euo pipefail
cd "$(dirname "$0")/.."
real=${1:-100000}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(125000 250000 500000 1000000)
data=${RFF_DATA:-/tmp/synalign-rff}
iterations=${RFF_ITERATIONS:-100}
features=${RFF_FEATURES:-1024}
java_opts="-Xmx8g -Dorg.bytedeco.javacpp.maxbytes=8g -Dorg.bytedeco.javacpp.maxphysicalbytes=14g"
if [[ -n "${RFF_FEATURE_BUDGET:-}" ]]; then
  java_opts="$java_opts -Dsynalign.rff.featureBudget=$RFF_FEATURE_BUDGET"
fi
mkdir -p "$data"
mvn -B -q -DskipTests package -pl src -am >&2

printf '%-10s %-9s %-6s %-8s %-9s %-8s %-11s %-9s %s\n' synthetic real iters wall_s engine_s setup_s s_per_iter peak_gib 'mmd2 uniform -> weighted'
# s_per_iter: one optimiser product = two passes over the features (Phi^T w, then Phi z).
for n in "${sizes[@]}"; do
  dir="$data/$n-$real"
  if [ ! -f "$dir/S.npy" ]; then
    python3 benchmarks/peer/numpy_peer.py make-data --synthetic "$n" --real "$real" --dim 384 --out "$dir" >&2
  fi
  log=$(mktemp)
  SYNALIGN_JAVA_OPTS="$java_opts" /usr/bin/time -v ./synalign align --real-embeddings "$dir/R.npy" \
      --synthetic-embeddings "$dir/S.npy" --out "$dir/w.npy" --summary "$dir/summary.json" \
      --method rff --features "$features" --iterations "$iterations" --tolerance 1e-12 \
      >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
  rss_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
  wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$log")
  python3 - "$dir/summary.json" "$dir/w.npy" "$n" "$real" "$rss_kib" "$wall" "$iterations" <<'PY' || exit 1
import json, sys
import numpy as np
s = json.load(open(sys.argv[1]))
w = np.load(sys.argv[2])
n, m, rss, wall, want = sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
# Check the answer before reporting a time: valid weights, every iteration run, MMD^2 lowered.
problems = []
if w.shape != (int(n),) or not np.all(w >= 0) or abs(w.sum() - 1) > 1e-6:
    problems.append(f"weights invalid: shape {w.shape}, min {w.min():.3g}, sum {w.sum():.9f}")
if s["iterations"] != want:
    problems.append(f"ran {s['iterations']} iterations, asked for {want}")
if not (0 <= s["mmd2_weighted"] < s["mmd2_uniform"]):
    problems.append(f"MMD^2 {s['mmd2_uniform']:.4g} -> {s['mmd2_weighted']:.4g}")
if problems:
    sys.exit(f"rff-scaling: n={n}: " + "; ".join(problems))
parts = [float(p) for p in wall.split(":")]
secs = parts[-1] + 60 * (parts[-2] if len(parts) > 1 else 0) + 3600 * (parts[-3] if len(parts) > 2 else 0)
t = s["trace"]["seconds"]
setup = t[0]
# The first iteration also pays the Lanczos estimate of the step size (a few products):
# per-iteration time is taken from the iterations after it when there are any.
per_iter = (t[-1] - t[1]) / (len(t) - 2) if len(t) > 2 else (t[-1] - t[0]) / max(1, len(t) - 1)
print(f"{n:<10} {m:<9} {s['iterations']:<6} {secs:<8.1f} {s['seconds']:<9.1f} {setup:<8.1f} {per_iter:<11.3f} "
      f"{rss / 2**20:<9.2f} {s['mmd2_uniform']:.3e} -> {s['mmd2_weighted']:.3e} ({s['mmd_estimator']})")
PY
  grep -h "synalign: plan:" "$log" | sed 's/^/    /' || true
  rm -f "$log"
done
