#!/bin/sh
# Review 22: what synalign-cli's compile-scope slf4j-simple and its root simplelogger.properties do
# to a host application that logs through SLF4J with its own binding (log4j2 here).
# Run from review22/ after `mvn -B -o -q test-compile -pl src -am` in the clone.
R=~/.m2/repository
L4J="$R/org/apache/logging/log4j/log4j-slf4j2-impl/2.24.3/log4j-slf4j2-impl-2.24.3.jar:$R/org/apache/logging/log4j/log4j-core/2.24.3/log4j-core-2.24.3.jar:$R/org/apache/logging/log4j/log4j-api/2.24.3/log4j-api-2.24.3.jar"
API=$R/org/slf4j/slf4j-api/2.0.20/slf4j-api-2.0.20.jar
SIMPLE=$R/org/slf4j/slf4j-simple/2.0.20/slf4j-simple-2.0.20.jar
mkdir -p classes && javac -d classes -cp $API src/HostLogging.java
echo "== host alone (log4j2)"; java -cp classes:$API:$L4J HostLogging 2>&1
echo "== host + synalign-cli (its classes + slf4j-simple before log4j)"; java -cp classes:../src/target/classes:$API:$SIMPLE:$L4J HostLogging 2>&1
echo "== host + synalign-cli (log4j first)"; java -cp classes:../src/target/classes:$API:$L4J:$SIMPLE HostLogging 2>&1
