package io.synalign.engine.alignment;

import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.VectorOps;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A view of a backend that keeps account of the closeable objects it hands out (operators,
 * feature operators, trackers, device vectors, projectors, residency scopes) and can fail a
 * chosen call: to check that a caller closes everything it made when a later step throws.
 * Objects handed out are dynamic proxies, unwrapped again when passed back in, so the backend
 * sees only its own objects.
 */
final class ClosingBackend {

    private static final List<Class<?>> CLOSEABLE = List.of(KernelOperator.class,
            FeatureOperator.class, GpVarianceTracker.class, DeviceVector.class,
            CappedSimplexProjector.class, KernelBackend.Residency.class);

    private final Set<Object> open = Collections.newSetFromMap(new IdentityHashMap<>());
    private final String method;
    private final int failAt;
    private int calls;

    private ClosingBackend(String method, int failAt) {
        this.method = method;
        this.failAt = failAt;
    }

    /** Counts the calls of the SPI method {@code method} (on anything); fails nothing. */
    static ClosingBackend counting(String method) {
        return new ClosingBackend(method, -1);
    }

    /** The {@code at}-th call (from 0) of the SPI method {@code method} throws instead of running. */
    static ClosingBackend failing(String method, int at) {
        return new ClosingBackend(method, at);
    }

    KernelBackend wrap(KernelBackend backend) {
        return (KernelBackend) proxy(backend, KernelBackend.class, false);
    }

    /** How often the method was called so far. */
    synchronized int calls() {
        return calls;
    }

    /** Types of the objects handed out and not closed. */
    synchronized List<String> stillOpen() {
        List<String> names = new ArrayList<>();
        for (Object o : open) {
            names.add(((Tracked) Proxy.getInvocationHandler(o)).type.getSimpleName());
        }
        return names;
    }

    private Object proxy(Object target, Class<?> type, boolean track) {
        Tracked handler = new Tracked(target, type);
        Object p = Proxy.newProxyInstance(ClosingBackend.class.getClassLoader(),
                new Class<?>[] {type}, handler);
        if (track) {
            synchronized (this) {
                open.add(p);
            }
        }
        return p;
    }

    private final class Tracked implements InvocationHandler {
        final Object target;
        final Class<?> type;

        Tracked(Object target, Class<?> type) {
            this.target = target;
            this.type = type;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals(ClosingBackend.this.method)) {
                int call;
                synchronized (ClosingBackend.this) {
                    call = calls++;
                }
                if (call == failAt) {
                    throw new IllegalStateException("injected failure of " + name + " call "
                            + call);
                }
            }
            Object[] real = args == null ? null : args.clone();
            if (real != null) {
                for (int i = 0; i < real.length; i++) {
                    if (real[i] != null && Proxy.isProxyClass(real[i].getClass())
                            && Proxy.getInvocationHandler(real[i]) instanceof Tracked t) {
                        real[i] = t.target;
                    } else if (real[i] instanceof Object[] many
                            && many.getClass().getComponentType().isInterface()) {
                        // An array of handed-out objects (KernelOperator#multiplyEach's vectors).
                        Object[] unwrapped = many.clone();
                        for (int k = 0; k < unwrapped.length; k++) {
                            if (unwrapped[k] != null && Proxy.isProxyClass(unwrapped[k].getClass())
                                    && Proxy.getInvocationHandler(unwrapped[k]) instanceof Tracked t) {
                                unwrapped[k] = t.target;
                            }
                        }
                        real[i] = unwrapped;
                    }
                }
            }
            Object result;
            try {
                result = method.invoke(target, real);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (name.equals("close") && method.getParameterCount() == 0) {
                synchronized (ClosingBackend.this) {
                    open.remove(proxy);
                }
                return result;
            }
            if (result == null) {
                return null;
            }
            for (Class<?> c : CLOSEABLE) {
                if (c.isInstance(result) && method.getReturnType() == c) {
                    return proxy(result, c, true);
                }
            }
            if (result instanceof VectorOps && method.getReturnType() == VectorOps.class) {
                return proxy(result, VectorOps.class, false);
            }
            return result;
        }
    }
}
