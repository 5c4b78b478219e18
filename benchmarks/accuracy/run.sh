#!/bin/bash
# run.sh NAME n m d kind [sf] [scale]: make case, run nd4j harness (JAR), compare
name=$1; shift
python3 $(dirname $0)/mkcase.py /tmp/acc26/c/$name "$@" >/dev/null
(java -Xmx8g -cp ${JAR:-/tmp/acc26/old.jar}:. Acc /tmp/acc26/c/$name ${WHAT:-all} 2>&1 | grep -v 'INFO\|WARN' | grep -v '^$' | grep diag)
echo "== $name $*"; python3 $(dirname $0)/cmp.py /tmp/acc26/c/$name
