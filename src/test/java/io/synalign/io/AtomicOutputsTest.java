package io.synalign.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AtomicOutputsTest {

    @TempDir
    Path dir;

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSymlinkedTargetKeepsItsLinkAndTheFileItNamesGetsTheContent() throws IOException {
        Path real = Files.createDirectory(dir.resolve("elsewhere")).resolve("data.txt");
        Files.writeString(real, "old");
        Path link = Files.createSymbolicLink(dir.resolve("out.txt"), Path.of("elsewhere/data.txt"));
        Path chain = Files.createSymbolicLink(dir.resolve("chain.txt"), Path.of("out.txt"));
        AtomicOutputs.writeAtomically(chain, o -> o.write(bytes("new")));
        assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(chain), "the links stay links");
        assertEquals("new", Files.readString(real));
        assertEquals(Set.of("chain.txt", "elsewhere", "out.txt"), listing());
        // A dangling link: the file it names is created.
        Path dangling = Files.createSymbolicLink(dir.resolve("d.txt"), Path.of("elsewhere/new.txt"));
        AtomicOutputs.writeAtomically(dangling, o -> o.write(bytes("made")));
        assertTrue(Files.isSymbolicLink(dangling));
        assertEquals("made", Files.readString(dir.resolve("elsewhere/new.txt")));
    }

    /**
     * A named pipe (as a device such as /dev/null) is written into, not replaced: a rename put
     * a regular file in its place, and as root `select --out /dev/null` replaced /dev/null.
     * (Not tested on /dev/null itself: the old code would have replaced it.)
     */
    @Test
    void aNamedPipeIsWrittenIntoAndStaysAPipe() throws Exception {
        Path fifo = dir.resolve("pipe");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
                "mkfifo is not available");
        Path other = dir.resolve("other.txt");
        java.util.concurrent.CompletableFuture<byte[]> read =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return Files.readAllBytes(fifo);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(fifo, o -> o.write(bytes("through the pipe")));
            outputs.stage(other, o -> o.write(bytes("beside it")));
            assertTrue(listing().stream().noneMatch(f -> f.startsWith(".pipe.")),
                    "nothing staged beside the pipe: " + listing());
            outputs.commit();
        }
        assertFalse(Files.isRegularFile(fifo), "the pipe was replaced by a regular file");
        assertEquals("through the pipe", new String(read.get(10, java.util.concurrent.TimeUnit.SECONDS),
                StandardCharsets.UTF_8));
        assertEquals("beside it", Files.readString(other));
        assertEquals(Set.of("other.txt", "pipe"), listing());
    }

    /**
     * A pipe whose reader goes away part-way ({@code --out /dev/stdout | head -1}) failed the
     * commit with "Broken pipe" alone, and the regular output already in place was removed
     * without a word; the failure now names the pipe, what happened and the file removed.
     * The reader takes one byte and closes; the content is larger than any pipe buffer, so
     * the writer meets the closed end whatever the scheduling.
     */
    @Test
    void aPipeClosedPartWayIsNamedWithTheOutputsRemovedAgain() throws Exception {
        Path fifo = dir.resolve("pipe");
        org.junit.jupiter.api.Assumptions.assumeTrue(
                new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0,
                "mkfifo is not available");
        Path summary = dir.resolve("summary.json");
        java.util.concurrent.CompletableFuture<Integer> firstByte =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (var in = Files.newInputStream(fifo)) {
                        return in.read();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        java.nio.file.FileSystemException failure;
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(summary, o -> o.write(bytes("{}")));
            outputs.stage(fifo, o -> o.write(new byte[8 << 20]));
            failure = assertThrows(java.nio.file.FileSystemException.class, outputs::commit);
        }
        assertEquals(0, firstByte.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(fifo.toString(), failure.getFile());
        assertEquals("its reader went away before all was written (broken pipe); " + summary
                + " was already in place and removed again, so no output file is left",
                failure.getReason());
        assertEquals(Set.of("pipe"), listing());
    }

    @Test
    void aPipeNamedThroughProcSelfFdIsWrittenInto() throws Exception {
        // /dev/stdout into a pipe links to /proc/self/fd/1, which links to "pipe:[INODE]", a
        // name that exists nowhere: followed by hand it failed with NoSuchFileException
        // (report --out /dev/stdout | wc -c).
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")));
        Set<String> before = PipeFds.openFds();
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        try (java.nio.channels.Pipe.SourceChannel source = pipe.source()) {
            Path target = PipeFds.pipeWriteEnd(before);
            Path link = Files.createSymbolicLink(dir.resolve("stdout"), target);
            AtomicOutputs.writeAtomically(link, o -> o.write(bytes("through the pipe")));
            pipe.sink().close();
            // the write end the commit opened is closed again: the content ends at EOF
            byte[] got = java.nio.channels.Channels.newInputStream(source).readAllBytes();
            assertEquals("through the pipe", new String(got, StandardCharsets.UTF_8));
        }
        assertEquals(Set.of("stdout"), listing(), "no temporary file is left");
    }

    /**
     * {@code --out /dev/stdout} under a shell redirect to a regular file: the rename replaced the
     * shell's file (the lines before were lost, and the lines after went to the unlinked file),
     * so the file held only the content. Written through the descriptor, in order.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/dev/stdout", "/proc/self/fd/1", "a link to /dev/stdout"})
    void standardOutputRedirectedToAFileGetsTheContentInItsPlace(String name) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/stdout")));
        Path target = Path.of(name);
        if (name.startsWith("a link")) {
            target = Files.createSymbolicLink(dir.resolve("out"), Path.of("/dev/stdout"));
        }
        Path redirect = Files.createTempFile("synalign-stdout-", ".txt");
        try {
            Process child = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"),
                    StandardStreamWriterMain.class.getName(), target.toString(), "body\n")
                    .redirectOutput(redirect.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            assertEquals(0, child.waitFor());
            assertEquals("header\nbody\nafter\n", Files.readString(redirect));
        } finally {
            Files.deleteIfExists(redirect);
        }
    }

    /**
     * A write the file system refuses (a full disk, a quota, a file-size limit: here
     * {@code ulimit -f}, the one a test can set) fails naming the output, not only in the file
     * system's words ("I/O error: File too large" said nothing of which output), and leaves no
     * output and no temporary file, the first output of the set included.
     */
    @Test
    void aWriteTheFileSystemRefusesNamesTheOutputAndLeavesNothing() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")));
        Path small = dir.resolve("summary.json");
        Path large = dir.resolve("weights.npy");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A limit of 256 blocks (128 or 256 KiB, as the shell counts them): 1,000 bytes fit, a
        // megabyte does not. No performance-data file, the one file the JVM itself writes.
        Process child = new ProcessBuilder("/bin/sh", "-c", "ulimit -f 256 && exec \"$0\" \"$@\"",
                java, "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"),
                FileSizeLimitedWriteMain.class.getName(), "1000", small.toString(),
                "1048576", large.toString())
                .redirectErrorStream(true).start();
        String printed = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, child.waitFor(), printed);
        assertEquals(java.nio.file.FileSystemException.class.getName() + "|" + large
                + ": cannot be written (File too large)", printed);
        assertEquals(Set.of(), listing());
    }

    @Test
    void aBodysOwnFailureIsNotNamedAsTheOutputs() throws IOException {
        Path target = dir.resolve("out.jsonl");
        IOException input = new IOException("in.jsonl line 3: not JSON");
        IOException thrown = assertThrows(IOException.class, () -> AtomicOutputs.writeAtomically(target, out -> {
            out.write(bytes("{}\n"));
            throw input;
        }));
        assertSame(input, thrown);
        assertEquals(Set.of(), listing());
    }

    @Test
    void writesTheContentAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("out.bin");
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        AtomicOutputs.writeAtomically(target, out -> out.write(big));
        assertArrayEquals(big, Files.readAllBytes(target));
        assertEquals(Set.of("out.bin"), listing());
    }

    @Test
    void failureMidWriteLeavesNeitherTargetNorTemporaryFile() throws IOException {
        Path target = dir.resolve("w.npy");
        IOException boom = new IOException("disk full");
        IOException thrown = assertThrows(IOException.class, () -> AtomicOutputs.writeAtomically(
                target, out -> {
                    out.write(new byte[200_000]); // more than the buffer: bytes reach the temp file
                    throw boom;
                }));
        assertSame(boom, thrown);
        assertFalse(Files.exists(target));
        assertEquals(Set.of(), listing());

        assertThrows(IllegalStateException.class, () -> AtomicOutputs.writeAtomically(target, out -> {
            out.write(1);
            throw new IllegalStateException("bug");
        }));
        assertEquals(Set.of(), listing());
    }

    @Test
    void existingTargetIsReplacedOnlyOnSuccess() throws IOException {
        Path target = dir.resolve("summary.json");
        Files.write(target, bytes("old"));
        assertThrows(IOException.class, () -> AtomicOutputs.writeAtomically(target, out -> {
            out.write(bytes("new but incomplete"));
            throw new IOException("interrupted");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(Set.of("summary.json"), listing());

        AtomicOutputs.writeAtomically(target, out -> out.write(bytes("new")));
        assertEquals("new", Files.readString(target));
        assertEquals(Set.of("summary.json"), listing());
    }

    @Test
    void severalOutputsAreAllOrNothing() throws IOException {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.json");
        Files.write(a, bytes("old a"));
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.stage(a, out -> out.write(bytes("new a")));
            assertThrows(IOException.class, () -> outs.stage(b, out -> {
                throw new IOException("cannot write b");
            }));
            // Nothing is visible yet, and the failed stage left no temporary file.
            assertEquals("old a", Files.readString(a));
            assertEquals(2, listing().size(), listing().toString());
        }
        assertEquals("old a", Files.readString(a));
        assertFalse(Files.exists(b));
        assertEquals(Set.of("a.npy"), listing());

        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.stage(a, out -> out.write(bytes("new a")));
            outs.stage(b, out -> out.write(bytes("new b")));
            assertEquals("old a", Files.readString(a));
            outs.commit();
        }
        assertEquals("new a", Files.readString(a));
        assertEquals("new b", Files.readString(b));
        assertEquals(Set.of("a.npy", "b.json"), listing());
    }

    @Test
    void failedCommitRemovesWhatItRenamed() throws IOException {
        Path a = dir.resolve("a.txt");
        Path b = dir.resolve("b.txt");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.stage(a, out -> out.write(bytes("a")));
            outs.stage(b, out -> out.write(bytes("b")));
            // A non-empty directory appears where b goes: its rename must fail.
            Files.createDirectories(b.resolve("inside"));
            assertThrows(IOException.class, outs::commit);
        }
        assertFalse(Files.exists(a), "a was renamed, then removed again");
        assertEquals(Set.of("b.txt"), listing());
        assertEquals(List.of("inside"), Files.list(b).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void closingWithoutCommitDiscards() throws IOException {
        Path a = dir.resolve("a.txt");
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.stage(a, out -> out.write(bytes("a")));
            assertEquals(1, listing().size());
            assertTrue(listing().iterator().next().startsWith(".a.txt."), listing().toString());
        }
        assertEquals(Set.of(), listing());
    }

    @Test
    void aBodyMayCloseItsStream() throws IOException {
        Path a = dir.resolve("a.txt");
        AtomicOutputs.writeAtomically(a, out -> {
            out.write(bytes("closed early"));
            out.close();
        });
        assertEquals("closed early", Files.readString(a));
    }

    @Test
    void outputGetsTheUsualPermissionsNotThoseOfATempFile() throws IOException {
        Path reference = Files.createFile(dir.resolve("reference"));
        Path a = dir.resolve("a.txt");
        AtomicOutputs.writeAtomically(a, out -> out.write(1));
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(a));
    }

    @Test
    void commitTwiceIsAnError() throws IOException {
        try (AtomicOutputs outs = new AtomicOutputs()) {
            outs.stage(dir.resolve("x"), out -> out.write(1));
            outs.commit();
            assertThrows(IllegalStateException.class, outs::commit);
            assertThrows(IllegalStateException.class, () -> outs.stage(dir.resolve("y"), out -> { }));
        }
    }

    private Process child(String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), InterruptedWriteMain.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static void awaitHalfWritten(Process p) throws IOException {
        java.io.BufferedReader r = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = r.readLine()) != null) {
            if (line.equals("half written")) {
                return;
            }
            seen.append(line).append('\n');
        }
        throw new AssertionError("child ended before writing: " + seen);
    }

    @Test
    void terminatedProcessLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("w.npy");
        Process p = child(target.toString());
        awaitHalfWritten(p);
        assertEquals(1, listing().size(), "the temporary file exists while writing");
        p.destroy(); // SIGTERM, as from kill or a closing terminal
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(Set.of(), listing());

        Process q = child(target.toString(), "exit");
        awaitHalfWritten(q);
        assertTrue(q.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(3, q.exitValue());
        assertEquals(Set.of(), listing());
    }

    @Test
    void aKilledWritersTemporaryFileIsRemovedByTheNextWriteAndALiveOnesIsNot() throws Exception {
        Path target = dir.resolve("w.npy");
        Process killed = child(target.toString());
        awaitHalfWritten(killed);
        killed.destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertTrue(killed.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        Set<String> left = listing();
        assertEquals(1, left.size(), "kill -9 leaves the temporary file");
        assertTrue(left.iterator().next().startsWith(".w.npy." + killed.pid() + "-"), left.toString());

        Process alive = child(target.toString());
        try {
            awaitHalfWritten(alive);
            AtomicOutputs.writeAtomically(target, o -> o.write(bytes("done")));
            Set<String> now = listing();
            assertEquals(2, now.size(), "the target and the live writer's file: " + now);
            assertTrue(now.contains("w.npy"));
            assertTrue(now.stream().anyMatch(f -> f.startsWith(".w.npy." + alive.pid() + "-")), now.toString());
        } finally {
            alive.destroy();
            alive.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertEquals(Set.of("w.npy"), listing());
        assertEquals("done", Files.readString(target));
    }

    /**
     * A run directory made for a run that then stopped (Ctrl-C while embedding) was left empty;
     * the directories made are removed at exit when they are still empty, and kept otherwise.
     */
    @Test
    void directoriesMadeAndLeftEmptyAreRemovedAtExitAndOthersKept() throws IOException {
        Path made = dir.resolve("a").resolve("b").resolve("c");
        AtomicOutputs.createDirectories(made);
        Path kept = dir.resolve("k");
        AtomicOutputs.createDirectories(kept);
        Files.writeString(kept.resolve("alignment.json"), "{}");
        AtomicOutputs.removeEmptyCreatedDirectories();
        assertFalse(Files.exists(dir.resolve("a")), "a/b/c and its made parents, all empty");
        assertTrue(Files.exists(kept.resolve("alignment.json")));
        AtomicOutputs.createDirectories(dir); // exists: nothing to remove
        AtomicOutputs.removeEmptyCreatedDirectories();
        assertTrue(Files.exists(dir));
    }
}
