#!/usr/bin/env bash
# Runs numpy_peer.py align for two checkouts of SynAlign alternately (A, B, A, B, ...) on the same
# data, so a before/after comparison comes from one run on this shared machine.
#   benchmarks/peer/side-by-side.sh OLD_CHECKOUT NEW_CHECKOUT DATA_DIR [ROUNDS] [-- align flags]
# Each checkout's own ./synalign launcher (and jar) is used; the align flags go to both sides,
# e.g. -- --max-weight-ratio 1000000 (NumPy then gets the same cap).
set -euo pipefail
old="$1" new="$2" data="$3"
shift 3
rounds=2
if [[ $# -gt 0 && "$1" != "--" ]]; then
  rounds="$1"
  shift
fi
[[ "${1:-}" == "--" ]] && shift
ratio=10
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ "${args[$i]}" == "--max-weight-ratio" ]] && ratio="${args[$((i + 1))]}"
done
for ((round = 1; round <= rounds; round++)); do
  for side in old new; do
    dir="$old"
    [[ $side == new ]] && dir="$new"
    echo "== $side ($dir), round $round, load $(cut -d' ' -f1 /proc/loadavg)"
    python3 "$dir/benchmarks/peer/numpy_peer.py" align --data "$data" --max-weight-ratio "$ratio" \
      -- "${args[@]}" | tail -7
  done
done
