package io.synalign.kernels.cuda;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP pointer to a bare address it does not own (a device address for cuBLAS, an address
 * inside a packed argument buffer): nothing is freed when it is closed or collected.
 */
final class RawPointer extends Pointer {

    RawPointer(long address) {
        this.address = address;
    }
}
