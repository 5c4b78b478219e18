#!/bin/sh
# Builds and runs the CUDA emulation harness outside Maven (KernelEmulationTest does the same):
#   kernels-cuda/src/test/emulation/run.sh [group...]      groups: shim vector simplex symk rbf
# Environment: CUDA_SRC (default: kernels-cuda/src/main/cuda next to this folder), BUILD (default: a
# temporary folder), CXX (default g++), JOBS (parallel compiles, default 2); EMU_TIMING=1 prints
# the time of each extra schedule run; EMU_SYMK_NOISE=1 prints the parts of the flat kept
# triangle's noise along a line of weights (test_symk.cpp, flat_line); EMU_SYMK_COMPARE=1 runs only
# flat_compare (the flat product next to replays of nd4j's old and new flat products, no checks).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cuda=${CUDA_SRC:-$here/../../main/cuda}
build=${BUILD:-$(mktemp -d)}
cxx=${CXX:-g++}
jobs=${JOBS:-2}
flags="-std=c++20 -O1 -pthread -fno-strict-aliasing -ffp-contract=off -I$here"
mkdir -p "$build"
{
  for f in "$cuda"/*.cu; do
    b=$(basename "$f" .cu)
    echo "$cxx $flags -include cuda_shim.h -include emu_kernels.h -x c++ -c $f -o $build/cu_$b.o"
  done
  for f in "$here"/*.cpp; do
    b=$(basename "$f" .cpp)
    echo "$cxx $flags -c $f -o $build/$b.o"
  done
} | xargs -P "$jobs" -I{} sh -c '{}'
$cxx -pthread -o "$build/emulation" "$build"/*.o
exec "$build/emulation" "$@"
