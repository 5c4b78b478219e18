#!/usr/bin/env bash
# Builds everything the GPU device machine needs into benchmarks/gpu/out (at most 64 MiB, the
# limit of what travels to the device), then prints the sizes and fails above the limit:
#   runtime/            a jlinked Java 17 runtime with only the modules jdeps finds in the jars
#   synalign-gpu.jar    the CLI fat jar WITHOUT ND4J, OpenBLAS, ONNX Runtime, the bundled models
#                       and WordNet (align/select on .npy with --backend cuda need none of them);
#                       it keeps the bytedeco cuda API and the linux-x86_64 JNI wrappers of
#                       cudart, cuBLAS and NVRTC only (no redist: the CUDA 13 libraries come from
#                       the device's system or PyTorch's nvidia-* wheels), and javacpp 1.5.13
#                       (the device benchmark is io.synalign.kernels.cuda.CudaProductBench in it;
#                       the JMH benchmarks compare against ND4J, whose natives are left out)
#   tests.jar           kernels + engine test classes; junit-console.jar runs them
#   run-on-device.sh, torch_peer.py, numpy_peer.py
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

python3 "$here/filter_jar.py" "$root/src/target/synalign.jar" "$out/synalign-gpu.jar" drop \
  org/nd4j/ org/bytedeco/openblas/ org/tensorflow/ org/bytedeco/javacpp/linux-arm64/ \
  org/bytedeco/javacpp/linux-ppc64le/ org/bytedeco/javacpp/macosx- org/bytedeco/javacpp/windows- \
  org/bytedeco/javacpp/android- org/bytedeco/javacpp/linux-x86/ org/bytedeco/javacpp/linux-armhf/ \
  ai/onnxruntime/native/ native/lib/ net/sf/extjwnl/data/ \
  bge-small-en-v1.5-q all-minilm-l6-v2-q oshi/ org/threeten/ com/google/flatbuffers/ \
  org/bytedeco/cuda/linux-x86_64/libjninpp org/bytedeco/cuda/linux-x86_64/libjnicudnn \
  org/bytedeco/cuda/linux-x86_64/libjnicusparse org/bytedeco/cuda/linux-x86_64/libjnicusolver \
  org/bytedeco/cuda/linux-x86_64/libjnicufft org/bytedeco/cuda/linux-x86_64/libjnicurand \
  org/bytedeco/cuda/linux-x86_64/libjnicupti org/bytedeco/cuda/linux-x86_64/libjninvml \
  org/bytedeco/cuda/linux-x86_64/libjninvblas org/bytedeco/cuda/linux-x86_64/libjninvcomp \
  org/bytedeco/cuda/linux-x86_64/libjninvjpeg org/bytedeco/cuda/linux-x86_64/libjninccl \
  org/bytedeco/cuda/linux-x86_64/libjnicufile META-INF/native-image/ \
  tensorflow/ ops.proto nd4j-op-def.pbtxt \
  com/sun/jna/aix- com/sun/jna/darwin- com/sun/jna/dragonflybsd- com/sun/jna/freebsd- \
  com/sun/jna/openbsd- com/sun/jna/sunos- com/sun/jna/win32 com/sun/jna/linux-aarch64/ \
  com/sun/jna/linux-arm com/sun/jna/linux-loongarch64/ com/sun/jna/linux-mips64el/ \
  com/sun/jna/linux-ppc com/sun/jna/linux-riscv64/ com/sun/jna/linux-s390x/ com/sun/jna/linux-x86/

# What the device run needs must still be there.
for entry in org/bytedeco/cuda/linux-x86_64/libjnicudart.so org/bytedeco/cuda/linux-x86_64/libjnicublas.so \
    org/bytedeco/cuda/linux-x86_64/libjninvrtc.so org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so \
    org/bytedeco/cuda/global/cudart.class io/synalign/kernels/cuda/rbf.cu \
    io/synalign/kernels/cuda/CudaBackendProvider.class io/synalign/cli/SynAlignCommand.class; do
  unzip -l "$out/synalign-gpu.jar" "$entry" >/dev/null || { echo "package.sh: $entry missing" >&2; exit 1; }
done
if unzip -l "$out/synalign-gpu.jar" 'org/nd4j/*' >/dev/null 2>&1; then
  echo "package.sh: ND4J classes left in synalign-gpu.jar" >&2; exit 1
fi

(cd "$root/kernels/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)
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

# Smoke test of the package with its own runtime, on this machine: align and select run (on
# whichever CPU backend is left), --backend cuda either works or fails with exit status 2, and
# the no-GPU tests pass.
smoke="$(mktemp -d)"
trap 'rm -rf "$smoke"' EXIT
python3 "$root/benchmarks/peer/numpy_peer.py" make-data --synthetic 200 --real 50 --dim 8 --out "$smoke" >/dev/null
"$out/runtime/bin/java" -jar "$out/synalign-gpu.jar" align --quiet --real-embeddings "$smoke/R.npy" \
  --synthetic-embeddings "$smoke/S.npy" --out "$smoke/w.npy" >/dev/null
"$out/runtime/bin/java" -jar "$out/synalign-gpu.jar" select --quiet --embeddings "$smoke/R.npy" \
  --count 5 --out "$smoke/picks.txt" >/dev/null
set +e
"$out/runtime/bin/java" -jar "$out/synalign-gpu.jar" align --quiet --backend cuda \
  --real-embeddings "$smoke/R.npy" --synthetic-embeddings "$smoke/S.npy" --out "$smoke/w2.npy" \
  2>"$smoke/cuda.err" >/dev/null
cuda_status=$?
set -e
if [[ $cuda_status -ne 0 && $cuda_status -ne 2 ]]; then
  echo "package.sh: --backend cuda exited $cuda_status: $(cat "$smoke/cuda.err")" >&2; exit 1
fi
echo "smoke: align and select ran; --backend cuda exit status $cuda_status $(head -c 160 "$smoke/cuda.err")"
"$out/runtime/bin/java" -jar "$out/junit-console.jar" execute --disable-banner --details=summary \
  --class-path "$out/tests.jar:$out/synalign-gpu.jar" \
  --select-class io.synalign.kernels.cuda.KernelArgsTest \
  --select-class io.synalign.kernels.cuda.ModuleCacheTest \
  --select-class io.synalign.kernels.cuda.DeviceTilesTest \
  --select-class io.synalign.kernels.cuda.KernelSourcesTest \
  --select-class io.synalign.kernels.cuda.CudaBackendProviderTest \
  --select-class io.synalign.kernels.CudaBackendTest 2>&1 | grep -E "tests (successful|failed|skipped|aborted|found)" \
  | sed 's/^/smoke: /'

cp "$here/run-on-device.sh" "$root/benchmarks/peer/torch_peer.py" "$root/benchmarks/peer/numpy_peer.py" "$out/"

echo
echo "benchmarks/gpu/out:"
du -sh "$out/runtime" "$out"/*.jar "$out"/*.sh "$out"/*.py | sed 's/^/  /'
total=$(du -sb "$out" | cut -f1)
printf '  total %d bytes = %.1f MiB (limit 64 MiB)\n' "$total" "$(echo "$total / 1048576" | bc -l)"
"$out/runtime/bin/java" -version 2>&1 | head -1 | sed 's/^/  runtime: /'
if (( total > limit )); then
  echo "package.sh: $total bytes is over the 64 MiB the device run may carry" >&2
  exit 1
fi
