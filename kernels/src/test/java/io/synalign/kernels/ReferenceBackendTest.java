package io.synalign.kernels;

import org.junit.jupiter.api.Test;

/**
 * The operator checks of {@link BackendContractTest} on the {@link
 * io.synalign.kernels.reference.ReferenceBackend} itself, which the contract holds every other
 * backend to and so does not run as a backend under test: closed operators refuse work, bad
 * lengths get the shared messages, empty operators answer with zeros.
 */
class ReferenceBackendTest {

    private final KernelBackend reference = BackendContractTest.REFERENCE;

    @Test
    void closedOperatorsRefuseWork() {
        BackendContractTest.assertClosedOperatorsRefuseWork(reference);
    }

    @Test
    void operatorsRejectBadLengthsWithTheSharedMessages() {
        BackendContractTest.assertOperatorsRejectBadLengths(reference);
    }

    @Test
    void emptyOperatorsGiveZeros() {
        BackendContractTest.assertEmptyOperatorsGiveZeros(reference);
    }
}
