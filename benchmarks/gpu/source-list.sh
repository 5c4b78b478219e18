# source_list: the main sources and poms of the modules the device jars are built from, one
# relative path per line, sorted (C collation), build outputs left out (the CLI module's
# own src/main has no folder in front of it, hence its second pattern). Run in the repository
# root. Sourced by package.sh (which writes it to out/SOURCES.list) and by run-on-device.sh
# (which compares it with the working tree's, so that a source added after packaging stops the
# run as an edited one does). Needs only find and sort: the device has no git.
source_list() {
  find pom.xml kernels kernels-nd4j kernels-cuda engine models src benchmarks/src \
    \( -name target -o -name .git \) -prune -o \
    -type f \( -name pom.xml -o -path '*/src/main/*' -o -path 'src/main/*' \) -print 2>/dev/null \
    | LC_ALL=C sort
}
