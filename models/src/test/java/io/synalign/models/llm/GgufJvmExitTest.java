package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program that uses a GGUF model ends when its {@code main} returns, as any Java program does,
 * although java-llama.cpp leaves each model's task-loop thread attached to the JVM as a
 * non-daemon thread ({@link LlamaLoopThreads}): each child JVM's main returns without
 * {@code System.exit}, and must end by itself (before, it waited for ever).
 */
class GgufJvmExitTest {

    @TempDir
    static Path dir;
    private static Path file;

    @BeforeAll
    static void writeModel() throws Exception {
        file = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(7));
    }

    /** Opens the model {@code args[0]}, asks it one short request, closes it, prints "closed" and returns. */
    public static final class OpenAskClose {
        public static void main(String[] args) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("hook ran")));
            try (GgufChatModel m = GgufChatModel.open(Path.of(args[0]),
                    GgufChatModel.Options.defaults().withThreads(1))) {
                m.complete(ChatRequest.of(List.of(ChatMessage.user("hi")), new SamplingParams(1.0, null, 3, 5L),
                        null));
            }
            System.out.println("closed");
            if (args.length > 1) {
                throw new IllegalStateException(args[1]);
            }
        }
    }

    /**
     * Opens and closes the model {@code args[0]}, then leaves a non-daemon thread working after
     * {@code main} has returned: it waits until the JVM is waiting for it (its DestroyJavaVM
     * thread is there) and for ten of the exit watcher's polls more, then prints "worker done".
     */
    public static final class WorkerOutlivesMain {
        public static void main(String[] args) {
            try (GgufChatModel m = GgufChatModel.open(Path.of(args[0]),
                    GgufChatModel.Options.defaults().withThreads(1))) {
                // loaded
            }
            Thread worker = new Thread(() -> {
                try {
                    while (Thread.getAllStackTraces().keySet().stream()
                            .noneMatch(t -> t.getName().equals(LlamaLoopThreads.DESTROY_JVM))) {
                        Thread.sleep(10);
                    }
                    Thread.sleep(10 * LlamaLoopThreads.POLL_MILLIS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                System.out.println("worker done");
            }, "host-worker");
            worker.start();
        }
    }

    @Test
    void aProgramThatOpensAsksAndClosesAModelEndsWhenMainReturns() throws Exception {
        GgufLoadStdoutTest.Child c = GgufLoadStdoutTest.Child.run(dir, OpenAskClose.class, file.toString());
        assertEquals(0, c.status(), "exit status; stderr:\n" + c.err());
        String nl = System.lineSeparator();
        assertEquals("closed" + nl + "hook ran" + nl, c.out(), "stdout (the shutdown hook ran at the exit)");
    }

    @Test
    void aMainEndingWithAnUncaughtExceptionExitsWithStatus1AsWithoutAModel() throws Exception {
        GgufLoadStdoutTest.Child c = GgufLoadStdoutTest.Child.run(dir, OpenAskClose.class, file.toString(),
                "main's own failure");
        assertEquals(1, c.status(), "exit status; stderr:\n" + c.err());
        assertTrue(c.err().contains("Exception in thread \"main\" java.lang.IllegalStateException: main's own failure"),
                "the launcher's report of main's exception on stderr:\n" + c.err());
        String nl = System.lineSeparator();
        assertEquals("closed" + nl + "hook ran" + nl, c.out(), "stdout");
    }

    @Test
    void theJvmWaitsForTheProgramsOwnThreadsAsWithoutAModel() throws Exception {
        GgufLoadStdoutTest.Child c = GgufLoadStdoutTest.Child.run(dir, WorkerOutlivesMain.class, file.toString());
        assertEquals(0, c.status(), "exit status; stderr:\n" + c.err());
        assertEquals("worker done" + System.lineSeparator(), c.out(),
                "stdout: the worker finished before the JVM ended");
    }
}
