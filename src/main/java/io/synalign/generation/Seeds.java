package io.synalign.generation;

/** Derives independent seeds (per label, batch, group) from the run's seed with a 64-bit mix. */
public final class Seeds {

    private Seeds() {
    }

    /** A seed that depends on every part, in order (SplitMix64 finaliser per step). */
    public static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h = fmix(h ^ fmix(p + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    private static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
