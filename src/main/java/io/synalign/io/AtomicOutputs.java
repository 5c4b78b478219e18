package io.synalign.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one or several output files so that each appears complete or not at all.
 *
 * <p>Each {@link #stage staged} file is written to a hidden temporary file in the target's own
 * directory ({@code .NAME.RANDOM.tmp}, so the final rename never crosses a file system), flushed
 * and {@code fsync}ed. {@link #commit()} then renames every temporary file over its target with
 * {@link StandardCopyOption#ATOMIC_MOVE} (replacing an existing file) and fsyncs the directory.
 * Closing without a successful commit deletes the temporary files, so a failure while computing
 * or writing leaves no target and no temporary file behind, and an existing target is replaced
 * only on success.
 *
 * <p>With several outputs, all are staged before any is renamed. Should a rename fail part-way
 * (it practically cannot once staging succeeded: same directory, no data to copy), the targets
 * already renamed in this commit are deleted too, so that no half set of outputs is left.
 *
 * <p>A target that exists and is neither a regular file nor a directory (a device such as
 * {@code /dev/null}, a named pipe, {@code /dev/stdout} or {@code /proc/self/fd/N} when that is
 * a pipe or a terminal) is not replaced: a rename would put a regular file in its
 * place (as root, over {@code /dev/null} itself). Its content is staged in the system's
 * temporary directory and copied into it at {@link #commit()}, after the regular files are
 * renamed; such a copy cannot be undone, so it is never deleted on a failure. The names of
 * this process's standard output and error ({@code /dev/stdout}, {@code /dev/fd/2}, ...) are
 * written through the descriptor whatever it is open on, a shell's redirect to a regular file
 * included ({@link #standardStream}).
 *
 * <p>Temporary files are created with the process's default permissions (not the 0600 of
 * {@link Files#createTempFile}), so the outputs get the same mode as any file the user creates.
 * A JVM shutdown hook removes temporary files still pending when the process is stopped
 * (Ctrl-C, SIGTERM) part-way through.
 */
public final class AtomicOutputs implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AtomicOutputs.class);

    /** Writes a file's content; the stream is buffered and closed by the caller. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Staged(Path target, Path temp, boolean special) {
    }

    /** Temporary files of every live instance, for the shutdown hook. */
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

    /** Directories {@link #createDirectories} made, deepest first, for the shutdown hook. */
    private static final java.util.Deque<Path> CREATED =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : PENDING) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Nothing more can be done while the JVM exits.
                }
            }
            removeEmptyCreatedDirectories();
        }, "synalign-temp-cleanup"));
    }

    /**
     * Creates {@code dir} with its missing parents, each removed again when the JVM exits if it
     * is still empty then: a run interrupted (Ctrl-C) or refused after it made its
     * {@code --run-dir} leaves no empty directory behind; one that wrote into it keeps it.
     */
    public static void createDirectories(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir.toAbsolutePath().normalize(); p != null && !Files.exists(p);
                p = p.getParent()) {
            missing.add(p); // deepest first
        }
        Files.createDirectories(dir);
        CREATED.addAll(missing);
    }

    /** Removes, deepest first, the directories {@link #createDirectories} made that are empty. */
    static void removeEmptyCreatedDirectories() {
        for (Path d; (d = CREATED.pollFirst()) != null; ) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                // Not empty (written into), or gone: kept as it is.
            }
        }
    }

    private final List<Staged> staged = new ArrayList<>();
    private boolean committed;

    /** Writes {@code body} to {@code target} atomically. */
    public static void writeAtomically(Path target, Body body) throws IOException {
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(target, body);
            outputs.commit();
        }
    }

    /**
     * Writes {@code body} to a temporary file beside {@code target} and fsyncs it. Nothing is
     * visible at {@code target} until {@link #commit()}.
     *
     * @throws IOException when the body or the write fails; the temporary file is then gone
     */
    public void stage(Path target, Body body) throws IOException {
        if (committed) {
            throw new IllegalStateException("already committed");
        }
        boolean special = isSpecial(target);
        Path named = target;
        target = writtenPath(target);
        Path temp = special ? Files.createTempFile("synalign-", ".tmp") : createTemp(target);
        PENDING.add(temp);
        staged.add(new Staged(target, temp, special));
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE);
                OutputStream out = new BufferedOutputStream(
                        new NamingWriteFailures(Channels.newOutputStream(ch), named, temp, special),
                        1 << 16)) {
            body.writeTo(new UnclosableStream(out));
            out.flush();
            try {
                ch.force(true);
            } catch (IOException e) {
                throw writeFailed(named, temp, special, e);
            }
        } catch (IOException | RuntimeException | Error e) {
            staged.remove(staged.size() - 1);
            deleteQuietly(temp);
            PENDING.remove(temp);
            throw e;
        }
    }

    /**
     * The temporary file staged for {@code target}, complete and fsynced: a staged output can be
     * read back before the commit (a large intermediate, such as embeddings, written once and
     * then read by the computation, ends up at its target only if everything succeeds, and is
     * deleted otherwise).
     *
     * @throws IllegalArgumentException when {@code target} was not staged
     */
    public Path stagedFile(Path target) throws IOException {
        Path resolved = writtenPath(target);
        for (Staged s : staged) {
            if (s.target().equals(resolved)) {
                return s.temp();
            }
        }
        throw new IllegalArgumentException(target + " was not staged");
    }

    /**
     * Renames every staged file over its target.
     *
     * @throws IOException when a rename fails; every target renamed by this call is then deleted
     *     and every temporary file removed
     */
    public void commit() throws IOException {
        if (committed) {
            throw new IllegalStateException("already committed");
        }
        List<Path> moved = new ArrayList<>();
        List<Path> copied = new ArrayList<>();
        Path copying = null;
        try {
            for (Staged s : staged) {
                if (!s.special()) {
                    move(s.temp(), s.target());
                    moved.add(s.target());
                }
            }
            for (Staged s : staged) {
                if (s.special()) {
                    copying = s.target();
                    int stream = standardStream(s.target());
                    if (stream > 0) {
                        writeToStandardStream(stream, s.temp());
                    } else {
                        // Into the device or pipe itself, never over it: no CREATE, no
                        // TRUNCATE.
                        try (OutputStream out = Files.newOutputStream(s.target(),
                                StandardOpenOption.WRITE)) {
                            Files.copy(s.temp(), out);
                        }
                    }
                    deleteQuietly(s.temp());
                    copied.add(copying);
                    copying = null;
                }
            }
        } catch (IOException | RuntimeException e) {
            for (Path p : moved) {
                deleteQuietly(p);
            }
            for (Staged s : staged) {
                deleteQuietly(s.temp());
                PENDING.remove(s.temp());
            }
            staged.clear();
            if (copying != null && e instanceof IOException io) {
                throw copyFailed(copying, io, moved, copied);
            }
            throw e;
        }
        committed = true;
        for (Staged s : staged) {
            PENDING.remove(s.temp());
            if (!s.special()) {
                syncDirectory(s.target());
            }
        }
    }

    /**
     * The failure of writing into the special file {@code target} (a pipe whose reader went
     * away: {@code --out /dev/stdout | head -1}), as "TARGET: what happened; what became of the
     * other outputs". Reported as "I/O error: Broken pipe" alone, it named neither the output
     * nor the files in place before it, which the rollback had removed again without a word.
     */
    static FileSystemException copyFailed(Path target, IOException cause, List<Path> removed,
            List<Path> written) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getMessage();
        int stream = standardStream(target);
        String name = target + (stream == 1 ? " (standard output)"
                : stream == 2 ? " (standard error)" : "");
        StringBuilder reason = new StringBuilder(why.contains("Broken pipe")
                ? "its reader went away before all was written (broken pipe)"
                : "writing into it failed part-way (" + why + ")");
        if (!removed.isEmpty()) {
            reason.append("; ").append(names(removed)).append(removed.size() == 1 ? " was" : " were")
                    .append(" already in place and removed again, so no output file is left");
        }
        if (!written.isEmpty()) {
            reason.append("; ").append(names(written)).append(" had been written in full");
        }
        FileSystemException failure = new FileSystemException(name, null, reason.toString());
        failure.initCause(cause);
        return failure;
    }

    private static String names(List<Path> paths) {
        return String.join(", ", paths.stream().map(Path::toString).toList());
    }

    /** Deletes the temporary files of an uncommitted set; a no-op after {@link #commit()}. */
    @Override
    public void close() {
        if (!committed) {
            for (Staged s : staged) {
                deleteQuietly(s.temp());
                PENDING.remove(s.temp());
            }
        }
        staged.clear();
    }

    /**
     * A failure of writing a staged file, naming the output: the file system's own words ("No
     * space left on device", "Disk quota exceeded", "File too large") name no file, so
     * "I/O error: No space left on device" left the user to guess which of a command's outputs
     * (or its input) failed. A special target's content is staged in the system's temporary
     * directory, which is then what ran out, and the message says so.
     */
    static FileSystemException writeFailed(Path target, Path temp, boolean special, IOException cause) {
        if (cause instanceof FileSystemException f && f.getFile() != null) {
            return f;
        }
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        FileSystemException failure = new FileSystemException(target.toString(), null, special
                ? "cannot be written: staging it in " + temp.toAbsolutePath().getParent() + " failed (" + why + ")"
                : "cannot be written (" + why + ")");
        failure.initCause(cause);
        return failure;
    }

    /**
     * The channel's stream under a staged file's buffer, turning a failed write into
     * {@link #writeFailed}: only the writes are named so, never a failure of the body itself
     * (a streamed body reads its input while it writes, and an input's error names the input).
     */
    private static final class NamingWriteFailures extends FilterOutputStream {
        private final Path target;
        private final Path temp;
        private final boolean special;

        NamingWriteFailures(OutputStream out, Path target, Path temp, boolean special) {
            super(out);
            this.target = target;
            this.temp = temp;
            this.special = special;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw writeFailed(target, temp, special, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw writeFailed(target, temp, special, e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw writeFailed(target, temp, special, e);
            }
        }
    }

    /** Lets a body close its stream (Jackson does) without closing the channel before fsync. */
    private static final class UnclosableStream extends FilterOutputStream {
        UnclosableStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }

    /**
     * Whether {@code target} exists and is neither a regular file nor a directory (a device, a
     * named pipe, a socket): it is written into, never replaced (see the class comment).
     */
    public static boolean isSpecial(Path target) {
        return Files.exists(target) && !Files.isRegularFile(target) && !Files.isDirectory(target)
                || standardStream(target) > 0;
    }

    /**
     * 1 or 2 when {@code target} names this process's standard output or error, directly or
     * through links ({@code /dev/stdout}, {@code /dev/fd/1}, {@code /proc/self/fd/1}, and the
     * same for 2); 0 otherwise. Such a target is written through the descriptor itself, at its
     * current position, whatever it is open on: under a shell redirect ({@code > file}) it is a
     * regular file, which a rename replaced (the shell's file lost the lines written before,
     * and every line after went to the unlinked file), and which opening the name again would
     * truncate or write over from its start.
     */
    public static int standardStream(Path target) {
        Path p = target.toAbsolutePath().normalize();
        for (int hops = 0; hops <= 40; hops++) {
            String name = p.toString();
            if (name.equals("/dev/stdout") || name.equals("/dev/fd/1")
                    || name.equals("/proc/self/fd/1")) {
                return 1;
            }
            if (name.equals("/dev/stderr") || name.equals("/dev/fd/2")
                    || name.equals("/proc/self/fd/2")) {
                return 2;
            }
            if (!Files.isSymbolicLink(p)) {
                return 0;
            }
            try {
                Path link = Files.readSymbolicLink(p);
                Path parent = p.getParent();
                p = (parent == null ? link : parent.resolve(link)).normalize();
            } catch (IOException | UnsupportedOperationException e) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * Copies {@code content} to standard output (1) or error (2) through the process's own
     * descriptor, after what {@code System.out} or {@code System.err} holds, and leaves the
     * descriptor open.
     */
    private static void writeToStandardStream(int stream, Path content) throws IOException {
        java.io.PrintStream system = stream == 1 ? System.out : System.err;
        system.flush();
        // Not closed: closing a FileOutputStream closes its descriptor.
        FileOutputStream out = new FileOutputStream(stream == 1 ? java.io.FileDescriptor.out
                : java.io.FileDescriptor.err);
        Files.copy(content, out);
        out.flush();
    }

    /**
     * Where a staged {@code target} is written: a special file as named, the kernel following
     * its links when it is opened; any other file through its links ({@link #throughLinks}).
     * {@code /dev/stdout} into a pipe links to {@code /proc/self/fd/1}, which links to
     * "pipe:[INODE]", a name that exists nowhere: followed by hand, it led to a temporary file
     * in {@code /proc/self/fd} and a NoSuchFileException, where opening it reaches the pipe.
     */
    public static Path writtenPath(Path target) throws IOException {
        return isSpecial(target) ? target : throughLinks(target);
    }

    /**
     * The file a symbolic link at {@code target} points to (through every link in a chain), so
     * that the rename replaces the file the user's link names rather than the link itself;
     * {@code target} itself when it is not a link. At most 40 links, as the kernel allows.
     */
    public static Path throughLinks(Path target) throws IOException {
        Path p = target;
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == 40) {
                throw new IOException(target + ": too many levels of symbolic links");
            }
            Path link = Files.readSymbolicLink(p);
            Path parent = p.toAbsolutePath().getParent();
            p = parent == null ? link : parent.resolve(link);
        }
        return p;
    }

    /**
     * Deletes the temporary files of {@code name} in {@code dir} that a process no longer alive
     * left behind ({@code kill -9} between staging and commit): their names carry the writer's
     * process id, {@code .NAME.PID-RANDOM.tmp}. A live writer's files are left alone.
     */
    static void removeOrphans(Path dir, String name) {
        String prefix = "." + name + ".";
        long self = ProcessHandle.current().pid();
        try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String f = p.getFileName().toString();
                if (!f.startsWith(prefix) || !f.endsWith(".tmp")) {
                    continue;
                }
                String middle = f.substring(prefix.length(), f.length() - ".tmp".length());
                int dash = middle.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? "" : middle.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                if (pid == self || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                LOG.info("removing {}, left by process {} which no longer runs", p, pid);
                deleteQuietly(p);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not look for leftover temporary files in {}: {}", dir, e.toString());
        }
    }

    private static Path createTemp(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        removeOrphans(dir, name);
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + name + "." + pid + "-" + Long.toUnsignedString(
                    ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                // CREATE_NEW with default attributes: the umask decides the mode, as for any file.
                Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
                        .close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Same directory, so only exotic file systems get here; a plain rename is the best left.
            LOG.debug("atomic move unsupported for {}, falling back to a plain rename", target);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the rename durable; not every platform can open a directory, hence best effort. */
    private static void syncDirectory(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not fsync directory {}: {}", dir, e.toString());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", p, e.toString());
        }
    }
}
