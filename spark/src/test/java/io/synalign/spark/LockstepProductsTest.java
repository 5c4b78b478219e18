package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The lockstep pass without Spark: products stubbed as H_l = diag(l + 1), D = 1. */
class LockstepProductsTest {

    /** out[l] = (l + 1) w[l] elementwise; z[l] = {sum w[l]}; fails on pass {@code failOn}. */
    private static final class Diagonal implements LockstepProducts.Products {
        final AtomicInteger passes = new AtomicInteger();
        final int failOn;
        final Throwable failure;
        double[][] lastW;

        Diagonal(int failOn, Throwable failure) {
            this.failOn = failOn;
            this.failure = failure;
        }

        @Override
        public double[][] transposeTimes(double[][] w) {
            if (passes.incrementAndGet() == failOn) {
                if (failure instanceof Error e) {
                    throw e;
                }
                throw (RuntimeException) failure;
            }
            lastW = w;
            double[][] z = new double[w.length][];
            for (int l = 0; l < w.length; l++) {
                if (w[l] != null) {
                    double s = 0;
                    for (double v : w[l]) {
                        s += v;
                    }
                    z[l] = new double[] {s};
                }
            }
            return z;
        }

        @Override
        public void times(double[][] z, double[][] out) {
            for (int l = 0; l < z.length; l++) {
                if (z[l] != null) {
                    for (int i = 0; i < out[l].length; i++) {
                        out[l][i] = (l + 1) * lastW[l][i];
                    }
                }
            }
        }
    }

    @Test
    void labelsShareOnePassAndEachGetsItsOwnProduct() throws Exception {
        Diagonal products = new Diagonal(-1, null);
        int[] sizes = {3, 2};
        LockstepProducts lockstep = new LockstepProducts(products, sizes, 2);
        double[][] out = {new double[3], new double[2]};
        double[][] z = {new double[1], new double[1]};
        Thread other = new Thread(() -> {
            lockstep.apply(1, new double[] {1, 2}, out[1], z[1]);
            lockstep.leave();
        });
        other.start();
        lockstep.apply(0, new double[] {1, 2, 3}, out[0], z[0]);
        other.join(10_000);
        lockstep.leave();
        assertEquals(1, products.passes.get(), "one pass for both labels");
        assertArrayEquals(new double[] {1, 2, 3}, out[0]);
        assertArrayEquals(new double[] {2, 4}, out[1]);
        assertArrayEquals(new double[] {6}, z[0]);
        assertArrayEquals(new double[] {3}, z[1]);
    }

    /**
     * An Error in a pass (a driver out of memory collecting the products) reaches every label
     * waiting on it; before, it escaped the pass unrecorded, and the labels woke to the previous
     * pass's results.
     */
    @Test
    void anErrorInAPassIsThrownToEveryLabelAndToLaterCalls() throws Exception {
        for (Throwable failure : new Throwable[] {new OutOfMemoryError("collect"),
                new IllegalStateException("a lost executor")}) {
            Diagonal products = new Diagonal(2, failure);
            LockstepProducts lockstep = new LockstepProducts(products, new int[] {1, 1}, 2);
            Throwable[] seen = new Throwable[2];
            Thread[] labels = new Thread[2];
            for (int l = 0; l < 2; l++) {
                int label = l;
                labels[l] = new Thread(() -> {
                    try {
                        for (int pass = 0; pass < 3; pass++) {
                            lockstep.apply(label, new double[] {1}, new double[1],
                                    new double[1]);
                        }
                    } catch (Throwable e) {
                        seen[label] = e;
                    } finally {
                        lockstep.leave();
                    }
                });
                labels[l].start();
            }
            for (Thread t : labels) {
                t.join(10_000);
            }
            assertSame(failure, seen[0], "label 0");
            assertSame(failure, seen[1], "label 1");
            assertEquals(2, products.passes.get(), "no pass after the failure");
        }
    }
}
