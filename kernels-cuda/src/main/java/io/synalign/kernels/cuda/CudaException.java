package io.synalign.kernels.cuda;

/** A CUDA driver, cuBLAS or NVRTC call returned an error; the message names the call and code. */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaException(String message) {
        super(message);
    }
}
