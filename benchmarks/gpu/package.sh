#!/usr/bin/env bash
# Builds everything the GPU device machine needs into benchmarks/gpu/out (at most 64 MiB, the
# limit of what travels to the device), then prints the sizes and fails above the limit:
#   runtime/            a jlinked Java 17 runtime with only the modules jdeps finds in the jar
#   synalign-gpu.jar    the CLI fat jar cut down to an allow-list of what align and select on
#                       .npy with --backend cuda need (see keep below): the SynAlign classes and
#                       resources (the .cu kernel sources), picocli, Jackson, slf4j, progressbar,
#                       JLine, javacpp 1.5.13 and the bytedeco cuda API with the linux-x86_64 JNI
#                       wrappers of cudart, cuBLAS and NVRTC only (no redist: the CUDA 13 libraries
#                       come from the device's system or PyTorch's nvidia-* wheels). Everything
#                       else (ND4J, OpenBLAS, DL4J, fastutil, DJL, ONNX Runtime, llama.cpp, the
#                       bundled models, WordNet) stays out, including libraries added later. The
#                       device benchmark is io.synalign.kernels.cuda.CudaProductBench in it; the
#                       JMH benchmarks compare against ND4J, whose natives are left out.
#   tests.jar           kernels, kernels-cuda and engine test classes; junit-console.jar runs them
#   run-on-device.sh, torch_peer.py, numpy_peer.py
# Above the limit it prints the largest parts of synalign-gpu.jar and of the runtime.
# Usage: benchmarks/gpu/package.sh [--no-build]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
limit=$((64 * 1024 * 1024))
junit_console_version=1.11.4

if [[ "${1:-}" != "--no-build" ]]; then
  # -DskipTests still compiles the test classes, which tests.jar needs.
  (cd "$root" && mvn -B -q -o -DskipTests package -pl src -am)
fi

rm -rf "$out"
mkdir -p "$out"

# An allow-list rather than a deny-list: the CLI jar grows with every library the other commands
# take on (llama.cpp natives for six platforms, DL4J and fastutil pushed the deny-listed jar to
# 45 MiB), and none of them is needed here. filter_jar.py fails when a pattern matches nothing
# (a library renamed or gone), and the smoke test below fails on a class that is missing.
#   io/synalign/                 all SynAlign classes and resources: the CLI's subcommands must
#                                all load (picocli builds every one at start), kernels/cuda/*.cu
#   simplelogger.properties      the CLI's log format (warnings only, "synalign: warning:")
#   ai/djl/...Exception,         the three library classes that building the subcommands loads
#   net/sf/extjwnl/JWNLException (the ONNX encoder's loader in embed's options throws the DJL
#                                ones; WordNetSupersenseData, which demo's defaults initialise,
#                                catches JWNLException); the libraries behind them stay out
#   picocli, Jackson (--summary and the JSON outputs), slf4j-api and slf4j-simple's binding
#   progressbar, JLine           the progress bar when stderr is a terminal; JLine's native
#                                helper for linux-x86_64 only
#   javacpp                      its classes, the platform properties, libjnijavacpp for
#                                linux-x86_64 (the only one in the fat jar, but no other should come)
#   bytedeco cuda                its API classes and the JNI wrappers the cuda backend loads
#   META-INF/maven/org.bytedeco  javacpp's and cuda's pom.properties: javacpp's Loader reads
#                                the versions there and warns on every start without them
#   META-INF/services            the service files of the libraries kept: the kernel backends,
#                                Jackson's, JLine's terminal providers, slf4j 2's provider
keep=(
  io/synalign/ simplelogger.properties
  ai/djl/ModelException.class ai/djl/MalformedModelException.class net/sf/extjwnl/JWNLException.class
  picocli/ com/fasterxml/jackson/ org/slf4j/
  me/tongfei/progressbar/ 'org/jline/*.class' org/jline/utils/ org/jline/nativ/jlinenative.properties
  org/jline/nativ/Linux/x86_64/libjlinenative.so
  'org/bytedeco/javacpp/*.class' org/bytedeco/javacpp/properties/
  org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so
  'org/bytedeco/cuda/*.class' org/bytedeco/cuda/linux-x86_64/libjnicudart.so
  org/bytedeco/cuda/linux-x86_64/libjnicublas.so org/bytedeco/cuda/linux-x86_64/libjninvrtc.so
  META-INF/maven/org.bytedeco/javacpp/pom.properties META-INF/maven/org.bytedeco/cuda/pom.properties
  META-INF/services/io.synalign. META-INF/services/com.fasterxml.jackson. META-INF/services/org/jline/
  META-INF/services/org.slf4j.spi.SLF4JServiceProvider
  'META-INF/*LICENSE*' 'META-INF/*NOTICE*'
)
python3 "$here/filter_jar.py" "$root/src/target/synalign.jar" "$out/synalign-gpu.jar" keep "${keep[@]}"

# What the device run needs must be there, and no native library but those five: a pattern
# widened by mistake must not bring another platform's or another library's natives back.
for entry in org/bytedeco/cuda/global/cudart.class io/synalign/kernels/cuda/rbf.cu \
    io/synalign/kernels/cuda/CudaBackendProvider.class io/synalign/kernels/cuda/CudaProductBench.class \
    io/synalign/cli/SynAlignCommand.class org/slf4j/simple/SimpleServiceProvider.class \
    META-INF/services/org.slf4j.spi.SLF4JServiceProvider; do
  unzip -l "$out/synalign-gpu.jar" "$entry" >/dev/null || { echo "package.sh: $entry missing" >&2; exit 1; }
done
natives="$(unzip -Z1 "$out/synalign-gpu.jar" | grep -E '\.(so|dll|dylib|jnilib)(\.[0-9.]+)?$' | sort | paste -sd' ' -)"
expected="org/bytedeco/cuda/linux-x86_64/libjnicublas.so org/bytedeco/cuda/linux-x86_64/libjnicudart.so"
expected+=" org/bytedeco/cuda/linux-x86_64/libjninvrtc.so org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so"
expected+=" org/jline/nativ/Linux/x86_64/libjlinenative.so"
if [[ "$natives" != "$expected" ]]; then
  echo "package.sh: synalign-gpu.jar's native libraries are not the expected five:" >&2
  echo "  found:    $natives" >&2
  echo "  expected: $expected" >&2
  exit 1
fi
for prefix in org/nd4j/ org/deeplearning4j/ it/unimi/ de/kherud/ ai/onnxruntime/ org/bytedeco/openblas/; do
  if unzip -l "$out/synalign-gpu.jar" "$prefix*" >/dev/null 2>&1; then
    echo "package.sh: $prefix left in synalign-gpu.jar" >&2; exit 1
  fi
done

(cd "$root/kernels/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)
(cd "$root/kernels-cuda/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)
(cd "$root/engine/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)

console="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$junit_console_version/junit-platform-console-standalone-$junit_console_version.jar"
if [[ ! -f "$console" ]]; then
  (cd "$root" && mvn -B -q dependency:get \
    -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console_version")
fi
cp "$console" "$out/junit-console.jar"

# The runtime: the modules jdeps finds in the jar, less those only optional code paths reach
# (java.desktop: java.beans in Jackson and AWT in libraries' unused corners; java.sql: Jackson's
# and picocli's optional converters; java.compiler: annotation types; java.net.http: the LLM
# client of `generate`, which the device run never calls), plus jdk.unsupported (JavaCPP's
# Unsafe) and java.logging (the JUnit console). That the result is enough is checked below by
# running align, select and the no-GPU tests on it. libjvm.so is stripped of its symbol table.
derived="$(jdeps --ignore-missing-deps -q --multi-release 17 --print-module-deps "$out/synalign-gpu.jar")"
modules="$(echo "$derived,jdk.unsupported,java.logging" | tr ',' '\n' \
  | grep -v -x -E 'java.desktop|java.sql|java.compiler|java.net.http' | sort -u | paste -sd, -)"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$out/runtime"
if command -v strip >/dev/null 2>&1; then
  chmod u+w "$out/runtime/lib/server/libjvm.so"
  strip --strip-unneeded "$out/runtime/lib/server/libjvm.so"
fi
printf 'jdeps: %s\nlinked: %s\n' "$derived" "$modules" > "$out/runtime-modules.txt"

# Smoke test of the package with its own runtime, on this machine: the CLI starts (--help builds
# every subcommand, so a class the allow-list misses for embed, generate or evaluate shows here),
# align (as the device run calls it: -v, tiled and rff, --summary) and select run (on whichever
# CPU backend is left), --backend cuda either works or fails with exit status 2, and the no-GPU
# tests pass.
smoke="$(mktemp -d)"
trap 'rm -rf "$smoke"' EXIT
synalign() {
  if ! "$out/runtime/bin/java" -jar "$out/synalign-gpu.jar" "$@" >"$smoke/out.txt" 2>"$smoke/err.txt"; then
    echo "package.sh: synalign $* failed on the package:" >&2
    tail -20 "$smoke/err.txt" "$smoke/out.txt" >&2
    exit 1
  fi
  # A warning here is likely the package's doing (javacpp warned on every start when its
  # pom.properties were left out): shown, not fatal.
  grep -i 'warn' "$smoke/err.txt" | sed "s/^/smoke: $1: /" || true
}
python3 "$root/benchmarks/peer/numpy_peer.py" make-data --synthetic 200 --real 50 --dim 8 --out "$smoke" >/dev/null
synalign --help
synalign --version
synalign align --quiet --real-embeddings "$smoke/R.npy" --synthetic-embeddings "$smoke/S.npy" --out "$smoke/w.npy"
synalign align -v --method tiled --iterations 5 --tolerance 1e-300 --real-embeddings "$smoke/R.npy" \
  --synthetic-embeddings "$smoke/S.npy" --out "$smoke/w.npy" --summary "$smoke/summary.json"
synalign align -v --method rff --features 64 --iterations 5 --real-embeddings "$smoke/R.npy" \
  --synthetic-embeddings "$smoke/S.npy" --out "$smoke/w.npy" --summary "$smoke/summary-rff.json"
synalign select --quiet --embeddings "$smoke/R.npy" --count 5 --out "$smoke/picks.txt"
set +e
"$out/runtime/bin/java" -jar "$out/synalign-gpu.jar" align --quiet --backend cuda \
  --real-embeddings "$smoke/R.npy" --synthetic-embeddings "$smoke/S.npy" --out "$smoke/w2.npy" \
  2>"$smoke/cuda.err" >/dev/null
cuda_status=$?
set -e
if [[ $cuda_status -ne 0 && $cuda_status -ne 2 ]]; then
  echo "package.sh: --backend cuda exited $cuda_status: $(cat "$smoke/cuda.err")" >&2; exit 1
fi
echo "smoke: --help, align and select ran; --backend cuda exit status $cuda_status $(head -c 160 "$smoke/cuda.err")"
set +e
"$out/runtime/bin/java" -jar "$out/junit-console.jar" execute --disable-banner --details=summary \
  --class-path "$out/tests.jar:$out/synalign-gpu.jar" \
  --select-class io.synalign.kernels.cuda.KernelArgsTest \
  --select-class io.synalign.kernels.cuda.ModuleCacheTest \
  --select-class io.synalign.kernels.cuda.DeviceTilesTest \
  --select-class io.synalign.kernels.cuda.KernelSourcesTest \
  --select-class io.synalign.kernels.cuda.CudaBackendProviderTest \
  --select-class io.synalign.kernels.CudaBackendTest \
  --select-class io.synalign.engine.CudaMatchesCpuTest >"$smoke/junit.txt" 2>&1
junit_status=$?
set -e
grep -E "tests (successful|failed|skipped|aborted|found)" "$smoke/junit.txt" | sed 's/^/smoke: /'
if [[ $junit_status -ne 0 ]]; then
  echo "package.sh: the no-GPU tests failed on the package (exit status $junit_status):" >&2
  grep -v -E '^\s*$' "$smoke/junit.txt" | head -60 >&2
  exit 1
fi

cp "$here/run-on-device.sh" "$root/benchmarks/peer/torch_peer.py" "$root/benchmarks/peer/numpy_peer.py" "$out/"

echo
echo "benchmarks/gpu/out:"
du -sh "$out/runtime" "$out"/*.jar "$out"/*.sh "$out"/*.py | sed 's/^/  /'
total=$(du -sb "$out" | cut -f1)
printf '  total %d bytes = %.1f MiB (limit %d MiB)\n' "$total" "$(echo "$total / 1048576" | bc -l)" $((limit / 1048576))
"$out/runtime/bin/java" -version 2>&1 | head -1 | sed 's/^/  runtime: /'
if (( total > limit )); then
  # Say what grew: the largest parts of the jar (by package, natives one by one) and of the
  # runtime (its files, and the modules in lib/modules).
  echo >&2
  python3 "$here/filter_jar.py" report "$out/synalign-gpu.jar" 15 >&2
  echo "$out/runtime: largest files" >&2
  (cd "$out/runtime" && find . -type f -printf '%s %P\n' | sort -rn | head -8 \
    | awk '{printf "  %7.2f MiB  %s\n", $1 / 1048576, $2}') >&2
  echo "$out/runtime/lib/modules: modules ($(sed -n 's/^linked: //p' "$out/runtime-modules.txt"))" >&2
  jimage list --verbose "$out/runtime/lib/modules" | awk '
    /^Module: / { m = $2 } $1 ~ /^[0-9]+$/ && NF == 4 { s[m] += ($3 > 0 ? $3 : $2) }
    END { for (m in s) printf "  %7.2f MiB  %s\n", s[m] / 1048576, m }' | sort -rn >&2
  echo "package.sh: $total bytes is over the $((limit / 1048576)) MiB the device run may carry" >&2
  exit 1
fi
