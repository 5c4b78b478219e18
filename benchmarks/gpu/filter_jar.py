#!/usr/bin/env python3
"""Copies a jar keeping only the entries the GPU device run needs, and reports jar sizes (used
by package.sh).

usage: filter_jar.py IN.jar OUT.jar keep|drop PATTERN...
       filter_jar.py report JAR [N]
  keep: only the entries matching a pattern (plus META-INF/MANIFEST.MF)
  drop: every entry except those matching a pattern
  report: the N (default 15) largest groups of entries by compressed size (see group())

A pattern with *, ? or [ is a shell glob over the whole entry name in which * also crosses /
(org/bytedeco/cuda/*.class: every class below org/bytedeco/cuda/); any other pattern is a
prefix of the entry name. keep fails when a pattern matches no entry: an allow-list entry that
no longer matches anything (a library renamed or gone) should be looked at, not carried along.
package.sh runs report on the filtered jar when the package is over its limit, so what grew
shows there.
"""
import collections
import fnmatch
import re
import sys
import zipfile


def matcher(pattern):
    if any(c in pattern for c in "*?["):
        regex = re.compile(fnmatch.translate(pattern))
        return lambda name: regex.match(name) is not None
    return lambda name: name.startswith(pattern)


def group(name):
    """The entry's group in a report: a native library or a file at the top level on its own,
    a class or resource by its package, cut to three levels (org/bytedeco/cuda, com/fasterxml/
    jackson), so one library is one line or a few."""
    if name.endswith((".so", ".dll", ".dylib", ".jnilib")) or "/" not in name:
        return name
    parts = name.split("/")[:-1]
    return "/".join(parts[:3]) + "/"


def report(infos, n, title):
    sizes = collections.Counter()
    counts = collections.Counter()
    for info in infos:
        sizes[group(info.filename)] += info.compress_size
        counts[group(info.filename)] += 1
    total = sum(sizes.values())
    print(f"{title}: {len(infos)} entries, {total / 1048576:.1f} MiB compressed; largest:")
    for name, size in sizes.most_common(n):
        print(f"  {size / 1048576:7.2f} MiB  {counts[name]:6d}  {name}")


def filter_jar(src, dst, mode, patterns):
    if mode not in ("drop", "keep"):
        sys.exit("mode must be keep, drop or report")
    matchers = [(p, matcher(p)) for p in patterns]
    used = set()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        kept, dropped = [], []
        for info in zin.infolist():
            hits = [p for p, m in matchers if m(info.filename)]
            used.update(hits)
            keep = (not hits) if mode == "drop" else (bool(hits) or info.filename == "META-INF/MANIFEST.MF")
            if keep:
                zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
                kept.append(info)
            else:
                dropped.append(info)
    dropped_mib = sum(i.compress_size for i in dropped) / 1048576
    print(f"{dst}: kept {len(kept)} entries, dropped {len(dropped)} ({dropped_mib:.1f} MiB compressed)")
    unused = [p for p in patterns if p not in used]
    if mode == "keep" and unused:
        sys.exit(f"filter_jar.py: keep patterns that match no entry of {src}: {' '.join(unused)}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "report":
        with zipfile.ZipFile(sys.argv[2]) as z:
            report(z.infolist(), int(sys.argv[3]) if len(sys.argv) > 3 else 15, sys.argv[2])
        return
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    filter_jar(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])


if __name__ == "__main__":
    main()
