package io.synalign.models.llm;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first load of java-llama.cpp's natives in this JVM, with the one line the library prints
 * kept off stdout.
 *
 * <p>Initialising {@code de.kherud.llama.LlamaModel} runs {@code LlamaLoader.initialize}, which
 * extracts {@code libjllama.so} and prints {@code Extracted 'libjllama.so' to '...'} on
 * {@code System.out}, once per JVM: nothing else in the library writes to {@code System.out}
 * (llama.cpp's own log is native, on file descriptor 2). Stdout carries the command line's own
 * output (a summary a script parses), so that one class initialisation runs with
 * {@code System.out} replaced by a {@link StdoutOfOtherThreads}, which sends the loading thread's
 * bytes to stderr and every other thread's to stdout as before.
 *
 * <p>Process-wide state, changed once and put back: a static lock makes concurrent first opens
 * load the class once (each later {@link #load} returns at once, with {@code System.out}
 * untouched), and the stream is put back only if it is still the substitute, so a host that set
 * its own {@code System.out} meanwhile keeps it. (Swapping around every model load, as before,
 * let two overlapping loads each save the other's substitute, leaving {@code System.out} on
 * stderr for the JVM's life.)
 */
final class LlamaNatives {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaNatives.class);
    private static final String MODEL_CLASS = "de.kherud.llama.LlamaModel";
    private static final Object LOCK = new Object();
    /** Whether the model class's initialisation has been run (guarded by {@link #LOCK}). */
    private static boolean attempted;

    private LlamaNatives() {
    }

    /**
     * Initialises java-llama.cpp's model class, loading its natives, on the first call; later
     * calls return at once. A load that failed is not retried: the JVM marks the class unusable,
     * and the next {@code new LlamaModel} throws {@link NoClassDefFoundError}.
     *
     * @throws LinkageError when the natives cannot load ({@link UnsatisfiedLinkError})
     */
    static void load() {
        synchronized (LOCK) {
            if (attempted) {
                return;
            }
            attempted = true;
            privateNativeDirectory();
            PrintStream stdout = System.out;
            PrintStream substitute = StdoutOfOtherThreads.create(stdout, System.err, Thread.currentThread());
            System.setOut(substitute);
            try {
                Class.forName(MODEL_CLASS, true, LlamaNatives.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new NoClassDefFoundError(MODEL_CLASS + " (java-llama.cpp) is not on the class path");
            } finally {
                substitute.flush();
                if (System.out == substitute) {
                    System.setOut(stdout);
                }
            }
        }
    }

    /**
     * java-llama.cpp extracts its native library to {@code <tmpdir>/libjllama.so}, one path for
     * every JVM on the machine, so two runs starting together could overwrite each other's
     * library. Unless the user chose a directory ({@code -Dde.kherud.llama.tmpdir}), each JVM
     * gets its own.
     */
    private static void privateNativeDirectory() {
        if (System.getProperty("de.kherud.llama.tmpdir") != null) {
            return;
        }
        try {
            Path d = Files.createTempDirectory("synalign-jllama-");
            d.toFile().deleteOnExit();
            System.setProperty("de.kherud.llama.tmpdir", d.toString());
        } catch (IOException e) {
            LOG.debug("no private directory for the llama.cpp natives ({}); using the default", e.toString());
        }
    }
}
