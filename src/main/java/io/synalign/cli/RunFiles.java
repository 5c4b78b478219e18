package io.synalign.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The run directory ({@code --run-dir DIR}): the artefacts that {@code generate} and
 * {@code evaluate} leave for {@code report}. File names are fixed so that readers find them.
 */
public final class RunFiles {

    /** Written by {@code evaluate}: settings, classifier, repeats and one entry per variant. */
    public static final String EVALUATION = "evaluation.json";

    /** Written by {@code generate} and {@code run}: settings, generator and per-label coverage. */
    public static final String GENERATION = "generation.json";

    private RunFiles() {
    }

    /**
     * Checks, before any work, that {@code dir} is a directory or can become one.
     *
     * @throws IllegalArgumentException when it names an existing non-directory
     */
    static void checkRunDir(Path dir) {
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--run-dir " + dir + " exists and is not a directory");
        }
    }

    /** Creates the run directory (and its parents) if missing; returns the file in it. */
    static Path file(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        return dir.resolve(name);
    }
}
