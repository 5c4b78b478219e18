package io.synalign.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which synthetic rows an alignment weighted and which weights it wrote, recorded so that a
 * later {@code test --weighted W} can tell whether W is the weights the alignment wrote
 * ({@link WeightedFileOrigin}). Written by the text form of {@code align} and by {@code run} as
 * {@value #KEY} in {@code --summary} and {@code alignment.json}.
 *
 * <p>Definition (what {@link #ABOUT} says in the document): each row's digest is that of
 * {@link RealRowsFingerprint} (its label, byte 0 for none, and text, each string a 4-byte
 * big-endian length and its UTF-8 bytes, as the record reader yields them; the same code, not
 * a copy). {@code sha256} is the SHA-256 of the rows' digests concatenated <em>in the order
 * weighted</em> (the order of {@code --out}), {@code texts_sha256} the same with every label
 * taken as none, and {@code weights_sha256} the SHA-256 of the weights written, in the same
 * order, each an IEEE-754 float64 in 8 big-endian bytes.
 *
 * <p>Why in order, where the real side is order-free: the synthetic file is streamed, never
 * held (10^7 records cost their labels and weights, not their texts), and an order-free set
 * digest must sort every row's 32-byte digest, 320 MB for 10^7 rows, where an ordered digest
 * costs nothing; and the weights are a vector in that order, so rows and weights fingerprinted
 * in the same order pair each weight with its row. Align writes W in that order, so a W that
 * was reordered reads as other rows (said as such, not as the alignment's). The weights are
 * compared exactly: JSON and CSV numbers as written ({@code Double.toString}, Jackson) read
 * back to the same float64.
 *
 * @param count the number of rows
 * @param sha256 the rows' fingerprint in order, 64 lowercase hex digits
 * @param textsSha256 the same with every label taken as none
 * @param weightsSha256 the weights' fingerprint, null where none is recorded
 */
public record SyntheticRowsFingerprint(int count, String sha256, String textsSha256,
        String weightsSha256) {

    /** The JSON key under which {@code align} and {@code run} record it. */
    public static final String KEY = "synthetic_rows";

    /** The definition, stated in the document itself. */
    public static final String ABOUT = "the synthetic rows weighted and the weights written,"
            + " in the order weighted (that of the weighted output): sha256 is the SHA-256 of"
            + " the rows' SHA-256 digests concatenated in that order, each row's digest as"
            + " real_rows defines it (label and text); texts_sha256 the same with every label"
            + " taken as none; weights_sha256 the SHA-256 of the weights in the same order,"
            + " each an IEEE-754 float64 in 8 big-endian bytes";

    private static final String HEX64 = "[0-9a-f]{64}";

    /** Takes rows one at a time, in the order weighted, holding nothing per row. */
    public static final class Builder {
        private final MessageDigest rows = RealRowsFingerprint.newSha256();
        private final MessageDigest texts = RealRowsFingerprint.newSha256();
        private int count;

        /** The next row: its label (null: no label field) and text. */
        public void add(String label, String text) {
            byte[] textDigest = RealRowsFingerprint.rowDigest(null, text);
            texts.update(textDigest);
            rows.update(label == null ? textDigest : RealRowsFingerprint.rowDigest(label, text));
            count++;
        }

        /** The fingerprint of the rows added, without weights (the builder is then spent). */
        public SyntheticRowsFingerprint build() {
            return new SyntheticRowsFingerprint(count, HexFormat.of().formatHex(rows.digest()),
                    HexFormat.of().formatHex(texts.digest()), null);
        }
    }

    /**
     * These rows weighted by {@code weights}, one per row, in the same order.
     *
     * @throws IllegalArgumentException when the counts differ
     */
    public SyntheticRowsFingerprint weighted(double[] weights) {
        if (weights.length != count) {
            throw new IllegalArgumentException(weights.length + " weights for " + count
                    + " rows");
        }
        return new SyntheticRowsFingerprint(count, sha256, textsSha256, weightsSha256(weights));
    }

    /** A builder for rows given one at a time. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The fingerprint of rows whose texts are {@code texts} and labels {@code labels} (null: no
     * label field), in this order, weighted by {@code weights}.
     */
    public static SyntheticRowsFingerprint of(List<String> texts, List<String> labels,
            double[] weights) {
        if (labels != null && labels.size() != texts.size()) {
            throw new IllegalArgumentException(labels.size() + " labels for " + texts.size()
                    + " texts");
        }
        Builder b = builder();
        for (int i = 0; i < texts.size(); i++) {
            b.add(labels == null ? null : labels.get(i), texts.get(i));
        }
        return b.build().weighted(weights);
    }

    /** The SHA-256 of {@code weights}, each as 8 big-endian bytes of its float64, as hex. */
    static String weightsSha256(double[] weights) {
        MessageDigest digest = RealRowsFingerprint.newSha256();
        ByteBuffer value = ByteBuffer.allocate(Double.BYTES); // big-endian
        for (double w : weights) {
            value.clear();
            digest.update(value.putDouble(w).array());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The document's object: {@code about}, {@code count}, the three fingerprints. */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("about", ABOUT);
        m.put("count", count);
        m.put("sha256", sha256);
        m.put("texts_sha256", textsSha256);
        m.put("weights_sha256", weightsSha256);
        return m;
    }

    /**
     * The fingerprint recorded in {@code node} (the {@value #KEY} object), or null where there
     * is none or it is not one this class wrote (a document written before the record, or
     * edited).
     */
    public static SyntheticRowsFingerprint fromJson(JsonNode node) {
        if (node == null || !node.path("count").isIntegralNumber()
                || !node.path("count").canConvertToInt() || node.path("count").asInt() < 0) {
            return null;
        }
        String rows = hex(node.path("sha256"));
        String texts = hex(node.path("texts_sha256"));
        if (rows == null || texts == null) {
            return null;
        }
        return new SyntheticRowsFingerprint(node.path("count").asInt(), rows, texts,
                hex(node.path("weights_sha256")));
    }

    private static String hex(JsonNode n) {
        return n.isTextual() && n.asText().matches(HEX64) ? n.asText() : null;
    }
}
