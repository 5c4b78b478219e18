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
 * <p>The embeddings form of {@code align} ({@code --real-embeddings R.npy}) has no records, so
 * its real rows are fingerprinted as embeddings ({@link #ofEmbeddings}, {@code kind}
 * {@value #EMBEDDINGS}, {@link #EMBEDDINGS_ABOUT}): the same set construction over digests of
 * the rows' values, widened to float64 as the file holds them (before any centring), so that a
 * reordered copy, or a float64 copy of a float32 file, is the same set. Order-free, as the text
 * side, because the fit does not depend on the real rows' order; over values rather than the
 * file's bytes, because the dtype and byte order of a copy do not change the rows the weights
 * were fitted to. Its rows are not listed (no record would be compared with them row by row).
 * A text fingerprint and an embeddings one are never compared ({@link #amongThese},
 * {@link FittedRealRows#compare}): a document written before {@code kind} was recorded holds
 * texts, the only kind then written.
 *
 * @param kind {@value #TEXTS} or {@value #EMBEDDINGS}: what the rows were
 * @param count the number of rows
 * @param sha256 the set's fingerprint, 64 lowercase hex digits
 * @param textsSha256 the fingerprint of the texts alone (labels taken as none), null when read
 *     from a document that does not record it
 * @param rowDigests the texts' digest prefixes, sorted: all of them when computed here, null
 *     when read from a document that does not list them
 */
public record RealRowsFingerprint(String kind, int count, String sha256, String textsSha256,
        List<String> rowDigests) {

    /** The kind of a fingerprint of text records (label and text). */
    public static final String TEXTS = "texts";

    /** The kind of a fingerprint of embedding rows (the embeddings form of align). */
    public static final String EMBEDDINGS = "embeddings";

    /** @throws IllegalArgumentException for a kind other than {@value #TEXTS} and {@value #EMBEDDINGS} */
    public RealRowsFingerprint {
        if (!TEXTS.equals(kind) && !EMBEDDINGS.equals(kind)) {
            throw new IllegalArgumentException("kind " + kind + ": " + TEXTS + " or " + EMBEDDINGS);
        }
    }

    /** A fingerprint of text records. */
    public RealRowsFingerprint(int count, String sha256, String textsSha256,
            List<String> rowDigests) {
        this(TEXTS, count, sha256, textsSha256, rowDigests);
    }

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

    /** The definition of the embeddings kind, stated in the document itself. */
    public static final String EMBEDDINGS_ABOUT = "the real embeddings the weights were fitted"
            + " to (--real-embeddings), kind embeddings, never compared with a texts"
            + " fingerprint: sha256 is the SHA-256 of the rows' SHA-256 digests concatenated in"
            + " ascending byte order, each row's digest over its width as a 4-byte big-endian"
            + " integer and then its values as the file holds them (before any centring),"
            + " each widened to float64 (exact for float32) as 8 big-endian IEEE-754 bytes (so"
            + " a reordered copy, or the same values in another dtype or byte order, matches,"
            + " and any changed value does not); count is the number of rows";

    /** Reads one row of an embeddings matrix, in float64, as the file holds it. */
    @FunctionalInterface
    public interface RowReader {
        void read(long row, double[] out);
    }

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

    /**
     * The fingerprint of the {@code rows} x {@code cols} embeddings {@code reader} reads, in any
     * row order ({@link #EMBEDDINGS_ABOUT}).
     */
    public static RealRowsFingerprint ofEmbeddings(int rows, int cols, RowReader reader) {
        byte[][] digests = new byte[rows][];
        double[] row = new double[cols];
        // ByteBuffer writes big-endian, as the definition states.
        ByteBuffer bytes = ByteBuffer.allocate(4 + 8 * cols);
        for (int i = 0; i < rows; i++) {
            reader.read(i, row);
            bytes.clear();
            bytes.putInt(cols);
            for (double v : row) {
                bytes.putDouble(v);
            }
            digests[i] = newSha256().digest(bytes.array());
        }
        return new RealRowsFingerprint(EMBEDDINGS, rows, setDigest(digests), null, null);
    }

    /** Whether these are rows of text records (else embeddings). */
    public boolean ofTexts() {
        return TEXTS.equals(kind);
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

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * The document's object: {@code about}, {@code kind}, {@code count}, {@code sha256}, and for
     * texts {@code texts_sha256}, {@code row_digests}.
     */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("about", ofTexts() ? ABOUT : EMBEDDINGS_ABOUT);
        m.put("kind", kind);
        m.put("count", count);
        m.put("sha256", sha256);
        if (!ofTexts()) {
            return m;
        }
        m.put("texts_sha256", textsSha256);
        // Listed for a few-shot set only: the document stays small (null above).
        m.put("row_digests", count <= LISTED_ROWS ? rowDigests : null);
        return m;
    }

    /**
     * The fingerprint recorded in {@code node} (the {@link #KEY} object), or null where there is
     * none or it is not one this class wrote (a document written before the record, or edited).
     * A record without {@code kind} (written before it was) is of texts.
     */
    public static RealRowsFingerprint fromJson(JsonNode node) {
        if (node == null || !node.path("count").canConvertToInt() || !node.path("count").isIntegralNumber()
                || !node.path("sha256").isTextual()
                || !node.path("sha256").asText().matches("[0-9a-f]{64}")) {
            return null;
        }
        JsonNode kind = node.path("kind");
        if (kind.isTextual() && kind.asText().equals(EMBEDDINGS)) {
            return new RealRowsFingerprint(EMBEDDINGS, node.path("count").asInt(),
                    node.path("sha256").asText(), null, null);
        }
        if (!kind.isMissingNode() && !(kind.isTextual() && kind.asText().equals(TEXTS))) {
            return null; // a kind this class does not write: nothing to compare with
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
     * fingerprints differing or not recorded, rows of another kind).
     */
    public int amongThese(RealRowsFingerprint rows) {
        if (!kind.equals(rows.kind)) {
            return -1;
        }
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
