package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where java-llama.cpp's natives are extracted ({@link LlamaNatives}), in fresh JVMs, where they
 * load: its loader first deletes every file named {@code llama*} or {@code jllama*} in the
 * directory it extracts to, which by default is {@code java.io.tmpdir}, so the first GGUF open
 * gives it a directory of the JVM's own through {@code de.kherud.llama.tmpdir}, for the load
 * only: after it, the property is as the host left it (unset, or the host's own directory,
 * which is then used as given).
 */
class GgufNativesDirectoryTest {

    @TempDir
    Path dir;

    /**
     * Opens the GGUF model {@code args[0]}, closes it, and prints {@code de.kherud.llama.tmpdir}
     * as it is after the open.
     */
    public static final class OpenAndTell {
        public static void main(String[] args) {
            try (GgufChatModel m = GgufChatModel.open(Path.of(args[0]),
                    GgufChatModel.Options.defaults().withThreads(1))) {
                System.out.println("property: " + System.getProperty(LlamaNatives.TMPDIR));
            }
        }
    }

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /**
     * A {@code java.io.tmpdir} holding a user's files named as the loader's old libraries are,
     * the model to load among them: all kept, the model loaded, the property unset after the
     * load, and the JVM's own directory gone when it has exited. (Without the JVM's own
     * directory, tried by hand: the loader deleted {@code llama-tiny.gguf},
     * {@code llama-3.2-1b.gguf}, {@code jllama-notes.txt} and the empty {@code llama-dir}, and the
     * open failed on the missing model.)
     */
    @Test
    void theFirstOpenLeavesTheUsersLlamaFilesAndTheSystemPropertiesAsTheyWere() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path model = TinyGgufWriter.write(tmp.resolve("llama-tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        Files.writeString(tmp.resolve("llama-3.2-1b.gguf"), "a user's model");
        Files.writeString(tmp.resolve("jllama-notes.txt"), "a user's notes");
        Files.createDirectories(tmp.resolve("llama-dir"));
        List<String> before = names(tmp);
        GgufLoadStdoutTest.Child c = GgufLoadStdoutTest.Child.run(dir, List.of("-Djava.io.tmpdir=" + tmp),
                OpenAndTell.class, model.toString());
        assertEquals(0, c.status(), "child JVM's exit status; its stderr:\n" + c.err());
        assertEquals("property: null" + System.lineSeparator(), c.out(),
                "the property after the load; the child's stderr:\n" + c.err());
        assertTrue(c.err().contains("Extracted 'libjllama.so' to '" + tmp.resolve("synalign-jllama-")),
                "extracted into the JVM's own directory under java.io.tmpdir:\n" + c.err());
        assertEquals(before, names(tmp), "the user's files kept, the JVM's own directory removed at exit");
        assertEquals("a user's model", Files.readString(tmp.resolve("llama-3.2-1b.gguf")));
    }

    /**
     * Opens the GGUF model {@code args[0]} twice, printing each failure's message: the natives
     * cannot load from the directory given.
     */
    public static final class OpenTwiceAndTell {
        public static void main(String[] args) {
            for (int i = 0; i < 2; i++) {
                try (GgufChatModel m = GgufChatModel.open(Path.of(args[0]),
                        GgufChatModel.Options.defaults().withThreads(1))) {
                    System.out.println("loaded");
                } catch (ChatModelException e) {
                    System.out.println(e.getMessage());
                }
            }
        }
    }

    /**
     * Natives that cannot be extracted where the user said (a regular file given as the
     * directory): each open's message names the directory and the property to change, the
     * second open's too (the loader's own error named only {@code java.library.path}, and a
     * second open said "Could not initialize class").
     */
    @Test
    void aDirectoryTheNativesCannotLoadFromIsNamedWithTheRemedy() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("natives"), "a file, not a directory");
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        GgufLoadStdoutTest.Child c = GgufLoadStdoutTest.Child.run(dir,
                List.of("-D" + LlamaNatives.TMPDIR + "=" + notADirectory), OpenTwiceAndTell.class,
                model.toString());
        assertEquals(0, c.status(), "child JVM's exit status; its stderr:\n" + c.err());
        String[] lines = c.out().split(System.lineSeparator());
        assertEquals(2, lines.length, c.out());
        for (String line : lines) {
            assertTrue(line.startsWith("cannot load GGUF model " + model + ": java-llama.cpp's native"
                    + " library did not load ("), line);
            assertTrue(line.endsWith("it is extracted to " + notADirectory + ", which must be writable and"
                    + " on a filesystem that allows executing (not mounted noexec): name another with"
                    + " -Dde.kherud.llama.tmpdir=DIR"), line);
        }
    }

    /** A directory the user gives is used as given, and the property stays theirs. */
    @Test
    void aDirectoryTheUserGivesIsUsedAndLeftSet() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path mine = Files.createDirectories(dir.resolve("natives"));
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        GgufLoadStdoutTest.Child c = GgufLoadStdoutTest.Child.run(dir, List.of("-Djava.io.tmpdir=" + tmp,
                "-D" + LlamaNatives.TMPDIR + "=" + mine), OpenAndTell.class, model.toString());
        assertEquals(0, c.status(), "child JVM's exit status; its stderr:\n" + c.err());
        assertEquals("property: " + mine + System.lineSeparator(), c.out(), c.err());
        assertTrue(c.err().contains("Extracted 'libjllama.so' to '" + mine.resolve("libjllama.so") + "'"), c.err());
        assertEquals(List.of(), names(tmp), "nothing of the JVM's own under java.io.tmpdir");
    }
}
