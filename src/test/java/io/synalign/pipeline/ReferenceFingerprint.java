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
 * The fingerprint of a set of real rows written out from its definition (README,
 * {@link RealRowsFingerprint}), independently of that class: each row's bytes through a
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
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
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
