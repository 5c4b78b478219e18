package io.synalign.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The fingerprints of real rows (texts, embeddings) and of synthetic rows and weights in order,
 * written out from their definitions (README, {@link RealRowsFingerprint},
 * {@link SyntheticRowsFingerprint}), independently of those classes: each row's bytes through a
 * {@link DataOutputStream}, digests as hex strings sorted as strings (lowercase hex sorts as
 * the unsigned bytes do), the set's digest over the hex decoded again.
 */
public final class ReferenceFingerprint {

    private ReferenceFingerprint() {
    }

    /** The row's SHA-256 as 64 lowercase hex digits. */
    public static String row(String label, String text) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            if (label == null) {
                out.writeByte(0);
            } else {
                out.writeByte(1);
                byte[] l = label.getBytes(StandardCharsets.UTF_8);
                out.writeInt(l.length);
                out.write(l);
            }
            byte[] t = text.getBytes(StandardCharsets.UTF_8);
            out.writeInt(t.length);
            out.write(t);
            return sha256Hex(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rows' digests, sorted. */
    public static List<String> rows(List<String> labels, List<String> texts) {
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            hex.add(row(labels == null ? null : labels.get(i), texts.get(i)));
        }
        hex.sort(null);
        return hex;
    }

    /**
     * An embeddings row's SHA-256 as hex: its width as a 4-byte int, then each value as a
     * float64, through {@link DataOutputStream} (big-endian).
     */
    public static String embeddingRow(double[] row) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(row.length);
            for (double v : row) {
                out.writeDouble(v);
            }
            return sha256Hex(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fingerprint of embedding rows: SHA-256 over their digests, sorted as hex strings. */
    public static String embeddingSet(double[][] rows) {
        List<String> hex = new ArrayList<>();
        for (double[] r : rows) {
            hex.add(embeddingRow(r));
        }
        hex.sort(null);
        return digestOfHex(hex);
    }

    /** Synthetic rows in the order given: SHA-256 over their digests, not sorted. */
    public static String inOrder(List<String> labels, List<String> texts) {
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            hex.add(row(labels == null ? null : labels.get(i), texts.get(i)));
        }
        return digestOfHex(hex);
    }

    /** Weights in order: SHA-256 over each written as a float64 by {@link DataOutputStream}. */
    public static String weights(double[] weights) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            for (double w : weights) {
                out.writeDouble(w);
            }
            return sha256Hex(bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SHA-256 of {@code bytes} as hex. */
    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static String digestOfHex(List<String> hex) {
        try {
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            for (String h : hex) {
                all.update(HexFormat.of().parseHex(h));
            }
            return HexFormat.of().formatHex(all.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The set's fingerprint: SHA-256 over the sorted row digests. */
    public static String set(List<String> labels, List<String> texts) {
        try {
            MessageDigest set = MessageDigest.getInstance("SHA-256");
            for (String h : rows(labels, texts)) {
                set.update(HexFormat.of().parseHex(h));
            }
            return HexFormat.of().formatHex(set.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
