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
            // and returns: the JVM ends by itself although java-llama.cpp leaves the models' loop
            // threads attached (GgufJvmExitTest)
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
        Child c = Child.run(dir, TwoFirstOpens.class, file.toString());
        assertEquals(0, c.status(), "child JVM's exit status; its stderr:\n" + c.err());
        assertEquals("done" + System.lineSeparator(), c.out(), "the child's stdout; its stderr:\n" + c.err());
        assertTrue(c.err().contains("Extracted '"), "java-llama.cpp's extraction line on stderr:\n" + c.err());
    }

    /** What a child JVM that ran to its end printed, and its exit status. */
    record Child(int status, String out, String err) {

        /**
         * Runs {@code main} of {@code mainClass} in a fresh JVM on this class path and waits for it
         * to end by itself: one still running after 3 minutes (a hang guard, not a timing) fails
         * the test, killed.
         */
        static Child run(Path dir, Class<?> mainClass, String... args) throws Exception {
            return run(dir, List.of(), mainClass, args);
        }

        /** {@link #run(Path, Class, String...)} with {@code jvmOptions} (e.g. {@code -Dname=value}) before the class. */
        static Child run(Path dir, List<String> jvmOptions, Class<?> mainClass, String... args) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path stdout = Files.createTempFile(dir, "child", ".out");
            Path stderr = Files.createTempFile(dir, "child", ".err");
            List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                    .start();
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM " + mainClass.getSimpleName()
                        + " still running after 3 minutes; its stdout:\n" + Files.readString(stdout)
                        + "\nits stderr:\n" + Files.readString(stderr));
            }
            return new Child(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        }
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
