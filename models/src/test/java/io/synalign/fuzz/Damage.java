package io.synalign.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/** Random damage for fuzz tests: 1 to 4 edits of a valid input. */
public final class Damage {

    private Damage() {
    }

    /**
     * A damaged copy of {@code valid}: bytes flipped, the input cut, runs of brackets, digits,
     * quotes and line breaks, or invalid UTF-8 spliced in, or a span duplicated.
     */
    public static byte[] damage(byte[] valid, Random r) {
        byte[] b = valid.clone();
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            if (b.length == 0) {
                b = new byte[] {(byte) r.nextInt(256)};
                continue;
            }
            int at = r.nextInt(b.length);
            switch (r.nextInt(7)) {
                case 0 -> b[at] = (byte) r.nextInt(256);
                case 1 -> b = Arrays.copyOf(b, at);
                case 2 -> b = splice(b, at, repeat("[(", r.nextInt(3000)));
                case 3 -> b = splice(b, at, repeat("9", r.nextInt(200)));
                case 4 -> b = splice(b, at, new byte[] {'"', '\'', '\\', ',', '\n', '\r', '{', '}'});
                case 5 -> b = splice(b, at, new byte[] {(byte) 0xC3, (byte) 0xED, (byte) 0xA0,
                        (byte) 0x80, (byte) 0xFF, 0});
                default -> {
                    int len = Math.min(b.length - at, 1 + r.nextInt(64));
                    b = splice(b, at, Arrays.copyOfRange(b, at, at + len));
                }
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, byte[] insert) {
        byte[] out = new byte[b.length + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at, out, at + insert.length, b.length - at);
        return out;
    }

    private static byte[] repeat(String s, int n) {
        return s.repeat(n).getBytes(StandardCharsets.US_ASCII);
    }
}
