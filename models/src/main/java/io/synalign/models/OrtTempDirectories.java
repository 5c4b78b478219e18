package io.synalign.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's own temporary directory ({@code java.io.tmpdir/onnxruntime-javaN}), claimed for
 * this JVM's life so that a later run can tell one that a killed run left from a live one.
 *
 * <p>Why: ONNX Runtime 1.28's loader makes that directory in every JVM that loads it, even when
 * the libraries come from {@link OrtNativeLibraries}' cache, and removes it only at exit
 * ({@code File.deleteOnExit}), so a run killed ({@code kill -9}, the kernel's OOM killer) leaves
 * it behind: empty with the cache, 24 MB of libraries without it. Its name says nothing of its
 * owner, and a live JVM's directory is as empty as a dead one's, so no name or age can tell them
 * apart.
 *
 * <p>How: once ONNX Runtime is loaded, {@link #claimAndSweep()} finds its directory (the
 * loader's static field, read by reflection; nothing is claimed if that is missing) and holds
 * an exclusive lock ({@link FileChannel#tryLock}, a POSIX record lock on Linux) on a marker
 * beside it, {@code onnxruntime-javaN.synalign.lock}, for as long as the JVM runs; the operating
 * system drops the lock when the process ends, however it ends. The marker is made under a
 * temporary name, locked, then renamed into place, so no other run ever sees it unlocked while
 * its owner lives. Then it sweeps {@code java.io.tmpdir}: for each marker of another JVM whose
 * lock it can take, the owner is gone, so it removes the directory the marker names (the
 * directory itself, never a link, and what is inside it) and then the marker. Only where this
 * process's user owns both the marker and the directory: in a shared {@code /tmp} a tree of
 * another user's could be changed under the walk (a folder swapped for a link) so that a delete
 * lands in this user's files; such entries are left to their owner. A marker still
 * locked is a live run's and is left alone; so is every {@code onnxruntime-java} directory
 * without a marker (another program's, or a run before this one's version): nothing of theirs
 * says whether they are in use. A temporary marker (a run killed in the microseconds between
 * making it and renaming it) is treated the same once it is 10 minutes old. On a normal exit the
 * marker goes with the directory ({@code deleteOnExit}) where that was empty (the libraries came
 * from the cache); where ONNX Runtime copied its libraries into it, its own clean-up at exit
 * leaves the directory (empty) and the marker stays with it, for the next start to remove.
 *
 * <p>The libraries themselves, when not cached, no longer go into ONNX Runtime's directory but
 * into one of {@link #ownedDirectory}'s, {@code synalign-onnxruntime-N}, marked and locked before
 * it exists, which the same sweep removes when its owner is gone: so a run killed while they
 * are copied or while ONNX Runtime starts leaves no unmarked libraries.
 *
 * <p>Not covered: a run killed during ONNX Runtime's own start, between its making its
 * directory and this claim (the libraries' load, tens of milliseconds), leaves that directory
 * unmarked, and now always empty: it cannot be claimed earlier (its name is chosen inside ONNX
 * Runtime, under the launch's {@code java.io.tmpdir}), and nothing about an empty directory
 * proves it was not another live program's. Cost: one listing of {@code java.io.tmpdir} and a
 * lock attempt per marker found, once per JVM; a file descriptor held open per marker held.
 */
final class OrtTempDirectories {

    private static final Logger LOG = LoggerFactory.getLogger(OrtTempDirectories.class);

    /** ONNX Runtime's directory names: {@code Files.createTempDirectory("onnxruntime-java")}. */
    private static final Pattern DIRECTORY = Pattern.compile("onnxruntime-java[0-9]+");
    /** The names of the directories of {@link #ownedDirectory}: this prefix, then digits. */
    static final String RUN_PREFIX = "synalign-onnxruntime-";
    /** The marker's suffix after its directory's name. */
    static final String MARKER_SUFFIX = ".synalign.lock";
    private static final Pattern MARKER = Pattern.compile("(onnxruntime-java[0-9]+|"
            + Pattern.quote(RUN_PREFIX) + "[0-9]+)" + Pattern.quote(MARKER_SUFFIX));
    /**
     * A marker under its temporary name: {@code .NAME.RANDOM.synalign.tmp} for ONNX Runtime's
     * directory NAME, {@code .NAME.synalign.tmp} for a directory NAME of {@link #ownedDirectory}.
     */
    private static final Pattern TEMPORARY = Pattern.compile("\\.(?:(onnxruntime-java[0-9]+)\\.[0-9]+|("
            + Pattern.quote(RUN_PREFIX) + "[0-9]+))" + Pattern.quote(".synalign.tmp"));
    /** A temporary marker older than this is a killed run's (it is renamed within microseconds). */
    static final Duration ABANDONED = Duration.ofMinutes(10);

    /**
     * The markers this JVM holds, with their channels (never closed: closing a channel drops the
     * lock). A sweep never opens these: on Linux closing any channel of a file drops all this
     * process's locks on it.
     */
    private static final Set<Path> HELD = new HashSet<>();
    /**
     * The held markers' file keys (device and inode): a sweep of the same directory under
     * another spelling ({@code java.io.tmpdir} changed, a link to it) would miss them in
     * {@link #HELD}, open one, and its close would drop this JVM's lock.
     */
    private static final Set<Object> HELD_KEYS = new HashSet<>();
    private static final Map<Path, FileChannel> CHANNELS = new HashMap<>();
    /** Whether this JVM's ONNX Runtime directory is claimed, and whether it swept. */
    private static boolean claimed;
    private static boolean swept;

    private OrtTempDirectories() {
    }

    /**
     * Claims this JVM's ONNX Runtime directory and removes those of runs that are gone, after
     * ONNX Runtime's loader ran (loaded or not); the claim is tried again by a later call while
     * there is no directory yet (its loader not run), the sweep is made once per JVM. Never
     * throws: a failure is logged at debug level.
     */
    static synchronized void claimAndSweep() {
        if (claimed && swept) {
            return;
        }
        try {
            Path own = claimed ? null : ortTempDirectory();
            if (own != null) {
                claimed = true;
                claim(own);
            }
            if (swept) {
                return;
            }
            swept = true;
            int removed = sweep(Path.of(System.getProperty("java.io.tmpdir")), Instant.now()).size();
            if (removed > 0) {
                LOG.debug("removed {} temporary directories of ONNX Runtime left by runs that were killed",
                        removed);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("ONNX Runtime's temporary directory is not claimed: {}", e.toString());
        }
    }

    /**
     * The directory ONNX Runtime's loader made in this JVM (its static field
     * {@code ai.onnxruntime.OnnxRuntime.tempDirectory}); null when there is none or the field is
     * not there (another version).
     */
    private static Path ortTempDirectory() {
        try {
            Class<?> loader = Class.forName("ai.onnxruntime.OnnxRuntime", false,
                    OrtTempDirectories.class.getClassLoader());
            Field field = loader.getDeclaredField("tempDirectory");
            field.setAccessible(true);
            return field.get(null) instanceof Path p ? p : null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // LinkageError: its class cannot initialise here (no libraries for this platform).
            LOG.debug("cannot find ONNX Runtime's temporary directory: {}", e.toString());
            return null;
        }
    }

    /**
     * Holds the lock of {@code directory}'s marker until this JVM ends, and returns the marker.
     * {@code directory} must be one of ONNX Runtime's ({@code onnxruntime-javaN}).
     */
    static synchronized Path claim(Path directory) throws IOException {
        String name = directory.getFileName().toString();
        if (!DIRECTORY.matcher(name).matches()) {
            throw new IllegalArgumentException("not ONNX Runtime's temporary directory: " + directory);
        }
        Path marker = directory.resolveSibling(name + MARKER_SUFFIX);
        if (HELD.contains(marker.toAbsolutePath().normalize())) {
            return marker;
        }
        Path temporary = Files.createTempFile(directory.getParent(), "." + name + ".", ".synalign.tmp");
        hold(marker, lockAndRename(temporary, marker));
        if (isEmpty(directory)) {
            marker.toFile().deleteOnExit();
        }
        // Else ONNX Runtime copied its libraries into it (no cache): it registered the
        // directory for deletion after them, so at exit the JVM tries the directory first,
        // fails, and leaves it empty. The marker then stays too, unlocked, and the next start
        // removes both.
        return marker;
    }

    /**
     * A new, empty directory {@code tmp/synalign-onnxruntime-N} that is this JVM's from before it
     * exists: its marker ({@code synalign-onnxruntime-N.synalign.lock}) is made under a temporary
     * name, locked, renamed into place, and only then is the directory made, so at no moment is
     * there a directory of that name without a locked marker while this JVM lives; a run killed
     * at any point leaves nothing or a marker no one holds, which the next {@link #sweep} removes
     * with the directory and what was copied into it. At a normal exit the JVM removes the
     * marker after the directory ({@code deleteOnExit} runs in reverse order): register each
     * file put in it with {@code deleteOnExit} too, after this call, so that it goes before the
     * directory.
     *
     * <p>Why: ONNX Runtime's own directory cannot be put anywhere but the JVM's temporary
     * directory as it was at launch ({@code Files.createTempDirectory} reads
     * {@code java.io.tmpdir} once, at the JVM's start, since JDK 17's
     * {@code StaticProperty}: setting it later moves nothing), and its name is chosen at random
     * inside ONNX Runtime's start, so it can only be claimed afterwards. A directory of SynAlign's
     * making can be claimed first, so ONNX Runtime's libraries go there (see
     * {@link OrtNativeLibraries}) when they are not cached.
     */
    static synchronized Path ownedDirectory(Path tmp) throws IOException {
        Path temporary = Files.createTempFile(tmp, "." + RUN_PREFIX, ".synalign.tmp");
        String temporaryName = temporary.getFileName().toString();
        String name = temporaryName.substring(1, temporaryName.length() - ".synalign.tmp".length());
        Path marker = tmp.resolve(name + MARKER_SUFFIX);
        Path directory = tmp.resolve(name);
        FileChannel channel = lockAndRename(temporary, marker);
        try {
            // Owner-only, as ONNX Runtime's own createTempDirectory made its copy: under a
            // umask of 002 on a shared host the group could otherwise replace a library this
            // JVM is about to load.
            Files.createDirectory(directory, ownerOnly(tmp));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(marker);
            channel.close();
            throw e;
        }
        hold(marker, channel);
        marker.toFile().deleteOnExit();
        directory.toFile().deleteOnExit();
        return directory;
    }

    /**
     * Locks {@code temporary}, a marker just made under a temporary name, and renames it to
     * {@code marker}: so no marker of that name is ever unlocked while this JVM lives. On
     * failure the temporary file is removed and nothing is held.
     */
    private static FileChannel lockAndRename(Path temporary, Path marker) throws IOException {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(temporary, StandardOpenOption.WRITE);
            if (channel.tryLock() == null) {
                throw new IOException("another process locked " + temporary + " as it was made");
            }
            Files.move(temporary, marker, StandardCopyOption.ATOMIC_MOVE);
            return channel;
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /**
     * Records {@code marker} as this JVM's, its lock held by {@code channel} until the JVM ends:
     * by path, and by file key, so that a sweep reaching it under another spelling of its
     * directory leaves it (and never opens it, which would drop the lock on closing).
     */
    private static void hold(Path marker, FileChannel channel) {
        Path key = marker.toAbsolutePath().normalize();
        HELD.add(key);
        CHANNELS.put(key, channel);
        Object heldKey = fileKey(marker);
        if (heldKey != null) {
            HELD_KEYS.add(heldKey);
        }
    }

    /** rwx------ where the file system has POSIX permissions (not Windows), else nothing. */
    private static FileAttribute<?>[] ownerOnly(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------"))}
                : new FileAttribute<?>[0];
    }

    /**
     * Whether this process's user owns {@code p} itself (a link is not followed): on Linux by
     * uid (that of {@code /proc/self}, which needs no passwd entry, as a container's user often
     * lacks), elsewhere by the owner the file system reports against {@code user.name}. False
     * when either is unknown, so that nothing is removed on a guess.
     */
    static boolean ownedByThisUser(Path p) {
        try {
            Object uid = thisUid();
            if (uid != null) {
                return uid.equals(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            }
            UserPrincipal me = p.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
            return me.equals(Files.getOwner(p, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Object thisUid;
    private static boolean thisUidRead;

    /** This process's uid ({@code /proc/self}'s owner), or null off Linux. */
    private static synchronized Object thisUid() {
        if (!thisUidRead) {
            thisUidRead = true;
            try {
                thisUid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            } catch (IOException | RuntimeException e) {
                thisUid = null;
            }
        }
        return thisUid;
    }

    /**
     * Removes a directory of {@link #ownedDirectory} that is not wanted after all (its copy
     * failed), what is in it, and its marker, and lets the lock go. Never throws.
     */
    static synchronized void abandon(Path directory) {
        Path marker = directory.resolveSibling(directory.getFileName() + MARKER_SUFFIX);
        Object heldKey = fileKey(marker);
        deleteTree(directory);
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", marker, e.toString());
        }
        Path key = marker.toAbsolutePath().normalize();
        HELD.remove(key);
        if (heldKey != null) {
            HELD_KEYS.remove(heldKey);
        }
        FileChannel channel = CHANNELS.remove(key);
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            LOG.debug("could not close {}: {}", marker, e.toString());
        }
    }

    /** {@code p}'s device and inode (a link not followed), or null where unknown. */
    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean isEmpty(Path directory) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            return !entries.iterator().hasNext();
        }
    }

    /**
     * Removes from {@code tmp} each ONNX Runtime directory whose marker no live process holds,
     * with the marker (see the class comment); returns the directories removed. Markers this
     * JVM holds are not opened.
     */
    static synchronized List<Path> sweep(Path tmp, Instant now) {
        List<Path> removed = new ArrayList<>();
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, "*onnxruntime-*.synalign.*")) {
            entries.forEach(candidates::add);
        } catch (IOException | UncheckedIOException | SecurityException e) {
            LOG.debug("cannot look for ONNX Runtime's stale directories in {}: {}", tmp, e.toString());
            return removed;
        }
        for (Path marker : candidates) {
            String name = marker.getFileName().toString();
            Matcher m = MARKER.matcher(name);
            Matcher t = TEMPORARY.matcher(name);
            String directory = m.matches() ? m.group(1)
                    : t.matches() ? (t.group(1) != null ? t.group(1) : t.group(2)) : null;
            if (directory == null || HELD.contains(marker.toAbsolutePath().normalize())
                    || (!m.matches() && !older(marker, now.minus(ABANDONED)))) {
                continue;
            }
            if (removeIfOwnerGone(marker, tmp.resolve(directory))) {
                removed.add(tmp.resolve(directory));
            }
        }
        return removed;
    }

    private static boolean older(Path file, Instant before) {
        try {
            return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS)
                    .compareTo(FileTime.from(before)) < 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Takes {@code marker}'s lock if no process holds it; then its owner is gone, and
     * {@code directory} and the marker are removed under the lock. False when the owner lives,
     * the marker is gone or is no regular file, or the removal failed.
     */
    private static boolean removeIfOwnerGone(Path marker, Path directory) {
        if (!Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Object key = fileKey(marker);
        if (key != null && HELD_KEYS.contains(key)) {
            return false; // this JVM's own, reached under another spelling of its directory
        }
        // Only this user's own: in a shared /tmp another user can make a marker no one locks
        // beside a directory of their own, then, while the walk below is between listing and
        // deleting, swap a folder in it for a link to this user's home, so that a delete of
        // "dir/sub/.bashrc" would go through the link. A directory this user owns cannot be
        // renamed by others in a sticky /tmp, and only this user writes in it (rwx------).
        if (!ownedByThisUser(marker) || (Files.exists(directory, LinkOption.NOFOLLOW_LINKS)
                && !ownedByThisUser(directory))) {
            return false;
        }
        // No CREATE: a marker another sweep removed since the listing is not made again.
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // held in this JVM (not through claim): live
            }
            if (lock == null) {
                return false; // a live process holds it
            }
            boolean gone = true;
            if (Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                gone = deleteTree(directory);
            }
            if (gone) {
                Files.deleteIfExists(marker);
                LOG.debug("removed {}, left by a run that was killed", directory);
            }
            return gone;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not remove {}: {}", directory, e.toString());
            return false;
        }
    }

    /** Deletes {@code dir} and what it holds, links as links; false if something stayed. */
    private static boolean deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not remove {}: {}", dir, e.toString());
            return false;
        }
    }
}
