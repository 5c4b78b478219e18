#!/usr/bin/env bash
# Same `align` command, same --seed, under simulated core counts; writes OUT/<method>-<backend>/<config>/{w.npy,s.json}
# and compares every config against "c2" (this 2-core machine, defaults).
# Usage: align-cores.sh JAR R.npy S.npy OUT [methods] [backends]
set -u
JAR=$1 R=$2 S=$3 OUT=$4
METHODS=${5:-"exact tiled rff nystrom auto"}
BACKENDS=${6:-"reference nd4j"}
HERE=$(cd "$(dirname "$0")" && pwd)
declare -A CFG=(
  [c2]="env"                                                         # this machine: 2 cores
  [jvm1]="env java -XX:ActiveProcessorCount=1"                       # JVM sees 1 core, OpenBLAS/libnd4j 2
  [jvm16]="env java -XX:ActiveProcessorCount=16"                     # JVM sees 16, natives 2
  [fj1]="env java -Djava.util.concurrent.ForkJoinPool.common.parallelism=1"
  [omp1]="env OMP_NUM_THREADS=1 java -XX:ActiveProcessorCount=1"     # a 1-core machine (JVM and natives)
  [omp16]="env OMP_NUM_THREADS=16 java -XX:ActiveProcessorCount=16"  # a 16-core machine (JVM and natives)
)
for m in $METHODS; do for b in $BACKENDS; do
  for c in c2 jvm1 jvm16 fj1 omp1 omp16; do
    d=$OUT/$m-$b/$c; mkdir -p "$d"
    launcher=${CFG[$c]}; [ "$c" = c2 ] && launcher="env java"
    $launcher -jar "$JAR" align --real-embeddings "$R" --synthetic-embeddings "$S" --out "$d/w.npy" \
      --summary "$d/s.json" --method "$m" --backend "$b" --seed 3 -q >"$d/log" 2>&1; echo "rc $?" >>"$d/log"
  done
  echo "== align --method $m --backend $b"
  for c in jvm1 jvm16 fj1 omp1 omp16; do
    echo -n "$c w.npy: "; python3 "$HERE/cmpout.py" "$OUT/$m-$b/c2/w.npy" "$OUT/$m-$b/$c/w.npy" | sed 's/^[^:]*: //'
    echo -n "$c s.json: "; python3 "$HERE/cmpout.py" "$OUT/$m-$b/c2/s.json" "$OUT/$m-$b/$c/s.json" | sed 's/^[^:]*: //'
  done
done; done
