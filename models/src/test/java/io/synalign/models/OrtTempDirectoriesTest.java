package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's temporary directory ({@link OrtTempDirectories}): a run killed with
 * {@code kill -9} left it in {@code java.io.tmpdir}; now the next run that starts the engine
 * removes it, and never a live run's nor one that is not SynAlign's.
 */
class OrtTempDirectoriesTest {

    @TempDir
    Path dir;

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private List<String> javaCommand(Path tmp, Class<?> main) throws Exception {
        return javaCommand(tmp, main, dir.resolve("cache").toString());
    }

    private List<String> javaCommand(Path tmp, Class<?> main, String cache) throws Exception {
        Path argfile = dir.resolve("cp.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:-UsePerfData", "@" + argfile, "-Djava.io.tmpdir=" + tmp,
                "-D" + OrtNativeLibraries.CACHE_PROPERTY + "=" + cache, main.getName()));
        return command;
    }

    private void runToTheEnd(Path tmp) throws Exception {
        runToTheEnd(tmp, dir.resolve("cache").toString());
    }

    private String runToTheEnd(Path tmp, String cache) throws Exception {
        Process p = new ProcessBuilder(javaCommand(tmp, StartEngineMain.class, cache)).redirectErrorStream(true).start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), printed);
        return printed;
    }

    /**
     * A run A that holds the engine; a run B while A lives (A's directory stays); A killed with
     * SIGKILL ({@link Process#destroyForcibly}); a run C (A's directory goes). Each run leaves
     * nothing of its own after a normal exit. On the old code A's directory stayed after C.
     */
    @Test
    void aKilledRunsDirectoryIsRemovedByTheNextStartAndALiveOnesIsNot() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"),
                "SIGKILL and POSIX locks as on Linux");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process a = new ProcessBuilder(javaCommand(tmp, HoldEngineMain.class)).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder printed = new StringBuilder();
            for (String line; (line = out.readLine()) != null && !line.equals("started"); ) {
                printed.append(line).append('\n');
            }
            assertTrue(a.isAlive(), printed.toString());
            List<String> live = names(tmp);
            assertEquals(2, live.size(), "A's directory and its marker: " + live);
            String ortDir = live.get(0);
            assertTrue(ortDir.matches("onnxruntime-java[0-9]+"), live.toString());
            assertEquals(ortDir + OrtTempDirectories.MARKER_SUFFIX, live.get(1));

            runToTheEnd(tmp);
            assertEquals(live, names(tmp), "a live run's directory is left alone");

            a.destroyForcibly();
            assertTrue(a.waitFor(1, TimeUnit.MINUTES));
            assertEquals(137, a.exitValue(), "killed by SIGKILL");
            assertEquals(live, names(tmp), "kill -9 left them");

            runToTheEnd(tmp);
            assertEquals(List.of(), names(tmp), "the next start removed the killed run's directory");
        } finally {
            a.destroyForcibly();
        }
    }

    /**
     * Without the cache ONNX Runtime copied its libraries into its own directory, and its
     * clean-up at exit tried the directory before them, so every normal exit left the directory,
     * empty (marked since session 31). Now they are copied into this run's own marked directory,
     * loaded from there, and a normal exit leaves nothing. On the old code ONNX Runtime's
     * directory and its marker stayed ("loaded from jar").
     */
    @Test
    void aRunWithoutTheCacheLoadsFromItsOwnCopyAndLeavesNothing() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"),
                "POSIX locks as on Linux");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        String printed = runToTheEnd(tmp, "off");
        assertTrue(printed.contains("loaded from " + tmp.resolve(OrtTempDirectories.RUN_PREFIX)), printed);
        assertEquals(List.of(), names(tmp), "a normal exit leaves nothing");
    }

    /**
     * A run A without the cache killed (SIGKILL) once its libraries are copied, before ONNX
     * Runtime loads them: it leaves only its own directory, holding them, and its marker, and
     * while A lives another run B leaves them alone; after the kill the next start C removes
     * them. On the old code A copied nothing before ONNX Runtime's start (ONNX Runtime copied
     * them into a directory it named there, which a kill during that start left unmarked, 24 MB
     * for good): the first check fails, nothing in the temporary directory.
     */
    @Test
    void aRunKilledOnceItsLibrariesAreCopiedLeavesOnlyAMarkedDirectoryThatTheNextStartRemoves()
            throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"),
                "SIGKILL and POSIX locks as on Linux");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process a = new ProcessBuilder(javaCommand(tmp, PrepareNativesMain.class, "off"))
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder printed = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("prepared ")) {
                printed.append(line).append('\n');
            }
            assertTrue(a.isAlive(), printed.toString());
            List<String> live = names(tmp);
            assertEquals(2, live.size(), "A's directory and its marker: " + live + "; A said " + line);
            String own = live.get(0);
            assertTrue(own.matches(OrtTempDirectories.RUN_PREFIX + "[0-9]+"), live.toString());
            assertEquals(own + OrtTempDirectories.MARKER_SUFFIX, live.get(1));
            assertEquals("prepared " + tmp.resolve(own), line);
            assertTrue(names(tmp.resolve(own)).contains(System.mapLibraryName("onnxruntime")),
                    names(tmp.resolve(own)).toString());

            runToTheEnd(tmp, "off");
            assertEquals(live, names(tmp), "a live run's directory is left alone");

            a.destroyForcibly();
            assertTrue(a.waitFor(1, TimeUnit.MINUTES));
            assertEquals(137, a.exitValue(), "killed by SIGKILL");
            assertEquals(live, names(tmp), "kill -9 left them");

            runToTheEnd(tmp, "off");
            assertEquals(List.of(), names(tmp), "the next start removed the killed run's copy");
        } finally {
            a.destroyForcibly();
        }
    }

    /**
     * The sweep on made-up entries: a marker no process holds goes with its directory and what
     * that holds; a directory without a marker, a marker this JVM holds, and a young temporary
     * marker stay; an old temporary marker goes; a link named like a directory is not followed.
     */
    @Test
    void onlyDirectoriesWhoseMarkersNoProcessHoldsAreRemoved() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("sweep"));
        Path stale = Files.createDirectories(tmp.resolve("onnxruntime-java11"));
        Files.writeString(stale.resolve("libonnxruntime.so"), "24 MB once");
        Files.createFile(tmp.resolve("onnxruntime-java11" + OrtTempDirectories.MARKER_SUFFIX));
        Path foreign = Files.createDirectories(tmp.resolve("onnxruntime-java22"));
        Path own = Files.createDirectories(tmp.resolve("onnxruntime-java33"));
        Path ownMarker = OrtTempDirectories.claim(own);
        assertEquals(tmp.resolve("onnxruntime-java33" + OrtTempDirectories.MARKER_SUFFIX), ownMarker);
        Path young = Files.createDirectories(tmp.resolve("onnxruntime-java44"));
        Files.createFile(tmp.resolve(".onnxruntime-java44.123.synalign.tmp"));
        Path old = Files.createDirectories(tmp.resolve("onnxruntime-java55"));
        Path oldTemp = Files.createFile(tmp.resolve(".onnxruntime-java55.456.synalign.tmp"));
        Instant now = Instant.now();
        Files.setLastModifiedTime(oldTemp, FileTime.from(now.minus(Duration.ofMinutes(11))));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("keep"), "not ours");
        Path link = tmp.resolve("onnxruntime-java66");
        Files.createSymbolicLink(link, elsewhere);
        Files.createFile(tmp.resolve("onnxruntime-java66" + OrtTempDirectories.MARKER_SUFFIX));
        Files.createFile(tmp.resolve("unrelated.synalign.lock"));

        List<Path> removed = OrtTempDirectories.sweep(tmp, now);
        assertTrue(removed.contains(stale) && removed.contains(old), removed.toString());
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(old));
        assertEquals(List.of(".onnxruntime-java44.123.synalign.tmp", "onnxruntime-java22", "onnxruntime-java33",
                "onnxruntime-java33" + OrtTempDirectories.MARKER_SUFFIX, "onnxruntime-java44", "onnxruntime-java66",
                "unrelated.synalign.lock"), names(tmp));
        assertTrue(Files.isDirectory(foreign) && Files.isDirectory(own) && Files.isDirectory(young));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("not ours", Files.readString(elsewhere.resolve("keep")));

        // This JVM still holds its marker: a second sweep leaves it, and so does a second claim.
        assertEquals(List.of(), OrtTempDirectories.sweep(tmp, now));
        assertEquals(ownMarker, OrtTempDirectories.claim(own));
        assertTrue(Files.exists(ownMarker));
        assertThrows(IllegalArgumentException.class, () -> OrtTempDirectories.claim(tmp.resolve("elsewhere")));
    }

    /**
     * This run's own copies ({@link OrtTempDirectories#ownedDirectory}) in the sweep: a copy
     * whose marker no process holds goes with what it holds; a marker without its directory (a
     * run killed before making it) goes; an old temporary marker goes, a young one stays; this
     * JVM's copy and a directory without a marker stay. An abandoned copy goes at once, with its
     * marker. With the sweep's old patterns (ONNX Runtime's names only) the dead copy stayed.
     */
    @Test
    void runCopiesWhoseMarkersNoProcessHoldsAreRemoved() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("runs"));
        String prefix = OrtTempDirectories.RUN_PREFIX;
        Path dead = Files.createDirectories(tmp.resolve(prefix + "7"));
        Files.writeString(dead.resolve("libonnxruntime.so"), "24 MB once");
        Files.createFile(tmp.resolve(prefix + "7" + OrtTempDirectories.MARKER_SUFFIX));
        Files.createFile(tmp.resolve(prefix + "8" + OrtTempDirectories.MARKER_SUFFIX));
        Instant now = Instant.now();
        Path oldTemp = Files.createFile(tmp.resolve("." + prefix + "9.synalign.tmp"));
        Files.setLastModifiedTime(oldTemp, FileTime.from(now.minus(Duration.ofMinutes(11))));
        Files.createFile(tmp.resolve("." + prefix + "10.synalign.tmp"));
        Path unmarked = Files.createDirectories(tmp.resolve(prefix + "11"));
        Path live = OrtTempDirectories.ownedDirectory(tmp);
        String liveName = live.getFileName().toString();
        assertTrue(liveName.matches(prefix + "[0-9]+") && Files.isDirectory(live), live.toString());
        Files.writeString(live.resolve("libonnxruntime.so"), "in use");

        List<Path> removed = OrtTempDirectories.sweep(tmp, now);
        assertTrue(removed.contains(dead), removed.toString());
        assertFalse(Files.exists(dead));
        List<String> expected = new ArrayList<>(List.of("." + prefix + "10.synalign.tmp", prefix + "11",
                liveName, liveName + OrtTempDirectories.MARKER_SUFFIX));
        expected.sort(null);
        assertEquals(expected, names(tmp));
        assertTrue(Files.isDirectory(unmarked));
        assertEquals("in use", Files.readString(live.resolve("libonnxruntime.so")));

        OrtTempDirectories.abandon(live);
        expected.remove(liveName);
        expected.remove(liveName + OrtTempDirectories.MARKER_SUFFIX);
        assertEquals(expected, names(tmp), "an abandoned copy goes with its marker");
    }

    /**
     * A run's own copy is owner-only (rwx------), as ONNX Runtime's own temporary directory was:
     * under a umask of 002 a group member could replace the library before it loads. On the old
     * code it took the umask (rwxr-xr-x under this build's 022; rwxrwxr-x under 002).
     */
    @Test
    void aRunsOwnCopyIsOwnerOnly() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("perm"));
        Assumptions.assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "POSIX permissions");
        Path own = OrtTempDirectories.ownedDirectory(tmp);
        try {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(own)), own.toString());
        } finally {
            OrtTempDirectories.abandon(own);
        }
    }

    /**
     * In a shared /tmp the sweep removes only this user's own: a directory or a marker of
     * another user (here uid 65534) is left, so that no one can make this user's sweep walk a
     * tree they control (and swap a folder in it for a link to this user's files between the
     * listing and the deletes). This user's own dead copy beside them still goes. On the old
     * code all three dead entries were removed. Needs root, to give files to another user.
     */
    @Test
    void theSweepRemovesOnlyThisUsersOwnDirectoriesAndMarkers() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(uidOrNull(Path.of("/proc/self"))),
                "root, to give files to another user");
        Path tmp = Files.createDirectories(dir.resolve("shared"));
        String prefix = OrtTempDirectories.RUN_PREFIX;
        // Another user's ONNX Runtime directory beside a marker no one locks.
        Path foreignDir = Files.createDirectories(tmp.resolve("onnxruntime-java5"));
        Files.writeString(foreignDir.resolve("theirs"), "x");
        Files.createFile(tmp.resolve("onnxruntime-java5" + OrtTempDirectories.MARKER_SUFFIX));
        giveAway(foreignDir.resolve("theirs"));
        giveAway(foreignDir);
        // Another user's marker beside a directory of the name.
        Path underForeignMarker = Files.createDirectories(tmp.resolve(prefix + "6"));
        Files.writeString(underForeignMarker.resolve("libonnxruntime.so"), "y");
        giveAway(Files.createFile(tmp.resolve(prefix + "6" + OrtTempDirectories.MARKER_SUFFIX)));
        // This user's dead copy.
        Path mine = Files.createDirectories(tmp.resolve(prefix + "7"));
        Files.writeString(mine.resolve("libonnxruntime.so"), "z");
        Files.createFile(tmp.resolve(prefix + "7" + OrtTempDirectories.MARKER_SUFFIX));

        List<Path> removed = OrtTempDirectories.sweep(tmp, Instant.now());
        assertEquals(List.of(mine), removed);
        assertEquals(List.of("onnxruntime-java5", "onnxruntime-java5" + OrtTempDirectories.MARKER_SUFFIX,
                prefix + "6", prefix + "6" + OrtTempDirectories.MARKER_SUFFIX), names(tmp));
        assertEquals("x", Files.readString(foreignDir.resolve("theirs")));
        assertEquals("y", Files.readString(underForeignMarker.resolve("libonnxruntime.so")));
    }

    private static Object uidOrNull(Path p) {
        try {
            return Files.getAttribute(p, "unix:uid");
        } catch (Exception e) {
            return null;
        }
    }

    private static void giveAway(Path p) throws Exception {
        Files.setAttribute(p, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * A sweep that reaches this JVM's own marker under another spelling of its directory (here
     * through a link; or {@code java.io.tmpdir} changed after the copy was made) leaves it, and
     * this JVM still holds its lock as the kernel sees it ({@code /proc/locks}). On the old code
     * the sweep opened the marker, found it locked in this JVM, and its close dropped the
     * process's POSIX lock: the live copy was then any other run's to remove.
     */
    @Test
    void aSweepThroughAnotherSpellingKeepsThisJvmsLock() throws Exception {
        Path locks = Path.of("/proc/locks");
        Assumptions.assumeTrue(Files.isReadable(locks), "Linux's table of locks");
        Path real = Files.createDirectories(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        Path own = OrtTempDirectories.ownedDirectory(real);
        try {
            Path marker = real.resolve(own.getFileName() + OrtTempDirectories.MARKER_SUFFIX);
            Object inode = Files.getAttribute(marker, "unix:ino");
            String pid = Long.toString(ProcessHandle.current().pid());
            java.util.function.Predicate<String> ours = l -> {
                String[] f = l.trim().split("\\s+");
                return f.length > 5 && f[1].equals("POSIX") && f[4].equals(pid)
                        && f[5].endsWith(":" + inode);
            };
            assertTrue(Files.readAllLines(locks).stream().anyMatch(ours), "held before the sweep");
            assertEquals(List.of(), OrtTempDirectories.sweep(link, Instant.now()));
            assertTrue(Files.isDirectory(own));
            assertTrue(Files.readAllLines(locks).stream().anyMatch(ours),
                    "the lock on " + marker + " (inode " + inode + ") is still this process's");
        } finally {
            OrtTempDirectories.abandon(own);
        }
    }
}
