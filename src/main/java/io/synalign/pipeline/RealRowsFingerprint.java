package io.synalign.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which real rows an alignment's weights were fitted to, recorded so that a later
 * {@code test --weighted} can tell whether its own real rows are those rows
 * ({@link FittedRealRows}). Written by {@code align} and {@code run} as {@code real_rows} in
 * {@code --summary} and {@code alignment.json}.
 *
 * <p>Definition (what {@link #ABOUT} says in the document): each row as the record reader
 * yields it, its label (null without a label field) and its text, is encoded as one byte 0 when
 * it has no label or 1 followed by the label, then the text, each string as a 4-byte big-endian
 * length and its UTF-8 bytes; the row's digest is the SHA-256 of that. The set's fingerprint
 * ({@code sha256}) is the SHA-256 of the rows' digests concatenated in ascending (unsigned
 * byte) order, and {@code count} the number of rows. Sorting makes it a fingerprint of the
 * multiset of rows, not of a file: the same rows read from a reordered, re-indented, CSV or
 * gzipped copy match, while a changed text or label, an added or a dropped row (a duplicate
 * included) does not. The length prefixes keep the encoding unambiguous (label "a b", text
 * "c" is not label "a", text "b c").
 *
 * <p>The texts alone are fingerprinted too ({@code texts_sha256}: the same construction with
 * every row's label taken as none), and for a real set of at most {@value #LISTED_ROWS} rows
 * (the few-shot side is usually far smaller) the texts' digests are listed ({@code row_digests},
 * sorted, the first {@value #ROW_DIGEST_HEX} hex digits, 64 bits, of each: a chance match among
 * 1,000 rows beside a million is about 5e-11), so that a partial overlap can be counted; above
 * that only the fingerprints and count are kept, and the document stays small. Overlap is
 * counted on texts because a two-sample test scores the texts' embeddings: the same texts read
 * under another label field, or relabelled, are still the rows the weights were fitted to.
 *
 * @param count the number of rows
 * @param sha256 the set's fingerprint, 64 lowercase hex digits
 * @param textsSha256 the fingerprint of the texts alone (labels taken as none), null when read
 *     from a document that does not record it
 * @param rowDigests the texts' digest prefixes, sorted: all of them when computed here, null
 *     when read from a document that does not list them
 */
public record RealRowsFingerprint(int count, String sha256, String textsSha256,
        List<String> rowDigests) {

    /** The most rows whose digests are listed. */
    public static final int LISTED_ROWS = 1000;

    /** Hex digits kept of each listed row digest. */
    public static final int ROW_DIGEST_HEX = 16;

    /** The definition, stated in the document itself. */
    public static final String ABOUT = "the real rows the weights were fitted to: sha256 is the"
            + " SHA-256 of the rows' SHA-256 digests concatenated in ascending byte order, each"
            + " row's digest over its label (byte 0 for none, else byte 1 and the label) and"
            + " text, each string a 4-byte big-endian length and its UTF-8 bytes, as the record"
            + " reader yields them (so a reformatted or reordered copy of the same rows"
            + " matches); texts_sha256 the same with every label taken as none; row_digests,"
            + " listed for at most " + LISTED_ROWS + " rows, the first " + ROW_DIGEST_HEX
            + " hex digits of each row's digest with its label taken as none, sorted";

    /** The JSON key under which {@code align} and {@code run} record it. */
    public static final String KEY = "real_rows";

    /**
     * The fingerprint of rows whose texts are {@code texts} and labels {@code labels} (null: no
     * label field), in any order.
     */
    public static RealRowsFingerprint of(List<String> texts, List<String> labels) {
        if (labels != null && labels.size() != texts.size()) {
            throw new IllegalArgumentException(labels.size() + " labels for " + texts.size()
                    + " texts");
        }
        byte[][] digests = new byte[texts.size()][];
        byte[][] textDigests = new byte[texts.size()][];
        for (int i = 0; i < digests.length; i++) {
            textDigests[i] = rowDigest(null, texts.get(i));
            digests[i] = labels == null ? textDigests[i] : rowDigest(labels.get(i), texts.get(i));
        }
        List<String> listed = new ArrayList<>(digests.length);
        for (byte[] d : sorted(textDigests)) {
            listed.add(HexFormat.of().formatHex(d, 0, ROW_DIGEST_HEX / 2));
        }
        return new RealRowsFingerprint(digests.length, setDigest(digests),
                setDigest(textDigests), List.copyOf(listed));
    }

    private static byte[][] sorted(byte[][] digests) {
        Arrays.sort(digests, Arrays::compareUnsigned);
        return digests;
    }

    /** The SHA-256 of {@code digests} concatenated in ascending unsigned byte order, as hex. */
    private static String setDigest(byte[][] digests) {
        MessageDigest set = newSha256();
        for (byte[] d : sorted(digests.clone())) {
            set.update(d);
        }
        return HexFormat.of().formatHex(set.digest());
    }

    /** The SHA-256 of one row, by the encoding above. */
    static byte[] rowDigest(String label, String text) {
        MessageDigest row = newSha256();
        if (label == null) {
            row.update((byte) 0);
        } else {
            row.update((byte) 1);
            update(row, label);
        }
        update(row, text);
        return row.digest();
    }

    private static void update(MessageDigest digest, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        digest.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        digest.update(bytes);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * The document's object: {@code about}, {@code count}, {@code sha256},
     * {@code texts_sha256}, {@code row_digests}.
     */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("about", ABOUT);
        m.put("count", count);
        m.put("sha256", sha256);
        m.put("texts_sha256", textsSha256);
        // Listed for a few-shot set only: the document stays small (null above).
        m.put("row_digests", count <= LISTED_ROWS ? rowDigests : null);
        return m;
    }

    /**
     * The fingerprint recorded in {@code node} (the {@link #KEY} object), or null where there is
     * none or it is not one this class wrote (a document written before the record, or edited).
     */
    public static RealRowsFingerprint fromJson(JsonNode node) {
        if (node == null || !node.path("count").canConvertToInt() || !node.path("count").isIntegralNumber()
                || !node.path("sha256").isTextual()
                || !node.path("sha256").asText().matches("[0-9a-f]{64}")) {
            return null;
        }
        List<String> listed = null;
        JsonNode rows = node.path("row_digests");
        if (rows.isArray()) {
            listed = new ArrayList<>(rows.size());
            for (JsonNode r : rows) {
                if (!r.isTextual()) {
                    return null;
                }
                listed.add(r.asText());
            }
            if (listed.size() != node.path("count").asInt()) {
                listed = null; // not this class's list: the overlap is then not counted
            }
        }
        JsonNode texts = node.path("texts_sha256");
        return new RealRowsFingerprint(node.path("count").asInt(), node.path("sha256").asText(),
                texts.isTextual() && texts.asText().matches("[0-9a-f]{64}") ? texts.asText() : null,
                listed == null ? null : List.copyOf(listed));
    }

    /**
     * How many of {@code rows} (each counted, duplicates too) have a text among these rows'
     * texts: by the listed digests, or all of them when both sides record the same texts'
     * fingerprint; -1 when that cannot be told (a side's digests not listed, the texts'
     * fingerprints differing or not recorded).
     */
    public int amongThese(RealRowsFingerprint rows) {
        if (rowDigests == null || rows.rowDigests == null) {
            return textsSha256 != null && textsSha256.equals(rows.textsSha256) ? rows.count : -1;
        }
        java.util.Set<String> mine = new java.util.HashSet<>(rowDigests);
        int n = 0;
        for (String d : rows.rowDigests) {
            n += mine.contains(d) ? 1 : 0;
        }
        return n;
    }
}
