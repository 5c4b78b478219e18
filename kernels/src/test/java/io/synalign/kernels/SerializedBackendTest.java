package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A backend that is not thread-safe, shared by threads through {@link SerializedBackend}. */
class SerializedBackendTest {

    /**
     * The reference backend, declared not thread-safe, whose products count overlaps; every
     * other call is the reference's ({@link ForwardingKernelBackend}).
     */
    static final class Exclusive extends ForwardingKernelBackend {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        Exclusive() {
            super(new ReferenceBackend());
        }

        @Override
        public boolean threadSafe() {
            return false;
        }

        @Override
        public String name() {
            return "exclusive";
        }

        @Override
        public String description() {
            return "test";
        }

        @Override
        public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma,
                TilePlan plan) {
            KernelOperator op = delegate().rbfOperator(x, y, sigma, plan);
            return new KernelOperator() {
                @Override
                public int rows() {
                    return op.rows();
                }

                @Override
                public int cols() {
                    return op.cols();
                }

                @Override
                public boolean materialised() {
                    return false;
                }

                @Override
                public void multiply(double[] w, double[] out) {
                    int now = inFlight.incrementAndGet();
                    most.accumulateAndGet(now, Math::max);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    op.multiply(w, out);
                    inFlight.decrementAndGet();
                }

                @Override
                public void rowSums(double[] out) {
                    op.rowSums(out);
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void concurrentCallersRunOneAtATime() throws InterruptedException {
        Exclusive backend = new Exclusive();
        KernelBackend shared = SerializedBackend.wrap(backend);
        assertTrue(shared.threadSafe());
        FloatMatrix x = TestRows.clustered(20, 3, 1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try (KernelOperator op = shared.rbfOperator(x, x, 1.0, TilePlan.tiled(4))) {
                    double[] out = new double[20];
                    for (int k = 0; k < 20; k++) {
                        op.multiply(TestRows.vector(20, k), out);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertTrue(failures.isEmpty(), failures.toString());
        assertEquals(1, backend.most.get(), "products overlapped");
    }

    @Test
    void objectsHandedOutComeBackAsTheBackendsOwnAndErrorsStayTheirKind() {
        KernelBackend shared = SerializedBackend.wrap(new Exclusive());
        VectorOps ops = shared.vectors();
        try (DeviceVector a = ops.of(new double[] {1, 2, 3});
                DeviceVector b = ops.of(new double[] {4, 5, 6});
                DeviceVector c = ops.zeros(2)) {
            assertEquals(32.0, ops.dot(a, b));
            assertEquals(3, a.length());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ops.copy(a, c));
            assertTrue(e.getMessage().contains("3"), e.getMessage());
        }
        KernelBackend safe = new ReferenceBackend();
        assertSame(safe, SerializedBackend.wrap(safe));
    }
}
