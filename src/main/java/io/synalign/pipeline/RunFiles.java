package io.synalign.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file names of a run directory: {@code align --run-dir}, {@code evaluate} and
 * {@code generate} write these files into one directory, and {@code report --run} reads them.
 *
 * <p>What {@code align --run-dir DIR} writes (all atomically, with its other outputs):
 * <ul>
 *   <li>{@link #ALIGNMENT}: the {@code --summary} JSON, whose {@code settings} object also holds
 *       {@code options}, every option value of the command keyed by its long name;</li>
 *   <li>{@link #WEIGHTED}: every synthetic record with its field {@code synalign_weight}
 *       (JSON Lines, whatever the format of {@code --out});</li>
 *   <li>{@link #REAL_EMBEDDINGS}, {@link #SYNTHETIC_EMBEDDINGS}: 2-D arrays, one row per
 *       record in input order: float32 rows as the model embedded them, or a copy of the
 *       embeddings file given ({@code --synthetic-embeddings} in its dtype; a float64
 *       {@code --real-embeddings}: narrowing it would move rows far from the origin onto
 *       float32's grid); a float32 {@code --real-embeddings} is written as read, float32.
 *       {@code report} reads either dtype in double;</li>
 *   <li>{@link #LABELS}: {@code {"label_field": F, "real": [...], "synthetic": [...]}}, the label
 *       of every real and synthetic row in input order ({@code null} arrays when the files have
 *       no label field).</li>
 * </ul>
 */
public final class RunFiles {

    /** Written by {@code align}: the summary JSON plus every option value. */
    public static final String ALIGNMENT = "alignment.json";
    /** Written by {@code align}: the synthetic records with their weights (JSON Lines). */
    public static final String WEIGHTED = "weighted.jsonl";
    /**
     * Written by {@code align}: the real embeddings, rows in input order; float32, or float64
     * where a float64 {@code --real-embeddings} was given (a copy of it).
     */
    public static final String REAL_EMBEDDINGS = "real-embeddings.npy";
    /**
     * Written by {@code align}: the synthetic embeddings, rows in input order; float32, or a
     * copy of {@code --synthetic-embeddings} in its dtype.
     */
    public static final String SYNTHETIC_EMBEDDINGS = "synthetic-embeddings.npy";
    /** Written by {@code align}: the per-row labels of both sets. */
    public static final String LABELS = "labels.json";
    /** Written by {@code evaluate}. */
    public static final String EVALUATION = "evaluation.json";
    /** Written by {@code generate}. */
    public static final String GENERATION = "generation.json";
    /** Written by {@code test --run-dir} and {@code run --run-dir}: the two-sample test. */
    public static final String TEST = "test.json";
    /** Written by {@code report} unless {@code --out} says otherwise. */
    public static final String REPORT = "report.html";

    /** The files the commands write and {@code report} reads (every name above but the report). */
    public static final java.util.List<String> ARTEFACTS = java.util.List.of(ALIGNMENT, WEIGHTED,
            REAL_EMBEDDINGS, SYNTHETIC_EMBEDDINGS, LABELS, EVALUATION, GENERATION, TEST);

    private RunFiles() {
    }

    /**
     * The file a path setting of a run document names: settings hold paths relative to the run
     * directory, or {@code ~/...} for a file in the home directory seen from a run directory
     * outside it, or absolute.
     */
    public static Path settingPath(Path runDir, String value) {
        if (value.startsWith("~/")) {
            return Path.of(System.getProperty("user.home")).resolve(value.substring(2)).normalize();
        }
        return runDir.resolve(value).normalize();
    }

    /** Creates the run directory (and its parents) if missing; returns the file in it. */
    public static Path file(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        return dir.resolve(name);
    }
}
