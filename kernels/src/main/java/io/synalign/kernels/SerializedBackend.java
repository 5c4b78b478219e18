package io.synalign.kernels;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;

/**
 * A view of a backend that is not thread-safe ({@link KernelBackend#threadSafe()} false: the
 * cuda backend, whose device keeps one cuBLAS handle, one pair of streams, pooled pinned buffers
 * and shared reduction scratch) that several threads may use at once: every call, on the backend
 * and on every operator, tracker, vector and projector it returns, runs under one lock, one at a
 * time. For callers such as a Spark executor, whose concurrent tasks share one backend per JVM;
 * a single-threaded caller should use the backend itself.
 *
 * <p>Objects handed out are wrapped the same way (a dynamic proxy per SPI interface) and
 * unwrapped again when passed back in, so the backend only ever sees its own objects.
 */
public final class SerializedBackend {

    /** The SPI types whose instances are wrapped when a call returns one. */
    private static final Set<Class<?>> WRAPPED = Set.of(KernelBackend.class,
            KernelOperator.class, FeatureOperator.class, GpVarianceTracker.class, VectorOps.class,
            CappedSimplexProjector.class, DeviceVector.class, KernelBackend.Residency.class);

    private SerializedBackend() {
    }

    /** {@code backend} with every call serialised; a thread-safe backend is returned as is. */
    public static KernelBackend wrap(KernelBackend backend) {
        if (backend.threadSafe()) {
            return backend;
        }
        return (KernelBackend) wrap(backend, KernelBackend.class, new Object());
    }

    private static Object wrap(Object target, Class<?> type, Object lock) {
        return Proxy.newProxyInstance(SerializedBackend.class.getClassLoader(),
                new Class<?>[] {type}, new Handler(target, lock));
    }

    /** Runs every call under the shared lock; wraps results, unwraps arguments. */
    private static final class Handler implements InvocationHandler {
        final Object target;
        final Object lock;

        Handler(Object target, Object lock) {
            this.target = target;
            this.lock = lock;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getName().equals("threadSafe") && method.getParameterCount() == 0) {
                return true;
            }
            Object[] real = args == null ? null : args.clone();
            if (real != null) {
                for (int i = 0; i < real.length; i++) {
                    real[i] = unwrap(real[i]);
                }
            }
            Object result;
            synchronized (lock) {
                try {
                    result = method.invoke(target, real);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
            Class<?> returned = method.getReturnType();
            if (result != null && WRAPPED.contains(returned)) {
                return wrap(result, returned, lock);
            }
            return result;
        }
    }

    /** The object behind a proxy made here, else the argument itself. */
    static Object unwrap(Object arg) {
        if (arg != null && Proxy.isProxyClass(arg.getClass())
                && Proxy.getInvocationHandler(arg) instanceof Handler h) {
            return h.target;
        }
        return arg;
    }
}
