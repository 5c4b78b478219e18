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
 * stderr for the JVM's life.) The system property {@code de.kherud.llama.tmpdir}, where the
 * loader extracts the library, is the same: set for that one class initialisation, to a
 * directory of this JVM's own, and removed after it ({@link #privateNativeDirectory} says why
 * the loader's default directory will not do).
 */
final class LlamaNatives {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaNatives.class);
    private static final String MODEL_CLASS = "de.kherud.llama.LlamaModel";
    /** Where java-llama.cpp's loader extracts its library ({@link #privateNativeDirectory}). */
    static final String TMPDIR = "de.kherud.llama.tmpdir";
    private static final Object LOCK = new Object();
    /** Whether the model class's initialisation has been run (guarded by {@link #LOCK}). */
    private static boolean attempted;
    /** Why that initialisation failed, said again by every later {@link #load}; or null. */
    private static String failure;

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
                if (failure != null) {
                    // The JVM marks the class unusable; its NoClassDefFoundError would not say why.
                    throw new UnsatisfiedLinkError(failure);
                }
                return;
            }
            attempted = true;
            String directory = privateNativeDirectory();
            PrintStream stdout = System.out;
            PrintStream substitute = StdoutOfOtherThreads.create(stdout, System.err, Thread.currentThread());
            System.setOut(substitute);
            try {
                Class.forName(MODEL_CLASS, true, LlamaNatives.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                failure = MODEL_CLASS + " (java-llama.cpp) is not on the class path";
                throw new NoClassDefFoundError(failure);
            } catch (LinkageError e) {
                failure = whyNotLoaded(e, directory != null ? directory : System.getProperty(TMPDIR));
                UnsatisfiedLinkError told = new UnsatisfiedLinkError(failure);
                told.initCause(e);
                throw told;
            } finally {
                substitute.flush();
                if (System.out == substitute) {
                    System.setOut(stdout);
                }
                // Read only by the class initialisation just run: the host's properties are put
                // back as they were, unless it set the property itself meanwhile.
                if (directory != null && directory.equals(System.getProperty(TMPDIR))) {
                    System.clearProperty(TMPDIR);
                }
            }
        }
    }

    /**
     * A failed load of the natives, worded for the user: the loader's own error names
     * {@code java.library.path}, which the user did not set, and not the directory it extracted
     * the library to, which is where it most often fails (a {@code java.io.tmpdir} mounted
     * {@code noexec}: "failed to map segment from shared object"; one not writable).
     *
     * @param directory where the library was to be extracted; null for the loader's default
     */
    static String whyNotLoaded(Throwable e, String directory) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String where = directory != null ? directory : System.getProperty("java.io.tmpdir");
        return "java-llama.cpp's native library did not load (" + root.getClass().getSimpleName()
                + ": " + String.valueOf(root.getMessage()).replaceAll("\\s+", " ").strip()
                + "); it is extracted to " + where + ", which must be writable and on a"
                + " filesystem that allows executing (not mounted noexec): name another with"
                + " -D" + TMPDIR + "=DIR";
    }

    /**
     * Gives java-llama.cpp's loader a directory of this JVM's own, unless the user chose one
     * ({@code -Dde.kherud.llama.tmpdir}). The loader of java-llama.cpp 4.2.0
     * ({@code LlamaLoader.initialize}, run once by {@code LlamaModel}'s class initialisation)
     * works in {@code de.kherud.llama.tmpdir}, or {@code java.io.tmpdir} when that is not set, a
     * directory every process on the machine shares; in it, it
     * <ol>
     *   <li>first deletes every file (and empty directory) whose name starts with
     *       {@code jllama} or {@code llama}, as "old native libs": a user's
     *       {@code /tmp/llama-3.2-1b.gguf} is gone, the very model about to be loaded included
     *       (tried: a {@code java.io.tmpdir} holding {@code llama-3.2-1b.gguf},
     *       {@code jllama-notes.txt} and {@code other.gguf} kept only {@code other.gguf});</li>
     *   <li>then copies {@code libjllama.so} from the jar to {@code <dir>/libjllama.so},
     *       replacing whatever is there, one path for every JVM on the machine, so two runs
     *       starting together overwrite the library the other is checking or loading.</li>
     * </ol>
     * The loader has no other setting (a system property is all it reads, and
     * {@code de.kherud.llama.lib.path} or {@code java.library.path} would need a library
     * extracted beforehand, by the same property's means), so the property is set: for the one
     * class initialisation only ({@link #load} removes it after, with the directory, holding the
     * loaded library, deleted when the JVM exits), so a host's system properties are as it left
     * them once the natives are in. The directory is made under {@code java.io.tmpdir}, nothing
     * is written under the user's home (which may be read-only); on a {@code java.io.tmpdir}
     * mounted {@code noexec} the library cannot be mapped from there ("failed to map segment
     * from shared object"), and the user names a directory that allows it with
     * {@code -Dde.kherud.llama.tmpdir=DIR} (left as given, used as is).
     *
     * @return the directory set, to be removed after the load; null when the user chose one or
     *     none could be made (then the loader's default)
     */
    private static String privateNativeDirectory() {
        if (System.getProperty(TMPDIR) != null) {
            return null;
        }
        try {
            Path d = Files.createTempDirectory("synalign-jllama-");
            d.toFile().deleteOnExit();
            System.setProperty(TMPDIR, d.toString());
            return d.toString();
        } catch (IOException e) {
            LOG.debug("no private directory for the llama.cpp natives ({}); using the default", e.toString());
            return null;
        }
    }
}
