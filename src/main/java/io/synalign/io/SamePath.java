package io.synalign.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether two paths name one file: the check outputs and run documents share. */
public final class SamePath {

    private SamePath() {
    }

    /**
     * Equal once absolute and normalised, or two existing paths that reach one file (links,
     * other spellings); an unreadable path's metadata counts as different.
     */
    public static boolean sameFile(Path a, Path b) {
        Path pa = a.toAbsolutePath().normalize();
        Path pb = b.toAbsolutePath().normalize();
        if (pa.equals(pb)) {
            return true;
        }
        try {
            return Files.exists(pa) && Files.exists(pb) && Files.isSameFile(pa, pb);
        } catch (IOException e) {
            return false;
        }
    }
}
