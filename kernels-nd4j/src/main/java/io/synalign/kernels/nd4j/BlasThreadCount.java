package io.synalign.kernels.nd4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.presets.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenBLAS's process-wide thread count, read and set as ND4J's {@code CpuBlas} does, but set in
 * well under a microsecond.
 *
 * <p>Why: ND4J's {@code setMaxThreads} calls the binding's {@code blas_set_num_threads}, which on
 * every call runs {@code Loader.load} of the binding (property files, a library-link check per
 * library: file-system calls) and four {@code dlsym} lookups before it calls the one function:
 * about 190 us a call on the build VM. {@link PinnedWorkers} sets the count twice per run, and an
 * {@code exact} fit runs a pinned product every iteration, so at n = 16,000 (about 10 ms an
 * iteration on a working set) that was 4 % of the fit. Here the function is looked up once, the
 * way the binding looks it up (OpenBLAS's {@code openblas_set_num_threads}, found among the
 * loaded libraries by name), and called through one function pointer kept for the process; the
 * binding's record of the count, which {@code getMaxThreads} returns, is written as the binding
 * writes it, so ND4J and the tests read what is set.
 *
 * <p>Falls back to the binding's own setter (slow, and the same effect) where that record cannot
 * be written or where the process has MKL loaded (the binding then sets MKL's counts too, which
 * this class does not know how to), and says so once in the log.
 */
final class BlasThreadCount {

    private static final Logger LOG = LoggerFactory.getLogger(BlasThreadCount.class);

    /** OpenBLAS's setter, or null to use the binding's. */
    private static final openblas_nolapack.SetNumThreads SETTER;
    /** The binding's record of the count ({@code openblas_nolapack.maxThreads}), or null. */
    private static final VarHandle RECORD;

    static {
        openblas_nolapack.SetNumThreads setter = null;
        VarHandle record = null;
        String fallback = null;
        try {
            // The binding's class initialiser has loaded the libraries by the time ND4J's does.
            Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            if (Loader.addressof("MKL_Set_Num_Threads") != null
                    || Loader.addressof("MKL_Set_Num_Threads_Local") != null
                    || Loader.addressof("MKL_Domain_Set_Num_Threads") != null) {
                fallback = "MKL is loaded";
            } else {
                Pointer function = Loader.addressof("openblas_set_num_threads");
                if (function == null) {
                    fallback = "openblas_set_num_threads not found";
                } else {
                    record = MethodHandles.privateLookupIn(openblas_nolapack.class,
                                    MethodHandles.lookup())
                            .findStaticVarHandle(openblas_nolapack.class, "maxThreads", int.class);
                    // The binding's function-pointer type; its constructor is protected.
                    setter = new openblas_nolapack.SetNumThreads() { };
                    setter.put(function);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            setter = null;
            record = null;
            fallback = e.toString();
        }
        if (fallback != null) {
            LOG.info("BLAS thread count: set through the OpenBLAS binding's own setter (about"
                    + " 0.2 ms a call) because {}", fallback);
        }
        SETTER = setter;
        RECORD = record;
    }

    private BlasThreadCount() {
    }

    /** The count as ND4J reads it ({@code Nd4j.factory().blas().getMaxThreads()}). */
    static int get() {
        return Nd4j.factory().blas().getMaxThreads();
    }

    /** Sets OpenBLAS to {@code threads} threads, for the whole process. */
    static void set(int threads) {
        if (SETTER == null) {
            Nd4j.factory().blas().setMaxThreads(threads);
            return;
        }
        SETTER.call(threads);
        RECORD.setVolatile(threads);
    }

    /** Whether {@link #set} takes the fast path (for tests and the log). */
    static boolean direct() {
        return SETTER != null;
    }
}
