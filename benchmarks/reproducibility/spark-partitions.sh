#!/usr/bin/env bash
# The Spark job on the same JSON Lines input under local[1]/local[2] and --partitions 1/4, plus the
# CLI's `align --method rff` with the same seed; compares every record's synalign_weight.
# Usage: spark-partitions.sh CLASSPATH_FILE CLI_JAR OUT
set -u
CP=$(cat "$1") JAR=$2 OUT=$3
OPENS="-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true"
REAL=/tmp/rd/real.jsonl SYN=/tmp/rd/synth.jsonl
mkdir -p "$OUT"; rm -rf "$OUT"/*
SPARKJAR=$(dirname "$0")/../spark/target/synalign-spark-0.1.0-SNAPSHOT.jar
for run in "l1-p1:local[1]:1:" "l2-p1:local[2]:1:" "l2-p4:local[2]:4:" "l1-p4:local[1]:4:" "l2-p4-omp1:local[2]:4:OMP_NUM_THREADS=1"; do
  IFS=: read name master parts envs <<<"$run"
  env $envs java -Xmx3g $OPENS -cp "$SPARKJAR:$CP" io.synalign.spark.SynAlignSparkJob --master "$master" \
    --real $REAL --synthetic $SYN --out "$OUT/$name.jsonl" --summary "$OUT/$name-summary.json" \
    --features 256 --seed 7 --backend nd4j --partitions $parts > "$OUT/$name.log" 2>&1
  echo "$name rc $?"
  cat "$OUT/$name.jsonl"/part-* > "$OUT/$name.all.jsonl"
done
java -jar "$JAR" align --real $REAL --synthetic $SYN --out "$OUT/cli.jsonl" --summary "$OUT/cli-summary.json" \
  --method rff --features 256 --seed 7 --backend nd4j --no-cache -q > "$OUT/cli.log" 2>&1; echo "cli rc $?"
cp "$OUT/cli.jsonl" "$OUT/cli.all.jsonl"
python3 - "$OUT" <<'PY'
import json, sys, glob, os
out = sys.argv[1]
def weights(p):
    return [json.loads(l)["synalign_weight"] for l in open(p) if l.strip()]
base = weights(f"{out}/l2-p4.all.jsonl")
for p in sorted(glob.glob(f"{out}/*.all.jsonl")):
    w = weights(p)
    d = max(abs(a - b) for a, b in zip(base, w)) if len(w) == len(base) else None
    same = open(p, 'rb').read() == open(f"{out}/l2-p4.all.jsonl", 'rb').read()
    print(f"{os.path.basename(p)}: {len(w)} rows, bytes {'identical' if same else 'differ'}, max |w - w(l2-p4)| = {d}, max w {max(w):.4g}")
PY
