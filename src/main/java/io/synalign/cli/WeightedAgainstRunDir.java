package io.synalign.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.data.TextFields;
import io.synalign.pipeline.FittedRealRows;
import io.synalign.pipeline.RealRowsFingerprint;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.SyntheticRowsFingerprint;
import io.synalign.pipeline.WeightedFileOrigin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code test --weighted W --run-dir DIR} can tell from DIR's {@code alignment.json}: first
 * whether W is the weighted output that alignment wrote ({@link WeightedFileOrigin}, by the
 * synthetic rows and weights it records), then, only if it is, whether the test's real rows
 * are those the weights were fitted to ({@link FittedRealRows}): weights from another file may
 * have been fitted to any real rows.
 *
 * <p>An {@code alignment.json} written before {@code synthetic_rows} was recorded is read as
 * before: W is taken as its weights when its row count is {@code n_synthetic}, and the
 * {@link WeightedFileOrigin} finding says that only the count was compared.
 *
 * @param file whether W is the alignment's weighted output
 * @param realRows whether the real rows are those the weights were fitted to
 * @param fittedBy the command that wrote the alignment ({@code align} or {@code run}), for
 *     the note's commands
 */
record WeightedAgainstRunDir(WeightedFileOrigin file, FittedRealRows realRows, String fittedBy) {

    /**
     * The findings for W ({@code weighted}, read as {@code rows} with {@code weights}) and the
     * test's real rows {@code real}, against {@code runDir} (null: none given).
     */
    static WeightedAgainstRunDir check(Path runDir, Path weighted, TextFields.LabelledTexts rows,
            double[] weights, TextFields.LabelledTexts real) {
        SyntheticRowsFingerprint file = SyntheticRowsFingerprint.of(rows.texts(), rows.labels(),
                weights);
        if (runDir == null) {
            return unknown(file, real, "test --run-dir with the alignment's run directory tells"
                    + " whether they were", "no --run-dir, whose " + RunFiles.ALIGNMENT
                    + " would record the alignment's weights");
        }
        Path doc = runDir.resolve(RunFiles.ALIGNMENT);
        if (!Files.isRegularFile(doc)) {
            return unknown(file, real, runDir + " has no " + RunFiles.ALIGNMENT
                    + " to tell whether they were", runDir + " has no " + RunFiles.ALIGNMENT
                    + " to record the alignment's weights");
        }
        JsonNode alignment;
        try {
            alignment = Json.MAPPER.readTree(doc.toFile());
        } catch (IOException e) {
            return unknown(file, real, doc + " could not be read as JSON to tell whether they"
                    + " were", doc + " could not be read as JSON");
        }
        // A newer build's document is refused (exit 2) rather than read as this build's keys.
        io.synalign.pipeline.RunDocuments.requireReadable(doc, alignment);
        String fittedBy = "run".equals(alignment.path("command").asText()) ? "run" : "align";
        WeightedFileOrigin origin = origin(alignment, file, weighted, doc);
        int n = real.texts().size();
        RealRowsFingerprint fitted = RealRowsFingerprint.fromJson(
                alignment.get(RealRowsFingerprint.KEY));
        if (fitted == null) {
            return new WeightedAgainstRunDir(origin, FittedRealRows.unknown(n, doc + " was"
                    + " written before alignments recorded their real rows (align or run again"
                    + " records them)"), fittedBy);
        }
        if (origin.status() == WeightedFileOrigin.Status.OTHER_ROWS
                || origin.status() == WeightedFileOrigin.Status.OTHER_WEIGHTS) {
            return new WeightedAgainstRunDir(origin, FittedRealRows.unknown(n, origin.why()),
                    fittedBy);
        }
        return new WeightedAgainstRunDir(origin, FittedRealRows.compare(fitted,
                RealRowsFingerprint.of(real.texts(), real.labels())), fittedBy);
    }

    /**
     * W against the synthetic rows and weights {@code alignment} records; a document written
     * before that record by its row count ({@code n_synthetic}) alone, as before.
     */
    private static WeightedFileOrigin origin(JsonNode alignment, SyntheticRowsFingerprint file,
            Path weighted, Path doc) {
        SyntheticRowsFingerprint recorded = SyntheticRowsFingerprint.fromJson(
                alignment.get(SyntheticRowsFingerprint.KEY));
        if (recorded != null) {
            return WeightedFileOrigin.compare(recorded, file, weighted.toString(), doc.toString());
        }
        int aligned = alignment.path("n_synthetic").asInt(-1);
        if (aligned >= 0 && aligned != file.count()) {
            return new WeightedFileOrigin(WeightedFileOrigin.Status.OTHER_ROWS, file,
                    "--weighted " + weighted + " has " + file.count() + " rows but " + doc
                            + " weighted " + aligned + ": it records other weights");
        }
        return WeightedFileOrigin.unknown(file, doc + " was written before alignments recorded"
                + " their synthetic rows and weights (align or run again records them), so"
                + " --weighted " + weighted + " is taken as its weights by the row count alone ("
                + file.count() + ")");
    }

    /** Nothing to compare with: {@code whyRows} for the real rows' note, {@code whyFile} for W. */
    private static WeightedAgainstRunDir unknown(SyntheticRowsFingerprint file,
            TextFields.LabelledTexts real, String whyRows, String whyFile) {
        return new WeightedAgainstRunDir(WeightedFileOrigin.unknown(file, whyFile),
                FittedRealRows.unknown(real.texts().size(), whyRows), "align");
    }

    /**
     * The note on W's origin that the real rows' note does not already give: where W was taken
     * as the alignment's by its row count alone (an alignment.json written before the record),
     * or null.
     */
    String originNote() {
        return file.noteBeside(realRows);
    }
}
