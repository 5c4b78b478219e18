#!/usr/bin/env bash
# RFF alignment at scale: wall time and peak memory (max RSS of the whole JVM process, heap and
# ND4J off-heap together) of `synalign align --method rff` for growing numbers of synthetic rows
# against a fixed real set, to check that time grows linearly in n and peak memory stays bounded.
#
# Usage: benchmarks/rff-scaling.sh [REAL_ROWS] [SYNTHETIC_ROWS...]
#   default: 100000 real rows, 125000 250000 500000 1000000 synthetic rows, d = 384
# Data (seeded, unit-norm clustered rows) goes to $RFF_DATA (default /tmp/synalign-rff), several GB.
set -euo pipefail
cd "$(dirname "$0")/.."
real=${1:-100000}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(125000 250000 500000 1000000)
data=${RFF_DATA:-/tmp/synalign-rff}
iterations=${RFF_ITERATIONS:-100}
mkdir -p "$data"
mvn -B -q -DskipTests package -pl src -am >&2

printf '%-10s %-10s %-8s %-10s %-12s %-12s %-14s %s\n' synthetic real features iters wall_s engine_s s_per_iter peak_rss_gib
for n in "${sizes[@]}"; do
  dir="$data/$n-$real"
  if [ ! -f "$dir/S.npy" ]; then
    python3 benchmarks/peer/numpy_peer.py make-data --synthetic "$n" --real "$real" --dim 384 --out "$dir" >&2
  fi
  log=$(mktemp)
  /usr/bin/time -v ./synalign align --real-embeddings "$dir/R.npy" --synthetic-embeddings "$dir/S.npy" \
      --out "$dir/w.npy" --summary "$dir/summary.json" --method rff --iterations "$iterations" \
      --tolerance 1e-12 --quiet >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
  rss_kib=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
  wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$log")
  python3 - "$dir/summary.json" "$n" "$real" "$rss_kib" "$wall" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n, m, rss, wall = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
parts = [float(p) for p in wall.split(":")]
secs = parts[-1] + 60 * (parts[-2] if len(parts) > 1 else 0) + 3600 * (parts[-3] if len(parts) > 2 else 0)
print(f"{n:<10} {m:<10} {s.get('features', '-')!s:<8} {s['iterations']:<10} {secs:<12.1f} {s['seconds']:<12.1f} "
      f"{s['seconds'] / max(1, s['iterations']):<14.3f} {rss / 2**20:.2f}")
PY
  rm -f "$log"
done
