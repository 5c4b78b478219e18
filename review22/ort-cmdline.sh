#!/bin/sh
# Review 22: ONNX Runtime 1.29.0 (bare, no SynAlign code) crashes the JVM at environment creation
# when the JVM's command line is long. Run from review22/ after test-compile of models.
R=/tmp/fix-review22
CP="$R/models/target/classes:$(cd $R && mvn -B -o -q dependency:build-classpath -pl models -Dmdep.outputFile=/dev/stdout)"
mkdir -p classes && javac -d classes -cp "$CP" src/BareOrtEnvironment.java
LONG=$(printf 'x%.0s' $(seq 1 6000))
java -cp "classes:$CP" BareOrtEnvironment session; echo "short command line: exit $?"
java -cp "classes:$CP" BareOrtEnvironment session "$LONG"; echo "6,000-character argument: exit $?"
echo "-cp classes:$CP" > /tmp/review22-ort.args
java @/tmp/review22-ort.args BareOrtEnvironment session; echo "class path in an argfile: exit $?"
