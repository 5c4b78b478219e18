package io.synalign.cli;

import io.synalign.io.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks output paths before any computation, so that a long run never ends in "directory does
 * not exist": the parent directory must exist and be writable, the path must not be a directory,
 * and no two options may name the same file.
 */
final class OutputTargets {

    private final Map<Path, String> seen = new LinkedHashMap<>();

    /**
     * Checks one output; {@code null} (an option not given) is skipped.
     *
     * @param option the option that named it, for messages, e.g. {@code --out}
     * @throws InputException naming the path when it cannot be written
     * @throws IllegalArgumentException when another option already named the same file
     */
    OutputTargets add(String option, Path target) {
        if (target == null) {
            return this;
        }
        Path abs = target.toAbsolutePath().normalize();
        String previous = seen.putIfAbsent(abs, option);
        if (previous != null) {
            throw new IllegalArgumentException(previous + " and " + option + " name the same file "
                    + target);
        }
        if (Files.isDirectory(abs)) {
            throw new InputException(target, option + " names a directory; give a file name");
        }
        Path dir = abs.getParent();
        Path shown = target.getParent() == null ? Path.of(".") : target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new InputException(target, "output directory " + shown + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new InputException(target, "output directory " + shown + " is not writable");
        }
        return this;
    }
}
