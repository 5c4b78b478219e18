#!/usr/bin/env bash
# Spark RFF-MMD (local[N]) against the single-machine rff path on the same generated data, and
# the scaling curve (rows against time, seconds per iteration). See docs/PERFORMANCE.md.
#
# Usage: spark/bench.sh [MASTER] [BACKEND] [D_IN] [FEATURES] [ITERATIONS] [REAL] [PARTITIONS] N...
#   default: local[2] nd4j 32 256 20 10000 2 50000 100000 200000 400000
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  set -- 'local[2]' nd4j 32 256 20 10000 2 50000 100000 200000 400000
fi
cp=$(mktemp)
mvn -B -o -q test-compile dependency:build-classpath -pl spark -am -Dmdep.includeScope=test \
    -Dmdep.outputFile="$cp" >&2
opens=$(sed -n 's:.*<spark.addOpens>\(.*\)</spark.addOpens>.*:\1:p' spark/pom.xml)
# shellcheck disable=SC2086
exec java -Xmx8g $opens -Dlog4j2.configurationFile=spark/src/test/resources/log4j2-test.properties \
    -cp "spark/target/test-classes:spark/target/classes:$(cat "$cp")" \
    io.synalign.spark.SparkRffBenchmark "$@"
