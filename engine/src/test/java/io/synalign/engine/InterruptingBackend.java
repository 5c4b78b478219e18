package io.synalign.engine;

import io.synalign.kernels.KernelBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * A view of a backend that interrupts the calling thread when the {@code at}-th call (from 1)
 * of one SPI method returns, and counts the calls of that method made after it: a deterministic
 * place for an interrupt inside a tiled pass, for the cancellation tests (no timing).
 */
public final class InterruptingBackend {

    private final String method;
    private final int at;
    private int calls;
    private int callsAfter;
    private boolean interrupted;

    private InterruptingBackend(String method, int at) {
        this.method = method;
        this.at = at;
    }

    /** Interrupts the caller when the {@code at}-th call of {@code method} returns. */
    public static InterruptingBackend at(String method, int at) {
        return new InterruptingBackend(method, at);
    }

    /** {@code backend} seen through this view. */
    public KernelBackend wrap(KernelBackend backend) {
        return (KernelBackend) Proxy.newProxyInstance(InterruptingBackend.class.getClassLoader(),
                new Class<?>[] {KernelBackend.class}, (proxy, m, args) -> {
                    boolean counted = m.getName().equals(method);
                    synchronized (this) {
                        if (counted) {
                            calls++;
                            if (interrupted) {
                                callsAfter++;
                            }
                        }
                    }
                    Object result;
                    try {
                        result = m.invoke(backend, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    synchronized (this) {
                        if (counted && calls == at) {
                            interrupted = true;
                            Thread.currentThread().interrupt();
                        }
                    }
                    return result;
                });
    }

    /** Whether the interrupt was made. */
    public synchronized boolean interrupted() {
        return interrupted;
    }

    /** Calls of the method made after the interrupt. */
    public synchronized int callsAfter() {
        return callsAfter;
    }

    /** Calls of the method in all. */
    public synchronized int calls() {
        return calls;
    }
}
