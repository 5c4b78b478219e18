package io.synalign.kernels;

import java.lang.management.ManagementFactory;

/**
 * Sizes of Java heap objects, for {@link FeatureOperator#heapBytes}: the rules Spark's
 * {@code SizeEstimator} applies on a 64-bit HotSpot JVM, so that an operator's own count and a
 * walk of its objects agree. An object is a header (12 bytes with compressed ordinary object
 * pointers, the default below a 32 GiB heap, else 16) and its fields; an array a header 4 bytes
 * longer and its elements; a reference 4 bytes (8 without compressed pointers); each object
 * rounded up to 8 bytes. O(1); the flag is read once.
 */
public final class HeapBytes {

    private static final boolean COMPRESSED = compressedOops();
    private static final int HEADER = COMPRESSED ? 12 : 16;
    /** Bytes of one reference field or array element. */
    public static final int REFERENCE = COMPRESSED ? 4 : 8;

    private HeapBytes() {
    }

    /** An array of {@code length} elements of {@code elementBytes} each (references: {@link #REFERENCE}). */
    public static long array(long length, int elementBytes) {
        return align(HEADER + 4 + length * elementBytes);
    }

    /** An object with {@code references} reference fields and {@code primitiveBytes} of others. */
    public static long object(int references, int primitiveBytes) {
        return align(HEADER + (long) references * REFERENCE + primitiveBytes);
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    /** Whether the JVM compresses its object pointers (true where it cannot be asked). */
    private static boolean compressedOops() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean bean = ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null || Boolean.parseBoolean(
                    bean.getVMOption("UseCompressedOops").getValue());
        } catch (RuntimeException | LinkageError e) {
            return true; // not HotSpot: the common layout
        }
    }
}
