package io.synalign.models;

/** Where ONNX Runtime executes the model. */
public enum ExecutionDevice {
    /** ONNX Runtime's default CPU execution provider (artifact {@code onnxruntime}). */
    CPU,
    /**
     * The CUDA execution provider. Needs the {@code onnxruntime_gpu} artifact (Maven profile
     * {@code onnxruntime-gpu}) and CUDA 12 + cuDNN 9 on the library path; loading fails with an
     * {@link IllegalStateException} when the runtime on the classpath does not offer it.
     */
    CUDA
}
