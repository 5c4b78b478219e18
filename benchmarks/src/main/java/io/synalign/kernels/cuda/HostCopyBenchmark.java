package io.synalign.kernels.cuda;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The heap ↔ native copy of one staging chunk ({@link HostCopy}), the host half of every row
 * tile the CUDA backend streams up (and of every tile it brings back): one thread, as before,
 * against the copy split over the cores. Plain {@code malloc}ed memory stands in for the pinned
 * buffer (the copy is the same {@code memcpy}), so this runs on any machine, GPU or not. In the
 * backend's package because {@link HostCopy} is internal to it.
 *
 * <p>Checked in {@link #setUp}: a put and a get round-trip every value of an awkward-sized
 * chunk (just under 64 MiB), or the run fails.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HostCopyBenchmark {

    /** Floats per copy: one default staging chunk (64 MiB) less a ragged 3. */
    @Param({"16777213"})
    public int floats;

    /** Tasks: 1 is the single {@code memcpy} it replaced; 0 means one per core. */
    @Param({"1", "0"})
    public int threads;

    private float[] heap;
    private FloatPointer nativeChunk;
    private int tasks;

    @Setup(Level.Trial)
    public void setUp() {
        tasks = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        SplittableRandom random = new SplittableRandom(5);
        heap = new float[floats];
        for (int i = 0; i < floats; i++) {
            heap[i] = (float) random.nextGaussian();
        }
        nativeChunk = new FloatPointer(floats);
        HostCopy.put(heap, 0, floats, nativeChunk, 0, tasks, HostCopy.PARALLEL_FLOATS);
        float[] back = new float[floats];
        HostCopy.get(nativeChunk, 0, back, 0, floats, tasks, HostCopy.PARALLEL_FLOATS);
        for (int i = 0; i < floats; i++) {
            if (Float.floatToRawIntBits(back[i]) != Float.floatToRawIntBits(heap[i])
                    || nativeChunk.get(i) != heap[i]) {
                throw new IllegalStateException("round trip differs at float " + i);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nativeChunk.close();
    }

    /** Heap to native: a row tile into the staging buffer. */
    @Benchmark
    public long put() {
        HostCopy.put(heap, 0, floats, nativeChunk, 0, tasks, HostCopy.PARALLEL_FLOATS);
        return nativeChunk.address();
    }

    /** Native to heap: an output tile out of the staging buffer. */
    @Benchmark
    public float get() {
        HostCopy.get(nativeChunk, 0, heap, 0, floats, tasks, HostCopy.PARALLEL_FLOATS);
        return heap[floats - 1];
    }
}
