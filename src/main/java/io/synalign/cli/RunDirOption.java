package io.synalign.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code --run-dir} option's check (the directory's layout is {@code RunFiles}'). */
final class RunDirOption {

    private RunDirOption() {
    }

    /**
     * Checks, before any work, that {@code dir} is a directory or can become one: a missing DIR
     * needs an existing nearest ancestor that is a writable directory (otherwise the command
     * would fail only when it writes, after all its work, with an I/O error).
     *
     * @throws IllegalArgumentException when it names an existing non-directory, or cannot be
     *     created
     */
    static void checkRunDir(Path dir) {
        if (dir == null) {
            return;
        }
        if (!Files.exists(dir) && Files.isSymbolicLink(dir)) {
            throw new IllegalArgumentException("--run-dir " + dir + " is a symbolic link to "
                    + readLink(dir) + ", which does not exist");
        }
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("--run-dir " + dir
                        + " exists and is not a directory");
            }
            return;
        }
        Path ancestor = existingAncestor(dir.toAbsolutePath().normalize());
        if (ancestor == null || !Files.isDirectory(ancestor)) {
            throw new IllegalArgumentException("--run-dir " + dir + " cannot be created: "
                    + (ancestor == null ? "no existing parent" : ancestor + " is not a directory"));
        }
        if (!Files.isWritable(ancestor)) {
            throw new IllegalArgumentException("--run-dir " + dir + " cannot be created: "
                    + ancestor + " is not writable");
        }
    }

    /** The nearest existing ancestor of {@code abs} (absolute), or null when none exists. */
    static Path existingAncestor(Path abs) {
        Path ancestor = abs.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        return ancestor;
    }

    /**
     * Creates {@code dir} with its missing parents ({@code null}: nothing), just before a
     * command writes, so that outputs placed in it can be staged there.
     */
    static void create(Path dir) throws java.io.IOException {
        if (dir != null) {
            io.synalign.io.AtomicOutputs.createDirectories(dir); // removed at exit if left empty
        }
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (java.io.IOException e) {
            return "an unreadable target";
        }
    }
}
