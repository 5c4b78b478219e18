package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What loading a GGUF model does to {@code System.out} ({@link LlamaNatives}): java-llama.cpp's
 * one line on the first load goes to stderr, so the command line's stdout stays clean, and the
 * host's {@code System.out} is as it was after any number of loads, overlapping ones included.
 * (Swapping {@code System.out} for {@code System.err} around every load let the second of two
 * overlapping opens restore the first one's substitute: stdout on stderr for the JVM's life.)
 */
class GgufLoadStdoutTest {

    @TempDir
    static Path dir;

    /** Opens the GGUF model {@code args[0]} on two threads at once, then prints "done" on System.out. */
    public static final class TwoFirstOpens {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[0]);
            openTogether(file, 2);
            System.out.println("done");
            // Exit explicitly, as the command line does: java-llama.cpp leaves two native-attached
            // non-daemon threads behind after a model is closed, which keep a JVM whose main
            // returns alive.
            System.exit(0);
        }
    }

    /** Opens {@code file} on {@code threads} threads released together, and closes each. */
    static void openTogether(Path file, int threads) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> openers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    try (GgufChatModel m = GgufChatModel.open(file,
                            GgufChatModel.Options.defaults().withThreads(1))) {
                        // loaded
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "gguf-opener-" + i);
            t.start();
            openers.add(t);
        }
        for (Thread t : openers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("an open failed", failure.get());
        }
    }

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
        try {
            for (int pair = 0; pair < 10; pair++) {
                openTogether(file, 2);
                assertSame(out, System.out, "System.out after " + (pair + 1) + " pairs of overlapping GGUF loads is "
                        + (System.out == err ? "System.err" : "another stream"));
            }
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    /**
     * In a fresh JVM, where the natives load: java-llama.cpp's "Extracted ..." line is on stderr
     * and stdout holds only what the program printed after two concurrent first opens.
     */
    @Test
    void theFirstLoadKeepsStdoutForTheProgramsOwnOutput() throws Exception {
        Path file = TinyGgufWriter.write(dir.resolve("fresh.gguf"), TinyGgufWriter.Spec.tiny(5));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path stdout = dir.resolve("child.out");
        Path stderr = dir.resolve("child.err");
        Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                TwoFirstOpens.class.getName(), file.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM still running after 3 minutes");
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "child JVM's exit status; its stderr:\n" + err);
        assertEquals("done" + System.lineSeparator(), Files.readString(stdout, StandardCharsets.UTF_8),
                "the child's stdout; its stderr:\n" + err);
        assertTrue(err.contains("Extracted '"), "java-llama.cpp's extraction line on stderr:\n" + err);
    }

    /** The stand-in sends the diverted thread's output to stderr and another thread's to stdout. */
    @Test
    void theStandInDivertsOnlyTheLoadingThread() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream standIn = StdoutOfOtherThreads.create(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Thread.currentThread());
        standIn.println("loader's line");
        Thread host = new Thread(() -> standIn.println("host's line"), "host");
        host.start();
        host.join();
        standIn.flush();
        assertEquals("loader's line" + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
        assertEquals("host's line" + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
    }
}
