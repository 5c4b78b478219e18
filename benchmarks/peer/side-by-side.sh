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
# The cap goes to numpy_peer.py, which gives it to both sides; the other flags go to synalign.
ratio=10
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --max-weight-ratio) ratio="$2"; shift 2 ;;
    --max-weight-ratio=*) ratio="${1#*=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
for ((round = 1; round <= rounds; round++)); do
  for side in old new; do
    dir="$old"
    [[ $side == new ]] && dir="$new"
    side_args=("${args[@]}")
    # A checkout from before the peer passed its cap to synalign (3e41744) needs it here.
    if ! grep -q 'same cap on both sides' "$dir/benchmarks/peer/numpy_peer.py"; then
      side_args+=(--max-weight-ratio "$ratio")
    fi
    echo "== $side ($dir), round $round, load $(cut -d' ' -f1 /proc/loadavg)"
    python3 "$dir/benchmarks/peer/numpy_peer.py" align --data "$data" --max-weight-ratio "$ratio" \
      -- "${side_args[@]}" | tail -7
  done
done
