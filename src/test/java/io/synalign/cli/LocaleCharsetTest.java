package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line under {@code LANG=C}, the locale of many containers and batch schedulers,
 * where Java 17 decodes arguments, the working directory's name and the environment as ASCII
 * and wrote its messages as ASCII. Each case runs {@link SynAlignCommand#main} in a child JVM
 * started by a bash script written in UTF-8, so that the non-ASCII bytes reach the child as
 * given whatever the locale of this JVM (which encodes what it passes with its own).
 */
class LocaleCharsetTest {

    private static final Map<String, String> C = Map.of("LANG", "C", "LC_ALL", "C");
    private static final Map<String, String> C_UTF8 = Map.of("LANG", "C.UTF-8", "LC_ALL", "C.UTF-8");

    @TempDir
    Path dir;

    /** What a child printed, as bytes, and its exit status. */
    record Child(int status, byte[] out, byte[] err) {
        String stdout() {
            return new String(out, StandardCharsets.UTF_8);
        }

        String stderr() {
            return new String(err, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "status " + status + "\nstdout: " + stdout() + "\nstderr: " + stderr();
        }
    }

    @BeforeEach
    void data() throws IOException {
        Files.writeString(dir.resolve("fr.jsonl"), "{\"texte\": \"un café noir\", \"étiquette\": \"café\"}\n"
                + "{\"texte\": \"du thé vert\", \"étiquette\": \"thé\"}\n", StandardCharsets.UTF_8);
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            String label = i % 2 == 0 ? "café" : "日本語";
            rows.append("{\"text\": \"phrase numéro ").append(i).append(" sur le thème ").append(label)
                    .append("\", \"label\": \"").append(label).append("\"}\n");
        }
        Files.writeString(dir.resolve("labels.jsonl"), rows, StandardCharsets.UTF_8);
    }

    /** Runs synalign in {@code cwd} with only {@code env} (and PATH, HOME) in its environment. */
    private Child synalign(Path cwd, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> words = new ArrayList<>(List.of("env", "-i", "PATH=" + System.getenv("PATH"),
                "HOME=" + dir.resolve("home")));
        env.forEach((k, v) -> words.add(k + "=" + v));
        words.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                SynAlignCommand.class.getName()));
        words.addAll(List.of(args));
        StringBuilder script = new StringBuilder("cd ").append(quoted(cwd.toString()))
                .append(" && exec");
        for (String w : words) {
            script.append(' ').append(quoted(w));
        }
        Path file = dir.resolve("run.sh");
        Files.writeString(file, script.append('\n'), StandardCharsets.UTF_8);
        Path out = dir.resolve("out.bin");
        Path err = dir.resolve("err.bin");
        Process p = new ProcessBuilder("bash", file.toString()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        int status = p.waitFor();
        return new Child(status, Files.readAllBytes(out), Files.readAllBytes(err));
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void assertRefusedInOneLine(Child child, String start, String... parts) {
        assertEquals(2, child.status(), child.toString());
        assertEquals("", child.stdout(), child.toString());
        List<String> lines = child.stderr().lines().toList();
        assertEquals(1, lines.size(), child.toString());
        assertTrue(lines.get(0).startsWith("synalign: error: " + start), child.toString());
        for (String part : parts) {
            assertTrue(lines.get(0).contains(part), part + " in " + child);
        }
    }

    /**
     * A non-ASCII option value reached the command as U+FFFD: --hints went to the LLM so (exit
     * 0), and a label field every record has was "not found". Refused, naming the argument,
     * the locale's character set and the remedy; the same through an @-file, which picocli
     * reads in the locale's charset too.
     */
    @Test
    void argumentsTheLocaleCannotDecodeAreRefusedNamingTheRemedy() throws Exception {
        Child direct = synalign(dir, C, "test", "--real", "fr.jsonl", "--synthetic", "fr.jsonl",
                "--text-field", "texte", "--label-field", "étiquette", "--no-cache", "-q");
        assertRefusedInOneLine(direct, "argument 9 (after --label-field) reads '",
                "ANSI_X3.4-1968", "LC_ALL=C.UTF-8");

        Files.writeString(dir.resolve("args.txt"), "--label-field\nétiquette\n", StandardCharsets.UTF_8);
        Child atFile = synalign(dir, C, "test", "--real", "fr.jsonl", "--synthetic", "fr.jsonl",
                "--text-field", "texte", "@args.txt", "--no-cache", "-q");
        assertRefusedInOneLine(atFile, "@args.txt: line 2 holds bytes that the locale's character"
                + " set ", "LC_ALL=C.UTF-8");
    }

    /**
     * In a directory with a non-ASCII name Java's working directory is misdecoded, and every
     * relative path was "file not found" though the file was there: refused, naming why.
     */
    @Test
    void aWorkingDirectoryTheLocaleCannotNameIsRefused() throws Exception {
        Path inside = Files.createDirectories(dir.resolve("données"));
        Child child = synalign(inside, C, "embed", "--in", "../labels.jsonl", "--out", "../e.npy",
                "--no-cache", "-q");
        assertRefusedInOneLine(child, "the working directory, its name decoded with the locale's"
                + " character set ANSI_X3.4-1968, is '", "relative paths", "LC_ALL=C.UTF-8");
        assertFalse(Files.exists(dir.resolve("e.npy")));
    }

    /** A non-ASCII XDG_CACHE_HOME was ignored without a word: the cache went under $HOME. */
    @Test
    void anXdgCacheHomeTheLocaleCannotNameIsRefused() throws Exception {
        Path cache = Files.createDirectories(dir.resolve("cache-é"));
        Map<String, String> env = Map.of("LANG", "C", "LC_ALL", "C", "XDG_CACHE_HOME", cache.toString());
        Child child = synalign(dir, env, "embed", "--in", "labels.jsonl", "--out", "e.npy", "-q");
        assertRefusedInOneLine(child, "$XDG_CACHE_HOME ('", "LC_ALL=C.UTF-8", "--cache-dir DIR");
        assertFalse(Files.exists(dir.resolve("e.npy")));
        assertFalse(Files.exists(dir.resolve("home")), "no cache under $HOME");
    }

    /**
     * Labels, texts and field names in messages were written as '?' under LANG=C (two CJK
     * labels both "???"); they are UTF-8, the same bytes as under a UTF-8 locale.
     */
    @Test
    void messagesAreUtf8WhateverTheLocale() throws Exception {
        Child ascii = synalign(dir, C, "embed", "--in", "fr.jsonl", "--out", "e.npy", "--no-cache");
        Child utf8 = synalign(dir, C_UTF8, "embed", "--in", "fr.jsonl", "--out", "e.npy", "--no-cache");
        assertEquals("synalign: error: fr.jsonl:1: no field 'text'; this record has the fields"
                + " 'texte', 'étiquette' (name the text field with --text-field)\n", ascii.stderr());
        assertArrayEquals(utf8.err(), ascii.err(), utf8.toString());

        String[] test = {"test", "--real", "labels.jsonl", "--synthetic", "labels.jsonl",
            "--cache-dir", dir.resolve("cache").toString(), "-q"};
        ascii = synalign(dir, C, test);
        utf8 = synalign(dir, C_UTF8, test);
        assertEquals(0, ascii.status(), ascii.toString());
        assertTrue(ascii.stdout().contains("\ncafé ") && ascii.stdout().contains("\n日本語 ")
                && ascii.stdout().contains("\"phrase numéro "), ascii.stdout());
        assertArrayEquals(utf8.out(), ascii.out(), utf8.toString());
    }

    /** picocli drops an @-file's comments, so a non-ASCII comment is no problem (review final24). */
    @Test
    void aNonAsciiCommentInAnAtFileIsNotRefused() throws IOException {
        Path args = dir.resolve("commented.txt");
        Files.writeString(args, "# réglages du test\n--no-cache # sans cache, é\n"
                + "--hints '#é dans les guillemets'\n", StandardCharsets.UTF_8);
        String problem = LocaleCharsetCheck.atFileProblem(new String[] {"--x", "@" + args},
                StandardCharsets.US_ASCII);
        // The comments pass; the quoted '#é' is an argument, not a comment: refused, line 3.
        assertEquals("@" + args + ": line 3 holds bytes that the locale's character set US-ASCII"
                + " has no characters for (Java reads argument files in it); "
                + LocaleCharsetCheck.REMEDY, problem);
        Files.writeString(args, "# réglages du test\n--no-cache # sans cache, é\n",
                StandardCharsets.UTF_8);
        assertEquals(null, LocaleCharsetCheck.atFileProblem(new String[] {"@" + args},
                StandardCharsets.US_ASCII));
    }

    /**
     * An @-file that is a pipe (@<(...), @/dev/stdin) is left to picocli: read here first, it
     * was empty when picocli read it, and its arguments were dropped without a word (review
     * final24). A FIFO with no writer: reading it would wait forever.
     */
    @Test
    void aPipedAtFileIsNotReadBeforePicocli() throws Exception {
        Path fifo = dir.resolve("args.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                () -> assertEquals(null, LocaleCharsetCheck.atFileProblem(
                        new String[] {"@" + fifo}, StandardCharsets.US_ASCII)),
                "the check opened the pipe");
    }

    /**
     * Only a name the locale misread is refused: under UTF-8, or for a name without U+FFFD, a
     * directory Files.isDirectory cannot see (an ancestor this user may not search, a
     * -Duser.dir) is the kernel's business, as before (review final24).
     */
    @Test
    void aWorkingDirectoryIsRefusedOnlyWhereTheLocaleMisreadItsName() {
        assertEquals(null, LocaleCharsetCheck.workingDirectoryProblem("/no/such/dir", "UTF-8"));
        assertEquals(null, LocaleCharsetCheck.workingDirectoryProblem("/no/such/dir",
                "ANSI_X3.4-1968"));
        String misread = LocaleCharsetCheck.workingDirectoryProblem("/tmp/donn\uFFFD\uFFFDes",
                "ANSI_X3.4-1968");
        assertTrue(misread != null && misread.contains(LocaleCharsetCheck.REMEDY), misread);
    }
}
