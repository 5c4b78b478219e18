package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ForwardingKernelBackend} forwards every method of the interface, defaults included. */
class ForwardingKernelBackendTest {

    @Test
    void everyMethodOfTheInterfaceIsForwarded() {
        List<String> missing = new ArrayList<>();
        for (Method m : KernelBackend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() != KernelBackend.class) {
                continue;
            }
            try {
                Method own = ForwardingKernelBackend.class.getDeclaredMethod(m.getName(),
                        m.getParameterTypes());
                assertEquals(m.getReturnType(), own.getReturnType(), own.toString());
            } catch (NoSuchMethodException e) {
                missing.add(m.toString());
            }
        }
        assertTrue(missing.isEmpty(), "not forwarded (the interface's default would answer): "
                + missing);
    }

    @Test
    void theDelegatesAnswersAreReturned() {
        ReferenceBackend reference = new ReferenceBackend();
        KernelBackend forwarding = new ForwardingKernelBackend(reference) { };
        assertEquals(reference.name(), forwarding.name());
        assertEquals(reference.keptStorages(), forwarding.keptStorages());
        assertEquals(reference.keptKernelBytes(1_001, 37, true, KernelStorage.FLOAT32),
                forwarding.keptKernelBytes(1_001, 37, true, KernelStorage.FLOAT32));
        assertEquals(reference.residentBudgetBytes(123_456_789L),
                forwarding.residentBudgetBytes(123_456_789L));
        FloatMatrix x = FloatMatrix.zeros(3, 2);
        float[] mine = new float[9];
        float[] theirs = new float[9];
        x.data()[1] = 1.5f;
        x.data()[4] = -2f;
        forwarding.rbfBlock(x, x, 0.7, mine);
        reference.rbfBlock(x, x, 0.7, theirs);
        org.junit.jupiter.api.Assertions.assertArrayEquals(theirs, mine);
    }
}
