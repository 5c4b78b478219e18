#!/usr/bin/env bash
# jar-side-by-side.sh OLD.jar NEW.jar DATA [align options...]
#
# Runs `synalign align` of two builds on the same embeddings (DATA/R.npy, DATA/S.npy, as written
# by `numpy_peer.py make-data`) with the same options, then scores both weight vectors with the
# peer's independent float64 MMD^2 (numpy_peer.exact_mmd2) at each run's own bandwidth.
# Example (nystrom before and after a change):
#   benchmarks/peer/jar-side-by-side.sh old.jar src/target/synalign.jar /tmp/peer-3k \
#       --method nystrom --features 1024 --backend nd4j
set -euo pipefail
old_jar=$1 new_jar=$2 data=$3
shift 3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for v in old new; do
  jar=$old_jar; [[ $v == new ]] && jar=$new_jar
  /usr/bin/time -f "%e s wall, %M KB peak" -o "$out/$v.time" \
    java -Xmx8g -jar "$jar" align --real-embeddings "$data/R.npy" \
      --synthetic-embeddings "$data/S.npy" --out "$out/w-$v.npy" --summary "$out/s-$v.json" \
      --quiet "$@" > "$out/$v.out"
  echo "$v: $(cat "$out/$v.time"); $(grep iterations "$out/$v.out")"
done
python3 - "$data" "$out" "$here" <<'PY'
import json, sys
import numpy as np
data, out, here = sys.argv[1:4]
sys.path.insert(0, here)
from numpy_peer import exact_mmd2
real, synthetic = np.load(data + "/R.npy"), np.load(data + "/S.npy")
score = {}
for v in ("old", "new"):
    sigma = json.load(open(f"{out}/s-{v}.json"))["bandwidth"]
    score[v] = exact_mmd2(real, synthetic, np.load(f"{out}/w-{v}.npy"), sigma)
    print(f"{v}: float64 MMD^2 {score[v]:.6e} (sigma {sigma:.6g})")
print(f"new / old: {score['new'] / score['old']:.4f}")
PY
