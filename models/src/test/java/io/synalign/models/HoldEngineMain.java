package io.synalign.models;

import java.io.IOException;

/**
 * Starts the encoders' ONNX Runtime engine, prints "started", and runs until its standard input
 * ends or it is killed: a live run for {@link OrtTempDirectoriesTest}.
 */
public final class HoldEngineMain {

    private HoldEngineMain() {
    }

    public static void main(String[] args) throws IOException {
        OnnxSentenceEncoder.startEngine();
        System.out.println("started");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait
        }
    }
}
