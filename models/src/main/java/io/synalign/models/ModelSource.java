package io.synalign.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the ONNX graph and the HuggingFace {@code tokenizer.json} of a model live. */
public sealed interface ModelSource {

    /** The whole ONNX graph (models stored with external data files are not supported). */
    byte[] readModel();

    /** The content of the tokenizer's {@code tokenizer.json}. */
    byte[] readTokenizer();

    /** Human-readable location, for messages. */
    String describe();

    /**
     * Two resources on the class path, e.g. inside the langchain4j embedding jars on Maven
     * Central (only their resources are used, none of their classes).
     */
    record Classpath(String modelResource, String tokenizerResource) implements ModelSource {

        public Classpath {
            if (modelResource == null || modelResource.isBlank()) {
                throw new IllegalArgumentException("modelResource must not be blank");
            }
            if (tokenizerResource == null || tokenizerResource.isBlank()) {
                throw new IllegalArgumentException("tokenizerResource must not be blank");
            }
        }

        @Override
        public byte[] readModel() {
            return read(modelResource);
        }

        @Override
        public byte[] readTokenizer() {
            return read(tokenizerResource);
        }

        @Override
        public String describe() {
            return "classpath:" + modelResource;
        }

        private static byte[] read(String resource) {
            ClassLoader loader = ModelSource.class.getClassLoader();
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + resource
                            + " is not on the class path (is its model jar a dependency?)");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read resource " + resource, e);
            }
        }
    }

    /** A directory holding {@code model.onnx} and {@code tokenizer.json}. */
    record Directory(Path path) implements ModelSource {

        public static final String MODEL_FILE = "model.onnx";
        public static final String TOKENIZER_FILE = "tokenizer.json";

        public Directory {
            if (path == null) {
                throw new IllegalArgumentException("path must not be null");
            }
            path = path.toAbsolutePath().normalize();
            for (String file : new String[] {MODEL_FILE, TOKENIZER_FILE}) {
                if (!Files.isRegularFile(path.resolve(file))) {
                    throw new IllegalArgumentException("model directory " + path
                            + " has no " + file);
                }
            }
        }

        @Override
        public byte[] readModel() {
            return read(path.resolve(MODEL_FILE));
        }

        @Override
        public byte[] readTokenizer() {
            return read(path.resolve(TOKENIZER_FILE));
        }

        @Override
        public String describe() {
            return path.toString();
        }

        private static byte[] read(Path file) {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
    }
}
