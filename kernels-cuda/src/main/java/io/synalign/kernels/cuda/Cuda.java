package io.synalign.kernels.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/** Status checks for the CUDA driver API, cuBLAS and NVRTC: a failed call throws its name. */
final class Cuda {

    private Cuda() {
    }

    /** Throws {@link CudaException} naming {@code call} unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String call) {
        if (result != CUDA_SUCCESS) {
            throw new CudaException(call + " failed: " + describe(result));
        }
    }

    /** {@code CUDA_ERROR_... (code)}, from cuGetErrorString where the driver can say. */
    static String describe(int result) {
        try (PointerPointer<BytePointer> text = new PointerPointer<>(1)) {
            if (cuGetErrorString(result, text) == CUDA_SUCCESS && text.get(0) != null) {
                return new BytePointer(text.get(0)).getString() + " (" + result + ")";
            }
        } catch (RuntimeException | LinkageError e) {
            // fall through to the bare code
        }
        return "CUDA error " + result;
    }

    static void checkBlas(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(call + " failed: cuBLAS status " + status);
        }
    }

    static void checkNvrtc(int result, String call) {
        if (result != NVRTC_SUCCESS) {
            throw new CudaException(call + " failed: " + nvrtcGetErrorString(result).getString()
                    + " (" + result + ")");
        }
    }
}
