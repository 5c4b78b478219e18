package io.synalign.cli;

import io.synalign.io.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks output paths before any computation, so that a long run never ends in "directory does
 * not exist": the parent directory must exist and be writable, the path must not be a directory,
 * no two options may name the same file, and no output may overwrite an input.
 */
final class OutputTargets {

    private final Map<Path, String> inputs = new LinkedHashMap<>();
    private final Map<Path, String> outputs = new LinkedHashMap<>();
    private final Map<Path, String> directories = new LinkedHashMap<>();
    private final java.util.Set<Path> created = new java.util.HashSet<>();

    /**
     * Registers the run directory, which the command creates (with missing parents) before it
     * writes: an output placed directly in it passes although it does not exist yet. Register it
     * before those outputs; {@code null} is skipped. The directory itself is checked on its own
     * ({@link RunDirOption}, {@link RunDirOutputs#check}).
     */
    OutputTargets runDir(Path dir) {
        if (dir != null) {
            created.add(dir.toAbsolutePath().normalize());
        }
        return this;
    }

    /** Registers an input file, so that no output may replace it. */
    OutputTargets input(String option, Path file) {
        if (file != null) {
            inputs.put(file.toAbsolutePath().normalize(), option);
        }
        return this;
    }

    /**
     * Checks one output; {@code null} (an option not given) is skipped.
     *
     * @param option the option that named it, for messages, e.g. {@code --out}
     * @throws InputException naming the path when it cannot be written
     * @throws IllegalArgumentException when another option already names the same file
     */
    OutputTargets add(String option, Path target) {
        if (target == null) {
            return this;
        }
        Path abs = target.toAbsolutePath().normalize();
        String previous = outputs.putIfAbsent(abs, option);
        if (previous != null) {
            throw new IllegalArgumentException(previous + " and " + option + " name the same file "
                    + target);
        }
        for (Map.Entry<Path, String> in : inputs.entrySet()) {
            if (sameFile(abs, in.getKey())) {
                throw new IllegalArgumentException(option + " " + target + " would overwrite the"
                        + " input given with " + in.getValue());
            }
        }
        for (Map.Entry<Path, String> d : directories.entrySet()) {
            if (sameFile(abs, d.getKey())) {
                throw new IllegalArgumentException(d.getValue() + " and " + option
                        + " name the same path " + target);
            }
        }
        if (Files.isDirectory(abs)) {
            throw new InputException(target, option + " names a directory; give a file name");
        }
        Path dir = abs.getParent();
        Path shown = target.getParent() == null ? Path.of(".") : target.getParent();
        if (dir != null && created.contains(dir) && !Files.exists(dir)) {
            return this; // the run directory, created before anything is written
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new InputException(target, "output directory " + shown + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new InputException(target, "output directory " + shown + " is not writable");
        }
        return this;
    }

    /**
     * Checks a directory the command writes into (a journal, a cache); {@code null} is skipped.
     * An existing path must be a directory, and no file output may have the same path.
     *
     * @throws InputException when the path is an existing file
     * @throws IllegalArgumentException when a file output has the same path
     */
    OutputTargets directory(String option, Path dir) {
        if (dir == null) {
            return this;
        }
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new InputException(dir, option + " names a file, not a directory");
        }
        for (Map.Entry<Path, String> out : outputs.entrySet()) {
            if (sameFile(abs, out.getKey())) {
                throw new IllegalArgumentException(out.getValue() + " and " + option
                        + " name the same path " + dir);
            }
        }
        directories.put(abs, option);
        return this;
    }

    /**
     * Checks the file {@code name} that the command writes into an existing run directory
     * ({@code runDir} null or not yet a directory: nothing to check, the directory is checked
     * on its own).
     */
    OutputTargets runDirFile(Path runDir, String name) {
        if (runDir == null || !Files.isDirectory(runDir)) {
            return this;
        }
        return add("--run-dir (" + name + ")", runDir.resolve(name));
    }

    /** Equal paths, or two existing paths that reach one file (links, different spellings). */
    private static boolean sameFile(Path a, Path b) {
        if (a.equals(b)) {
            return true;
        }
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
