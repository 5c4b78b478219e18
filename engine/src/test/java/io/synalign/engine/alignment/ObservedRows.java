package io.synalign.engine.alignment;

import io.synalign.kernels.RowSource;

/**
 * A {@link RowSource} for tests: forwards to another source, tells a listener of every read
 * (first row, row count) before it forwards it, and may claim another stored width per value
 * (as a float64 file would).
 */
public final class ObservedRows implements RowSource {

    /** Told of each read. */
    @FunctionalInterface
    public interface Reads {
        void read(long start, int count);
    }

    private final RowSource source;
    private final String name;
    private final Reads reads;
    private final int bytesPerValue;

    private ObservedRows(RowSource source, String name, Reads reads, int bytesPerValue) {
        this.source = source;
        this.name = name;
        this.reads = reads;
        this.bytesPerValue = bytesPerValue;
    }

    /** {@code source}'s rows, each read told to {@code reads} first. */
    public static ObservedRows of(RowSource source, String name, Reads reads) {
        return new ObservedRows(source, name, reads, source.bytesPerStoredValue());
    }

    /** The same rows, claiming {@code bytes} per stored value. */
    public ObservedRows storingBytesPerValue(int bytes) {
        return new ObservedRows(source, name, reads, bytes);
    }

    @Override
    public long rows() {
        return source.rows();
    }

    @Override
    public int cols() {
        return source.cols();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void read(long start, int count, float[] out) {
        reads.read(start, count);
        source.read(start, count, out);
    }

    @Override
    public int bytesPerStoredValue() {
        return bytesPerValue;
    }
}
