package io.synalign.models;

/**
 * Starts the encoders' ONNX Runtime engine, as the first thing the JVM does with ONNX Runtime,
 * and prints where its native libraries were loaded from ({@code onnxruntime.native.path}, or
 * "jar" when ONNX Runtime copied them itself).
 */
public final class StartEngineMain {

    private StartEngineMain() {
    }

    public static void main(String[] args) {
        OnnxSentenceEncoder.startEngine();
        String path = System.getProperty(OrtNativeLibraries.NATIVE_PATH);
        System.out.println("loaded from " + (path == null ? "jar" : path));
    }
}
