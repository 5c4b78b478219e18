package io.synalign.models;

import java.io.IOException;

/**
 * Prepares ONNX Runtime's native libraries as an encoder's load does before ONNX Runtime starts
 * ({@link OrtNativeLibraries#prepare()}), prints "prepared " and where they will be loaded from,
 * and runs until its standard input ends or it is killed: a run that {@link
 * OrtTempDirectoriesTest} kills once its libraries are copied, before ONNX Runtime loads them.
 */
public final class PrepareNativesMain {

    private PrepareNativesMain() {
    }

    public static void main(String[] args) throws IOException {
        OrtNativeLibraries.prepare();
        System.out.println("prepared " + System.getProperty(OrtNativeLibraries.NATIVE_PATH));
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait
        }
    }
}
