#!/usr/bin/env bash
# Builds everything the GPU device machine needs into benchmarks/gpu/out (at most 64 MiB, the
# limit of what travels to the device), then prints the sizes and fails above the limit:
#   runtime/            a jlinked Java 17 runtime with only the modules jdeps finds in the jar
#   lib/                the CLI's own jar and the Maven artifacts align and select on .npy
#                       with --backend cuda need, as Maven resolved them (no jar is cut): the
#                       SynAlign modules (the kernel SPI, the CUDA backend with its .cu sources,
#                       the ND4J backend's module without ND4J, so it reports itself unavailable,
#                       the engine, models, the CLI), picocli, Jackson, slf4j and its simple
#                       binding, progressbar and JLine, javacpp and the bytedeco cuda API with its
#                       linux-x86_64 JNI wrappers (no redist: the CUDA 13 libraries come from the
#                       device's system or PyTorch's nvidia-* wheels). Everything else the CLI
#                       depends on (ND4J, OpenBLAS, DL4J, DJL, ONNX Runtime, llama.cpp, the
#                       bundled models, WordNet) stays out, including libraries added later.
#   synalign-gpu.jar    a manifest (the CLI's main class and lib/ as its class path, so
#                       `java -jar synalign-gpu.jar` runs the CLI) and the CLI's logging settings
#   benchmarks-gpu.jar  the device benchmark io.synalign.benchmarks.cuda.CudaProductBench (from
#                       the benchmarks module; run with synalign-gpu.jar on the class path). The
#                       JMH benchmarks compare against ND4J, whose natives are left out.
#   tests.jar           kernels, kernels-cuda and engine test classes; junit-console.jar runs them
#   run-on-device.sh, source-list.sh, torch_peer.py, numpy_peer.py
#   SOURCES.sha256      the SHA-256 of every source file the jars were built from (taken
#                       before the build), SOURCES.list the main sources' names
# Above the limit it prints the largest jars of lib/ and the largest parts of the runtime.
# Usage: benchmarks/gpu/package.sh [--no-build]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/out"
limit=$((64 * 1024 * 1024))
junit_console_version=1.11.4

rm -rf "$out"
mkdir -p "$out"

# An allow-list of artifacts rather than a deny-list: the CLI grows with every library the other
# commands take on (llama.cpp natives for six platforms, DL4J and fastutil), and none of them is
# needed here. The CLI's commands load without them because no command's options touch their
# classes until it runs (picocli builds every command at start; EmbeddingOptions.ONNX and
# WordNetSupersenseData keep DJL's and extJWNL's classes out of that); the smoke test below runs
# --help, which builds them all, and align and select.
artifacts=(
  synalign-kernels synalign-kernels-cuda synalign-kernels-nd4j synalign-engine synalign-models
  picocli jackson-core jackson-databind jackson-annotations slf4j-api slf4j-simple
  progressbar jline-terminal jline-native javacpp cuda
)
# The sources the jars are built from, as the device tool copies them (tracked files and
# untracked ones git does not ignore), hashed BEFORE the build, so that an edit made while Maven
# runs counts as an edit after packaging: run-on-device.sh checks them with `sha256sum -c` and
# stops at once if one was edited. SOURCES.list names the main sources and poms (source_list
# below; the same command runs on the device), so that one added since is caught too.
sources_sha="$(mktemp)"
sources_list="$(mktemp)"
(cd "$root" && git ls-files -z -co --exclude-standard -- pom.xml '*/pom.xml' kernels \
    kernels-nd4j kernels-cuda engine models src benchmarks/src \
  | python3 -c '
import os, sys
names = sorted(n for n in sys.stdin.buffer.read().decode().split("\0") if n and os.path.isfile(n))
sys.stdout.write("".join(n + "\n" for n in names))' \
  | tr '\n' '\0' | xargs -0 sha256sum) > "$sources_sha"
# shellcheck source=source-list.sh
. "$here/source-list.sh"
(cd "$root" && source_list) > "$sources_list"
lib="$out/lib"
# One reactor run packages the modules and copies the artifacts, so lib/ gets this tree's jars,
# never stale ones from ~/.m2. -DskipTests still compiles the test classes, which tests.jar
# needs; --no-build only re-jars the compiled classes (jar:jar, no compile).
if [[ "${1:-}" != "--no-build" ]]; then
  build=(-DskipTests package)
else
  build=(jar:jar)
fi
(cd "$root" && mvn -B -q -ntp "${build[@]}" dependency:copy-dependencies -pl src,benchmarks -am \
  -DincludeScope=runtime -DincludeArtifactIds="$(IFS=,; echo "${artifacts[*]}")" \
  -DoutputDirectory="$lib")
# The newest CLI jar: the one this build wrote (an older version's may lie beside it).
cli_jar="$(ls -t "$root"/src/target/synalign-cli-*.jar 2>/dev/null | grep -v -E -- '-(tests|sources|javadoc)\.jar$' | head -1 || true)"
[[ -n "$cli_jar" ]] || { echo "package.sh: no synalign-cli jar in src/target" >&2; exit 1; }
cp "$cli_jar" "$lib/"
for a in "${artifacts[@]}"; do
  ls "$lib/$a"-[0-9]*.jar >/dev/null 2>&1 || { echo "package.sh: artifact $a missing from lib/" >&2; exit 1; }
done
# bytedeco's natives: linux-x86_64 only (the classifier jars Maven resolved for this platform).
if ls "$lib" | grep -E -- '-(linux-(arm64|ppc64le|aarch64)|macosx|windows)-' >/dev/null; then
  echo "package.sh: another platform's natives in lib/: $(ls "$lib" | grep -E -- '-(macosx|windows|linux-arm64|linux-ppc64le)-')" >&2
  exit 1
fi
for a in javacpp cuda; do
  ls "$lib/$a"-*-linux-x86_64.jar >/dev/null 2>&1 || { echo "package.sh: $a's linux-x86_64 natives missing from lib/" >&2; exit 1; }
done
# The manifest jar: Class-Path names lib/'s jars relative to it; lines of at most 72 bytes. It
# also carries the command line's logging settings at its root, as the fat jar does (the CLI's
# own jar, a library artifact, has none).
python3 - "$out" "$lib" "$root/src/main/cli/simplelogger.properties" <<'PY'
import os, sys, zipfile
out, lib, logging_settings = sys.argv[1], sys.argv[2], sys.argv[3]
jars = " ".join("lib/" + j for j in sorted(os.listdir(lib)) if j.endswith(".jar"))
def wrap(line):
    b = line.encode()
    parts = [b[:72]] + [b" " + b[i:i + 71] for i in range(72, len(b), 71)]
    return b"\r\n".join(parts) + b"\r\n"
manifest = (wrap("Manifest-Version: 1.0") + wrap("Main-Class: io.synalign.cli.SynAlignCommand")
            + wrap("Class-Path: " + jars) + b"\r\n")
with zipfile.ZipFile(os.path.join(out, "synalign-gpu.jar"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/MANIFEST.MF", manifest)
    z.write(logging_settings, "simplelogger.properties")
PY
for prefix in nd4j deeplearning4j fastutil llama onnxruntime api- openblas extjwnl tokenizers; do
  if ls "$lib" | grep -q -- "^$prefix"; then
    echo "package.sh: $prefix left in lib/" >&2; exit 1
  fi
done

(cd "$root/benchmarks/target/classes" && zip -q -r -9 "$out/benchmarks-gpu.jar" io/synalign/benchmarks/cuda)
(cd "$root/kernels/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)
(cd "$root/kernels-cuda/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)
(cd "$root/engine/target/test-classes" && zip -q -r -9 "$out/tests.jar" .)

(cd "$root" && mvn -B -q -ntp -N dependency:copy \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console_version" \
  -DoutputDirectory="$out")
mv "$out/junit-platform-console-standalone-$junit_console_version.jar" "$out/junit-console.jar"

# The runtime: the modules jdeps finds in the jar, less those only optional code paths reach
# (java.desktop: java.beans in Jackson and AWT in libraries' unused corners; java.sql: Jackson's
# and picocli's optional converters; java.compiler: annotation types; java.net.http: the LLM
# client of `generate`, which the device run never calls), plus jdk.unsupported (JavaCPP's
# Unsafe) and java.logging (the JUnit console). That the result is enough is checked below by
# running align, select and the no-GPU tests on it. libjvm.so is stripped of its symbol table.
# jdeps reads the classes of every jar as one class path (unpacked, without module-info, whose
# requires name automatic-module names jdeps would try to resolve).
classes="$(mktemp -d)"
for j in "$lib"/*.jar; do unzip -q -o "$j" -x 'module-info.class' 'META-INF/versions/*/module-info.class' -d "$classes"; done
derived="$(jdeps --ignore-missing-deps -q --multi-release 17 --print-module-deps "$classes")"
rm -rf "$classes"
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
# The device benchmark loads from the package (exit 2 where no GPU is usable, as here).
set +e
"$out/runtime/bin/java" -cp "$out/benchmarks-gpu.jar:$out/synalign-gpu.jar" \
  io.synalign.benchmarks.cuda.CudaProductBench 64 48 8 1 >"$smoke/bench.out" 2>"$smoke/bench.err"
bench_status=$?
set -e
if [[ $bench_status -ne 0 && $bench_status -ne 2 ]]; then
  echo "package.sh: CudaProductBench exited $bench_status: $(head -c 400 "$smoke/bench.err")" >&2; exit 1
fi
echo "smoke: CudaProductBench exit status $bench_status $(head -c 160 "$smoke/bench.err")"
set +e
"$out/runtime/bin/java" -jar "$out/junit-console.jar" execute --disable-banner --details=summary \
  --class-path "$out/tests.jar:$out/synalign-gpu.jar" \
  --select-class io.synalign.kernels.cuda.KernelArgsTest \
  --select-class io.synalign.kernels.cuda.ModuleCacheTest \
  --select-class io.synalign.kernels.cuda.DeviceTilesTest \
  --select-class io.synalign.kernels.cuda.HostCopyTest \
  --select-class io.synalign.kernels.cuda.KernelSourcesTest \
  --select-class io.synalign.kernels.cuda.CudaBackendProviderTest \
  --select-class io.synalign.kernels.CudaBackendTest \
  --select-class io.synalign.kernels.CudaVectorOpsTest \
  --select-class io.synalign.engine.CudaMatchesCpuTest >"$smoke/junit.txt" 2>&1
junit_status=$?
set -e
grep -E "tests (successful|failed|skipped|aborted|found)" "$smoke/junit.txt" | sed 's/^/smoke: /'
if [[ $junit_status -ne 0 ]]; then
  echo "package.sh: the no-GPU tests failed on the package (exit status $junit_status):" >&2
  grep -v -E '^\s*$' "$smoke/junit.txt" | head -60 >&2
  exit 1
fi

cp "$here/run-on-device.sh" "$here/source-list.sh" "$root/benchmarks/peer/torch_peer.py" \
  "$root/benchmarks/peer/numpy_peer.py" "$out/"
mv "$sources_sha" "$out/SOURCES.sha256"
mv "$sources_list" "$out/SOURCES.list"
echo "sources: $(wc -l < "$out/SOURCES.sha256") files hashed into SOURCES.sha256"

echo
echo "benchmarks/gpu/out:"
du -sh "$out/runtime" "$lib" "$out"/*.jar "$out"/*.sh "$out"/*.py | sed 's/^/  /'
# The tracked files travel to the device with out/; the device tool's 64 MiB is stated for the
# carried paths, "in all": counted here with the tracked files, to be safe either way.
tracked=$(cd "$root" && git ls-files -z | python3 -c '
import os, sys
print(sum(os.path.getsize(p) for p in sys.stdin.buffer.read().decode().split("\0") if os.path.isfile(p)))')
total=$(( $(du -sb "$out" | cut -f1) + tracked ))
printf '  total %d bytes = %.1f MiB with the %.1f MiB of tracked files that travel with it (limit %d MiB)\n' \
  "$total" "$(echo "$total / 1048576" | bc -l)" "$(echo "$tracked / 1048576" | bc -l)" $((limit / 1048576))
"$out/runtime/bin/java" -version 2>&1 | head -1 | sed 's/^/  runtime: /'
if (( total > limit )); then
  # Say what grew: the largest parts of the jar (by package, natives one by one) and of the
  # runtime (its files, and the modules in lib/modules).
  echo >&2
  echo "$lib: largest jars" >&2
  (cd "$lib" && ls -S -l *.jar | head -8 | awk '{printf "  %7.2f MiB  %s\n", $5 / 1048576, $9}') >&2
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
