package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review 22 (embedded use), reproduction: {@link GgufChatModel#open} swaps the process-wide
 * {@code System.out} for {@code System.err} while llama.cpp loads and puts back the stream it
 * saw on entry. Two opens that overlap (two threads of one JVM each loading a model) leave
 * {@code System.out} pointing at stderr for the rest of the JVM's life: the second open saved
 * the first one's substitute and restores it last. (Meanwhile, every other thread's
 * {@code System.out.println} during any load goes to stderr.)
 */
class Review22GgufStdoutTest {

    @TempDir
    static Path dir;

    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void overlappingOpensLeaveSystemOutAsItWas() throws Exception {
        Path file = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        // Stand-ins, so the test neither loses the build's stdout nor depends on what it is.
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true);
        PrintStream err = new PrintStream(new ByteArrayOutputStream(), true);
        System.setOut(out);
        System.setErr(err);
        int overlapped = 0;
        try {
            // Twenty pairs of opens, the second started inside the first one's swap where the
            // timing allows (the loads are short); stops at the first pair that loses stdout.
            for (int attempt = 0; attempt < 20 && System.out == out; attempt++) {
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread first = new Thread(() -> {
                    try (GgufChatModel m = GgufChatModel.open(file,
                            GgufChatModel.Options.defaults().withThreads(1))) {
                        // loaded
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }, "review22-first-open");
                first.start();
                while (System.out != err && first.isAlive()) {
                    Thread.onSpinWait();
                }
                overlapped += System.out == err ? 1 : 0;
                try (GgufChatModel m = GgufChatModel.open(file,
                        GgufChatModel.Options.defaults().withThreads(1))) {
                    // loaded
                }
                first.join();
                if (failure.get() != null) {
                    throw new AssertionError("first open failed", failure.get());
                }
            }
            assertTrue(overlapped > 0, "no overlapping opens in 20 tries");
            assertSame(out, System.out, "System.out after two overlapping GGUF loads is "
                    + (System.out == err ? "System.err" : "another stream"));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }
}
