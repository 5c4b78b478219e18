package io.synalign.engine.retrieval;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * A view of a backend that records the shape of every block of scores the retrieval classes ask
 * for ({@code innerProducts} into a buffer: their only kernel call), and can overwrite the
 * scores against chosen rows with NaN afterwards, as a float32 GEMM gives for finite rows whose
 * products overflow ({@code inf - inf}).
 */
final class RecordingBackend {

    private final List<int[]> blocks = new ArrayList<>();
    private final float[] poison;

    private RecordingBackend(float[] poison) {
        this.poison = poison;
    }

    /** Records blocks, changes nothing. */
    static RecordingBackend recording() {
        return new RecordingBackend(null);
    }

    /** Records blocks and sets to NaN every score against a second-side row equal to {@code row}. */
    static RecordingBackend nanAgainst(float[] row) {
        return new RecordingBackend(row.clone());
    }

    /** {@code backend} seen through this view. */
    KernelBackend wrap(KernelBackend backend) {
        return (KernelBackend) Proxy.newProxyInstance(RecordingBackend.class.getClassLoader(),
                new Class<?>[] {KernelBackend.class}, (proxy, m, args) -> {
                    Object result;
                    try {
                        result = m.invoke(backend, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (m.getName().equals("innerProducts")) {
                        FloatMatrix x = (FloatMatrix) args[0];
                        FloatMatrix y = (FloatMatrix) args[1];
                        synchronized (this) {
                            blocks.add(new int[] {x.rows(), y.rows()});
                        }
                        if (poison != null) {
                            IntPredicate poisoned = j -> {
                                for (int t = 0; t < y.cols(); t++) {
                                    if (y.get(j, t) != poison[t]) {
                                        return false;
                                    }
                                }
                                return true;
                            };
                            for (int j = 0; j < y.rows(); j++) {
                                if (poisoned.test(j)) {
                                    for (int i = 0; i < x.rows(); i++) {
                                        if (args[2] instanceof FloatBuffer out) {
                                            out.put(i * y.rows() + j, Float.NaN);
                                        } else {
                                            ((float[]) args[2])[i * y.rows() + j] = Float.NaN;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    return result;
                });
    }

    /** The blocks asked for, each {rows of the first side, rows of the second}, in call order. */
    synchronized List<int[]> blocks() {
        return new ArrayList<>(blocks);
    }
}
