#!/usr/bin/env python3
"""Copies a jar keeping only the entries the GPU device run needs (used by package.sh).

usage: filter_jar.py IN.jar OUT.jar drop|keep PREFIX...
  drop: every entry except those starting with one of the prefixes
  keep: only the entries starting with one of the prefixes (plus META-INF/MANIFEST.MF)
"""
import sys
import zipfile


def main():
    src, dst, mode, prefixes = sys.argv[1], sys.argv[2], sys.argv[3], tuple(sys.argv[4:])
    if mode not in ("drop", "keep"):
        sys.exit("mode must be drop or keep")
    kept = dropped = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            match = info.filename.startswith(prefixes)
            keep = (not match) if mode == "drop" else (match or info.filename == "META-INF/MANIFEST.MF")
            if keep:
                zout.writestr(info, zin.read(info.filename), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
                kept += 1
            else:
                dropped += 1
    print(f"{dst}: kept {kept} entries, dropped {dropped}")


if __name__ == "__main__":
    main()
