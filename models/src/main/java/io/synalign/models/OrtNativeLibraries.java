package io.synalign.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime's native libraries, copied out of its jar once per version into the user's cache
 * and loaded from there, the way JavaCPP ({@code ~/.javacpp/cache}) and DJL's tokenizers
 * ({@code ~/.djl.ai}) keep theirs.
 *
 * <p>Why: ONNX Runtime 1.28's own loader ({@code ai.onnxruntime.OnnxRuntime.init}) copies
 * {@code libonnxruntime} (24 MB on linux-x64) and its JNI library into a new
 * {@code java.io.tmpdir/onnxruntime-javaN} in every JVM and removes them at exit through
 * {@code File.deleteOnExit}, registering the directory after the files, so the JVM tries the
 * directory first, while it still holds them: every run that loads an encoder leaves an empty
 * directory in {@code /tmp} (979 of them on the development machine), a run killed
 * ({@code kill -9}, the kernel's OOM killer) leaves the 24 MB, the copy takes about 0.3 s of
 * every text command's start, and on a full or read-only temporary directory every text command
 * failed with "no onnxruntime in java.library.path" after a stack trace. The loader reads the
 * system property {@code onnxruntime.native.path}, a directory holding the libraries, and then
 * copies nothing (it still makes an empty directory in {@code java.io.tmpdir}, which it then
 * removes at exit; one that a killed run left is removed by a later run,
 * {@link OrtTempDirectories}). This class fills such a directory once and sets the property.
 *
 * <p>The directory is {@code CACHE/onnxruntime/PLATFORM-KEY}: CACHE is
 * {@code -Dsynalign.onnxruntime.nativeCache=DIR}, else {@code $XDG_CACHE_HOME/synalign/natives},
 * else {@code ~/.cache/synalign/natives}; PLATFORM is ONNX Runtime's name for this machine
 * ({@code linux-x64}, {@code osx-aarch64}); KEY is a digest of the names, sizes and CRC-32s the
 * jar records for the platform's files, so another ONNX Runtime build gets another directory and
 * nothing is read to find the key. A directory is made complete under a temporary name
 * ({@code .PLATFORM-KEY-RANDOM}, owner-only permissions) and renamed into place, so a
 * concurrent or killed run never leaves a half-written library where another will load it; one
 * whose files' sizes differ from the jar's is replaced. Nothing is cached (ONNX Runtime copies
 * to {@code java.io.tmpdir} as before, and the reason is logged at debug level) when the user
 * set {@code onnxruntime.native.path} or {@code onnxruntime.native.onnxruntime.path} (theirs is
 * used), when the cache property is {@code off}, when the libraries are not in a jar, when the
 * cache lies on a file system mounted {@code noexec} (a library there could not be mapped), or
 * when the directory cannot be written. In the last three cases (the libraries are in a jar and
 * no location was given) they are copied for this run only, into a directory of
 * {@code java.io.tmpdir} that is marked as this JVM's before it exists
 * ({@link OrtTempDirectories#ownedDirectory}, {@code synalign-onnxruntime-N}) and removed at
 * exit, or by the next start when the run was killed: ONNX Runtime's own copy went into its own
 * directory, which it names inside its start, so a run killed while it copied or loaded them
 * left 24 MB in an unmarked directory for good. Where that copy fails too, ONNX Runtime's
 * loader is left to copy them itself, as before. Cost: on the first run, one copy of the
 * libraries (about 24 MB) and an fsync; after, a few {@code stat} calls; without the cache, one
 * copy per run, as ONNX Runtime's loader made.
 */
final class OrtNativeLibraries {

    private static final Logger LOG = LoggerFactory.getLogger(OrtNativeLibraries.class);

    /** ONNX Runtime's property: the directory its loader loads the libraries from. */
    static final String NATIVE_PATH = "onnxruntime.native.path";
    /** ONNX Runtime's property naming the main library's file itself. */
    static final String LIBRARY_PATH = "onnxruntime.native.onnxruntime.path";
    /** Where the libraries are cached, or {@code off}. */
    static final String CACHE_PROPERTY = "synalign.onnxruntime.nativeCache";
    private static final String RESOURCE_ROOT = "ai/onnxruntime/native/";
    /** A temporary directory older than this was left by a run that was killed while copying. */
    private static final Duration ABANDONED = Duration.ofMinutes(10);

    private static boolean prepared;
    /** Why the last {@link #prepare()} cached nothing; null when it did. */
    private static String whyNotCached;
    /** This run's own copy of the libraries ({@link #copyForThisRun}), or null. */
    private static Path runCopy;

    private OrtNativeLibraries() {
    }

    /**
     * Makes ONNX Runtime load its libraries from the cache directory, filled on the first call
     * of any JVM, unless the class comment's exceptions apply. Call before anything touches an
     * ONNX Runtime class; later calls in the JVM return at once.
     */
    static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        try {
            Properties props = System.getProperties();
            ClassLoader loader = OrtNativeLibraries.class.getClassLoader();
            if (prepare(props, System.getenv(), loader) == null) {
                runCopy = copyForThisRun(props, loader, Path.of(props.getProperty("java.io.tmpdir")));
            }
        } catch (RuntimeException e) {
            // Never a reason to fail a load that ONNX Runtime may well manage on its own.
            whyNotCached = e.toString();
            LOG.debug("ONNX Runtime's native libraries are not cached ({}): it copies them to {}",
                    e.toString(), System.getProperty("java.io.tmpdir"));
        }
    }

    /** Why the cache was not used in this JVM, for an error message; null when it was. */
    static synchronized String whyNotCached() {
        return whyNotCached;
    }

    /** The directory of this run's own copy of the libraries, or null when there is none. */
    static synchronized Path runCopy() {
        return runCopy;
    }

    /**
     * Copies the platform's libraries out of ONNX Runtime's jar into a new directory of
     * {@code tmp} owned by this JVM ({@link OrtTempDirectories#ownedDirectory}), each registered
     * for deletion at exit, and sets {@link #NATIVE_PATH} in {@code props} to it; returns it, or
     * null (saying why at debug level, leaving nothing behind) where the user gave a location,
     * the libraries are not in a jar, or the copy fails. No fsync: a copy lives for one run.
     */
    static Path copyForThisRun(Properties props, ClassLoader loader, Path tmp) {
        if (props.getProperty(NATIVE_PATH) != null || props.getProperty(LIBRARY_PATH) != null) {
            return null;
        }
        String platform = platform(props);
        List<Library> libraries = platform == null ? List.of() : libraries(loader, platform);
        if (libraries.isEmpty()) {
            return null;
        }
        Path dir = null;
        try {
            dir = OrtTempDirectories.ownedDirectory(tmp);
            for (Library l : libraries) {
                Path file = dir.resolve(l.fileName());
                try (InputStream in = l.jar().getInputStream(l.entry())) {
                    Files.copy(in, file);
                }
                // Registered after the directory, so removed before it at exit.
                file.toFile().deleteOnExit();
            }
        } catch (IOException | UncheckedIOException | SecurityException e) {
            if (dir != null) {
                OrtTempDirectories.abandon(dir);
            }
            LOG.debug("ONNX Runtime's native libraries are not copied for this run into {} ({}): its"
                    + " loader copies them", tmp, e.toString());
            return null;
        }
        props.setProperty(NATIVE_PATH, dir.toString());
        LOG.debug("ONNX Runtime loads its native libraries from this run's copy in {}", dir);
        return dir;
    }

    /**
     * The work of {@link #prepare()} on the given properties and environment: sets
     * {@link #NATIVE_PATH} in {@code props} to the filled directory and returns it, or returns
     * null, saying why at debug level, when the libraries are left to ONNX Runtime's own loader.
     */
    static Path prepare(Properties props, Map<String, String> env, ClassLoader loader) {
        whyNotCached = null;
        String setting = props.getProperty(CACHE_PROPERTY);
        String why = null;
        Path dir = null;
        if (props.getProperty(NATIVE_PATH) != null || props.getProperty(LIBRARY_PATH) != null) {
            why = "the libraries' location was given (" + NATIVE_PATH + " or " + LIBRARY_PATH + ")";
        } else if (setting != null && setting.strip().equalsIgnoreCase("off")) {
            why = CACHE_PROPERTY + " is off";
        } else {
            String platform = platform(props);
            List<Library> libraries = platform == null ? List.of() : libraries(loader, platform);
            if (platform == null) {
                why = "ONNX Runtime ships no libraries for " + props.getProperty("os.name") + " "
                        + props.getProperty("os.arch");
            } else if (libraries.isEmpty()) {
                why = "its libraries for " + platform + " are not read from a jar";
            } else {
                Path root = cacheRoot(props, env).resolve("onnxruntime");
                try {
                    dir = filled(root, platform + "-" + key(libraries), libraries);
                } catch (IOException | UncheckedIOException | SecurityException e) {
                    why = "cannot fill " + root + ": " + e;
                }
            }
        }
        if (dir == null) {
            whyNotCached = why;
            LOG.debug("ONNX Runtime's native libraries are not cached: {}; it copies them to {}", why,
                    props.getProperty("java.io.tmpdir"));
            return null;
        }
        props.setProperty(NATIVE_PATH, dir.toString());
        LOG.debug("ONNX Runtime loads its native libraries from {}", dir);
        return dir;
    }

    /** One library file of the jar: its name in the directory and what the jar says of it. */
    record Library(JarFile jar, JarEntry entry, String fileName) {
    }

    /** CACHE of the class comment. */
    static Path cacheRoot(Properties props, Map<String, String> env) {
        String given = props.getProperty(CACHE_PROPERTY);
        if (given != null && !given.isBlank()) {
            return Path.of(given.strip());
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(props.getProperty("user.home", "."), ".cache");
        return base.resolve("synalign").resolve("natives");
    }

    /**
     * ONNX Runtime's name for this platform, as its loader computes it ({@code linux-x64},
     * {@code linux-aarch64}, {@code osx-aarch64}, {@code win-x64}); null for one it has no
     * libraries for.
     */
    static String platform(Properties props) {
        String os = props.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = props.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("mac") || os.contains("darwin") ? "osx"
                : os.contains("win") ? "win" : os.contains("nux") ? "linux" : null;
        String a = arch.startsWith("amd64") || arch.startsWith("x86_64") ? "x64"
                : arch.startsWith("aarch64") ? "aarch64" : null;
        return o == null || a == null ? null : o + "-" + a;
    }

    /**
     * The regular files directly under the platform's folder of the jar that holds ONNX
     * Runtime's main library (debug symbols' folders are left out); empty when that library is
     * not in a jar.
     */
    private static List<Library> libraries(ClassLoader loader, String platform) {
        String folder = RESOURCE_ROOT + platform + "/";
        String main = folder + System.mapLibraryName("onnxruntime").replace(".jnilib", ".dylib");
        URL url = loader.getResource(main);
        if (url == null || !"jar".equals(url.getProtocol())) {
            return List.of();
        }
        try {
            URLConnection connection = url.openConnection();
            if (!(connection instanceof JarURLConnection jarConnection)) {
                return List.of();
            }
            // The class loader's own open jar (cached by the JVM), not closed here.
            JarFile jar = jarConnection.getJarFile();
            List<Library> found = new ArrayList<>();
            jar.stream()
                    .filter(e -> !e.isDirectory() && e.getName().startsWith(folder)
                            && e.getName().indexOf('/', folder.length()) < 0)
                    .sorted(Comparator.comparing(JarEntry::getName))
                    .forEach(e -> found.add(new Library(jar, e, e.getName().substring(folder.length()))));
            return found;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** KEY of the class comment: 16 hex digits of a SHA-256 over names, sizes and CRCs. */
    static String key(List<Library> libraries) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Library l : libraries) {
                digest.update((l.fileName() + "\t" + l.entry().getSize() + "\t" + l.entry().getCrc() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * {@code root/name}, holding every library with the jar's size: as found, or copied now under
     * a temporary name and renamed into place.
     */
    private static Path filled(Path root, String name, List<Library> libraries) throws IOException {
        Path dir = root.resolve(name);
        if (complete(dir, libraries)) {
            return dir;
        }
        Files.createDirectories(root);
        String noexec = noexecMount(root.toRealPath());
        if (noexec != null) {
            throw new FileSystemException(root.toString(), null, "on a file system mounted noexec ("
                    + noexec + "), where a library cannot be mapped");
        }
        removeAbandoned(root, name);
        // Owner-only: code that this user's processes will load.
        Path temp = Files.createTempDirectory(root, "." + name + "-");
        try {
            for (Library l : libraries) {
                Path file = temp.resolve(l.fileName());
                try (InputStream in = l.jar().getInputStream(l.entry())) {
                    Files.copy(in, file);
                }
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            if (Files.exists(dir)) {
                // Not complete (sizes differ: a file replaced by hand): set aside, then replaced.
                Path stale = Files.createTempDirectory(root, "." + name + "-");
                Files.delete(stale);
                Files.move(dir, stale, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(stale);
            }
            try {
                Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // Another run renamed its copy into place first: use it if it is whole.
                if (!complete(dir, libraries)) {
                    throw e;
                }
            }
            LOG.debug("copied ONNX Runtime's native libraries to {}", dir);
            return dir;
        } finally {
            deleteTree(temp);
        }
    }

    /** Whether {@code dir} holds every library as a regular file of the jar's size. */
    private static boolean complete(Path dir, List<Library> libraries) {
        for (Library l : libraries) {
            Path file = dir.resolve(l.fileName());
            try {
                if (!Files.isRegularFile(file) || Files.size(file) != l.entry().getSize()) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** Removes temporary directories of {@code name} that a killed run left (older than 10 min). */
    private static void removeAbandoned(Path root, String name) {
        Instant before = Instant.now().minus(ABANDONED);
        try (Stream<Path> entries = Files.list(root)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                if (p.getFileName().toString().startsWith("." + name + "-")
                        && Files.getLastModifiedTime(p).compareTo(FileTime.from(before)) < 0) {
                    deleteTree(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not look for abandoned copies in {}: {}", root, e.toString());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not remove {}: {}", dir, e.toString());
        }
    }

    /**
     * The mount point of {@code realPath}'s file system when it is mounted {@code noexec}, read
     * from {@code /proc/self/mounts}; null when it is not, or when that file cannot be read (not
     * Linux).
     */
    private static String noexecMount(Path realPath) {
        Path mounts = Path.of("/proc/self/mounts");
        if (!Files.isReadable(mounts)) {
            return null;
        }
        try {
            return noexecMount(realPath, Files.readAllLines(mounts, StandardCharsets.UTF_8));
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    /**
     * {@link #noexecMount(Path)} on the lines of a mounts table ("DEVICE MOUNTPOINT TYPE
     * OPTIONS ..."; a space, tab, newline or backslash in a mount point written as an octal
     * escape): the longest mount point containing {@code realPath}, later lines winning ties (the
     * mount on top), decides.
     */
    static String noexecMount(Path realPath, List<String> lines) {
        String best = null;
        boolean bestNoexec = false;
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length < 4) {
                continue;
            }
            String point = unescape(f[1]);
            if (!realPath.startsWith(Path.of(point))) {
                continue;
            }
            if (best == null || point.length() >= best.length()) {
                best = point;
                bestNoexec = List.of(f[3].split(",")).contains("noexec");
            }
        }
        return bestNoexec ? best : null;
    }

    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
