#!/usr/bin/env bash
# embed / text-form align / select / test / filter, same seed, under simulated core counts.
# Outputs OUT/<config>/...; compares every config against c2 (this 2-core machine).
# Usage: text-cores.sh JAR OUT   (inputs: /tmp/rd/real.jsonl, /tmp/rd/synth.jsonl, /tmp/wauc/heldout.jsonl)
set -u
JAR=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
REAL=/tmp/rd/real.jsonl SYN=/tmp/rd/synth.jsonl HELD=/tmp/wauc/heldout.jsonl
declare -A CFG=(
  [c2]="env java"
  [jvm1]="env java -XX:ActiveProcessorCount=1"
  [jvm16]="env java -XX:ActiveProcessorCount=16"
  [fj1]="env java -Djava.util.concurrent.ForkJoinPool.common.parallelism=1"
  [omp1]="env OMP_NUM_THREADS=1 java -XX:ActiveProcessorCount=1"
  [omp16]="env OMP_NUM_THREADS=16 java -XX:ActiveProcessorCount=16"
  [cpu0]="taskset -c 0 env OMP_NUM_THREADS=1 java"   # a 1-core machine as the natives (ONNX Runtime included) see it
  [j25]="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"          # Java 25 (Temurin)
)
CONFIGS=${CONFIGS:-"c2 jvm1 jvm16 fj1 omp1 omp16 cpu0"}
for c in $CONFIGS; do
  d=$OUT/$c; rm -rf "$d"; mkdir -p "$d"; L=${CFG[$c]}
  ( cd "$d"
    $L -jar "$JAR" embed --in $SYN --out S.npy --no-cache -q
    $L -jar "$JAR" embed --in $REAL --out R.npy --no-cache -q
    $L -jar "$JAR" align --real $REAL --synthetic $SYN --out weighted.jsonl --sample 100 --sampled-out sample.jsonl \
        --summary align.json --seed 5 --backend nd4j --no-cache -q
    $L -jar "$JAR" align --real $REAL --synthetic $SYN --out weighted-ref.jsonl --summary align-ref.json --seed 5 \
        --backend reference --no-cache -q
    $L -jar "$JAR" select --embeddings S.npy --count 40 --group-size 3 --out picks.txt --groups groups.jsonl --seed 5 --backend nd4j -q
    $L -jar "$JAR" test --real $REAL --synthetic $SYN --weighted weighted.jsonl --permutations 200 --seed 5 \
        --summary test.json --backend nd4j --no-cache -q
    $L -jar "$JAR" filter --in $SYN --against $HELD --threshold 0.9 --out clean.jsonl --summary filter.json --no-cache -q
  ) > "$d.log" 2>&1
done
for c in $CONFIGS; do [ $c = c2 ] || python3 "$HERE/cmpout.py" "$OUT/c2" "$OUT/$c"; done
