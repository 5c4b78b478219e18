package io.synalign.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the file {@code test --weighted W} scores is the weighted output the alignment in
 * {@code --run-dir DIR} wrote: W's rows and weights against the {@link SyntheticRowsFingerprint}
 * DIR's {@code alignment.json} records. Recorded as {@value #KEY} in {@code test}'s
 * {@code --summary} and {@code test.json}; the real rows are compared with DIR's record
 * ({@link FittedRealRows}) only when W is the alignment's, since another file's weights may have
 * been fitted to any real rows.
 *
 * <ul>
 *   <li>{@link Status#SAME}: W's texts, in order, and its weights are those recorded;</li>
 *   <li>{@link Status#OTHER_WEIGHTS}: the texts in order, but other weights (edited, or written
 *       by another alignment of the same rows);</li>
 *   <li>{@link Status#OTHER_ROWS}: other rows (another count, other texts or another order):
 *       another alignment's weights;</li>
 *   <li>{@link Status#UNKNOWN}: no record to compare with (no run directory, no alignment.json,
 *       one written before the record, where the row count alone is compared, as before).</li>
 * </ul>
 *
 * <p>Rows are matched by their texts, as {@link FittedRealRows} counts real rows: the two-sample
 * test scores the texts' embeddings, so W read with another {@code --label-field} than the
 * alignment's is still its file.
 *
 * @param file W's own fingerprint (rows and weights)
 * @param why the clause saying why W is not known to be the alignment's; null for
 *     {@link Status#SAME}
 */
public record WeightedFileOrigin(Status status, SyntheticRowsFingerprint file, String why) {

    /** The key of the finding in {@value RunFiles#TEST}. */
    public static final String KEY = "weighted_file";

    /** What the comparison found. */
    public enum Status {
        SAME, OTHER_WEIGHTS, OTHER_ROWS, UNKNOWN;

        String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The finding for {@code file}, read from {@code fileName}, against {@code recorded}, read
     * from {@code recordName}.
     */
    public static WeightedFileOrigin compare(SyntheticRowsFingerprint recorded,
            SyntheticRowsFingerprint file, String fileName, String recordName) {
        if (recorded.count() != file.count()) {
            return new WeightedFileOrigin(Status.OTHER_ROWS, file, "--weighted " + fileName
                    + " has " + file.count() + " rows but " + recordName + " weighted "
                    + recorded.count() + ": it records other weights");
        }
        if (!recorded.textsSha256().equals(file.textsSha256())) {
            return new WeightedFileOrigin(Status.OTHER_ROWS, file, "--weighted " + fileName
                    + "'s " + file.count() + " rows are not the synthetic rows " + recordName
                    + " records weighting (other texts, or another order): it records other"
                    + " weights");
        }
        if (recorded.weightsSha256() == null
                || !recorded.weightsSha256().equals(file.weightsSha256())) {
            return new WeightedFileOrigin(Status.OTHER_WEIGHTS, file, "--weighted " + fileName
                    + " holds the synthetic rows " + recordName + " records, in its order, but"
                    + " not the weights that alignment wrote (edited, or written by another"
                    + " alignment of these rows), so which real rows they were fitted to is not"
                    + " recorded");
        }
        return new WeightedFileOrigin(Status.SAME, file, null);
    }

    /** No record to compare {@code file} with, for the reason {@code why}. */
    public static WeightedFileOrigin unknown(SyntheticRowsFingerprint file, String why) {
        return new WeightedFileOrigin(Status.UNKNOWN, file, why);
    }

    /**
     * The note on W's origin that the real rows' note ({@link FittedRealRows#note}) does not
     * already give, or null: where W was taken as the alignment's by its row count alone (an
     * alignment.json written before the record) while the real rows were still compared. Where
     * W is another file, the real rows' note is {@link FittedRealRows.Status#UNKNOWN} and
     * carries this reason itself. {@code test}'s stdout and the report print it alike.
     */
    public String noteBeside(FittedRealRows realRows) {
        return status == Status.UNKNOWN && why != null
                && realRows.status() != FittedRealRows.Status.UNKNOWN ? why : null;
    }

    /**
     * The finding {@code test} (a {@code test.json} or {@code test --summary}) records, or null
     * where it records none (written before the finding) or one this class did not write.
     */
    public static WeightedFileOrigin read(JsonNode test) {
        JsonNode f = test == null ? null : test.get(KEY);
        if (f == null || !f.isObject() || !f.path("rows").canConvertToInt()) {
            return null;
        }
        Status status;
        try {
            status = Status.valueOf(f.path("status").asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
        SyntheticRowsFingerprint file = new SyntheticRowsFingerprint(f.path("rows").asInt(),
                f.path("sha256").asText(null), f.path("texts_sha256").asText(null),
                f.path("weights_sha256").asText(null));
        return new WeightedFileOrigin(status, file,
                f.path("why").isTextual() ? f.path("why").asText() : null);
    }

    /** The {@value #KEY} object: {@code status}, W's {@code rows} and fingerprints, {@code why}. */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status.jsonName());
        m.put("rows", file.count());
        m.put("sha256", file.sha256());
        m.put("texts_sha256", file.textsSha256());
        m.put("weights_sha256", file.weightsSha256());
        m.put("why", why);
        return m;
    }
}
