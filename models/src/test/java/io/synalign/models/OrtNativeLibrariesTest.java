package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's native libraries copied once into a cache and loaded from there
 * ({@link OrtNativeLibraries}), checked against the jar's own bytes.
 */
class OrtNativeLibrariesTest {

    @TempDir
    Path dir;

    private static final ClassLoader LOADER = OrtNativeLibrariesTest.class.getClassLoader();

    /** This machine's properties, with the cache at {@code cache} and no location of the user's. */
    private static Properties properties(Path cache) {
        Properties p = new Properties();
        for (String key : new String[] {"os.name", "os.arch", "user.home", "java.io.tmpdir"}) {
            p.setProperty(key, System.getProperty(key));
        }
        if (cache != null) {
            p.setProperty(OrtNativeLibraries.CACHE_PROPERTY, cache.toString());
        }
        return p;
    }

    /** The platform's library files in ONNX Runtime's jar, by file name, with their bytes. */
    private static Map<String, byte[]> jarLibraries(String platform) throws Exception {
        String folder = "ai/onnxruntime/native/" + platform + "/";
        java.net.URL url = LOADER.getResource(folder + System.mapLibraryName("onnxruntime"));
        Assumptions.assumeTrue(url != null && url.getProtocol().equals("jar"),
                "ONNX Runtime's libraries for " + platform + " are not in a jar here");
        String jarPath = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
        Map<String, byte[]> found = new TreeMap<>();
        try (JarFile jar = new JarFile(java.net.URLDecoder.decode(jarPath, java.nio.charset.StandardCharsets.UTF_8))) {
            for (JarEntry e : java.util.Collections.list(jar.entries())) {
                String name = e.getName();
                if (!e.isDirectory() && name.startsWith(folder) && name.indexOf('/', folder.length()) < 0) {
                    try (InputStream in = jar.getInputStream(e)) {
                        found.put(name.substring(folder.length()), in.readAllBytes());
                    }
                }
            }
        }
        return found;
    }

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theJarsLibrariesAreCopiedOnceAndLoadedFromTheCopy() throws Exception {
        Path cache = dir.resolve("cache");
        Properties props = properties(cache);
        String platform = OrtNativeLibraries.platform(props);
        Assumptions.assumeTrue(platform != null);
        Map<String, byte[]> expected = jarLibraries(platform);
        assertTrue(expected.containsKey(System.mapLibraryName("onnxruntime")), expected.keySet().toString());

        Path copy = OrtNativeLibraries.prepare(props, Map.of(), LOADER);
        assertNotNull(copy, OrtNativeLibraries.whyNotCached());
        assertEquals(copy.toString(), props.getProperty(OrtNativeLibraries.NATIVE_PATH));
        assertEquals(cache.resolve("onnxruntime"), copy.getParent());
        assertTrue(copy.getFileName().toString().matches(platform + "-[0-9a-f]{16}"), copy.toString());
        // Exactly the folder's files, byte for byte; no temporary directory left beside it.
        assertEquals(new ArrayList<>(expected.keySet()), names(copy));
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(copy.resolve(e.getKey())), e.getKey());
        }
        assertEquals(List.of(copy.getFileName().toString()), names(copy.getParent()));

        // A second JVM finds the copy whole and writes nothing.
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        for (String name : expected.keySet()) {
            Files.setLastModifiedTime(copy.resolve(name), old);
        }
        Properties again = properties(cache);
        assertEquals(copy, OrtNativeLibraries.prepare(again, Map.of(), LOADER));
        for (String name : expected.keySet()) {
            assertEquals(old, Files.getLastModifiedTime(copy.resolve(name)), name);
        }

        // A file of another size (replaced or cut by hand) has the copy made again.
        String jni = System.mapLibraryName("onnxruntime4j_jni");
        Files.write(copy.resolve(jni), new byte[] {1, 2, 3});
        assertEquals(copy, OrtNativeLibraries.prepare(properties(cache), Map.of(), LOADER));
        assertArrayEquals(expected.get(jni), Files.readAllBytes(copy.resolve(jni)));
        assertEquals(List.of(copy.getFileName().toString()), names(copy.getParent()));
    }

    @Test
    void theCacheFollowsTheSettingThenXdgThenTheHome() {
        Properties props = properties(null);
        props.setProperty("user.home", "/home/u");
        assertEquals(Path.of("/home/u/.cache/synalign/natives"), OrtNativeLibraries.cacheRoot(props, Map.of()));
        assertEquals(Path.of("/xdg/synalign/natives"),
                OrtNativeLibraries.cacheRoot(props, Map.of("XDG_CACHE_HOME", "/xdg")));
        props.setProperty(OrtNativeLibraries.CACHE_PROPERTY, "/given");
        assertEquals(Path.of("/given"), OrtNativeLibraries.cacheRoot(props, Map.of("XDG_CACHE_HOME", "/xdg")));
    }

    @Test
    void aLocationTheUserGaveOrOffLeavesTheLibrariesToOnnxRuntime() throws Exception {
        Path cache = dir.resolve("cache");
        for (String given : new String[] {OrtNativeLibraries.NATIVE_PATH, OrtNativeLibraries.LIBRARY_PATH}) {
            Properties props = properties(cache);
            props.setProperty(given, "/opt/ort");
            assertNull(OrtNativeLibraries.prepare(props, Map.of(), LOADER));
            assertEquals(given.equals(OrtNativeLibraries.NATIVE_PATH) ? "/opt/ort" : null,
                    props.getProperty(OrtNativeLibraries.NATIVE_PATH));
        }
        Properties off = properties(null);
        off.setProperty(OrtNativeLibraries.CACHE_PROPERTY, "off");
        assertNull(OrtNativeLibraries.prepare(off, Map.of(), LOADER));
        assertNull(off.getProperty(OrtNativeLibraries.NATIVE_PATH));
        assertTrue(OrtNativeLibraries.whyNotCached().contains("off"), OrtNativeLibraries.whyNotCached());
        assertTrue(Files.notExists(cache));
    }

    @Test
    void aCacheThatCannotBeWrittenLeavesTheLibrariesToOnnxRuntimeAndSaysWhy() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Properties props = properties(file);
        Assumptions.assumeTrue(OrtNativeLibraries.platform(props) != null);
        jarLibraries(OrtNativeLibraries.platform(props));
        assertNull(OrtNativeLibraries.prepare(props, Map.of(), LOADER));
        assertNull(props.getProperty(OrtNativeLibraries.NATIVE_PATH));
        assertTrue(OrtNativeLibraries.whyNotCached().contains(file.toString()), OrtNativeLibraries.whyNotCached());
    }

    @Test
    void platformsAreNamedAsOnnxRuntimesLoaderNamesThem() {
        String[][] cases = {
            {"Linux", "amd64", "linux-x64"}, {"Linux", "aarch64", "linux-aarch64"},
            {"Mac OS X", "aarch64", "osx-aarch64"}, {"Mac OS X", "x86_64", "osx-x64"},
            {"Windows 11", "amd64", "win-x64"}, {"SunOS", "sparcv9", null}, {"Linux", "ppc64le", null},
        };
        for (String[] c : cases) {
            Properties p = new Properties();
            p.setProperty("os.name", c[0]);
            p.setProperty("os.arch", c[1]);
            assertEquals(c[2], OrtNativeLibraries.platform(p), c[0] + " " + c[1]);
        }
    }

    @Test
    void aNoexecMountUnderTheCacheIsFoundThroughEscapesAndStacking() {
        List<String> mounts = List.of(
                "/dev/vda1 / ext4 rw,relatime 0 0",
                "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0",
                "/dev/vdb /home/a\\040b ext4 rw,noexec,relatime 0 0",
                "/dev/vdc /home/a\\040b/exec ext4 rw,relatime 0 0",
                "tmpfs /mnt tmpfs rw 0 0",
                "tmpfs /mnt tmpfs rw,noexec 0 0");
        assertNull(OrtNativeLibraries.noexecMount(Path.of("/root/.cache"), mounts));
        assertEquals("/tmp", OrtNativeLibraries.noexecMount(Path.of("/tmp/x/y"), mounts));
        assertNull(OrtNativeLibraries.noexecMount(Path.of("/tmpfoo"), mounts));
        assertEquals("/home/a b", OrtNativeLibraries.noexecMount(Path.of("/home/a b/.cache"), mounts));
        assertNull(OrtNativeLibraries.noexecMount(Path.of("/home/a b/exec/c"), mounts));
        // The mount on top (listed last) decides.
        assertEquals("/mnt", OrtNativeLibraries.noexecMount(Path.of("/mnt/c"), mounts));
    }

    /**
     * A JVM that starts the engine leaves nothing in its temporary directory: ONNX Runtime's own
     * loader copied its libraries into a new directory there and left it (empty after a normal
     * exit, the 24 MB after {@code kill -9}) in every run; now it loads them from the cache,
     * filled by the first run, and the second run copies nothing.
     */
    @Test
    void aJvmThatStartsTheEngineLeavesNothingInItsTemporaryDirectory() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path cache = dir.resolve("cache");
        Assumptions.assumeTrue(OrtNativeLibraries.platform(properties(null)) != null);
        jarLibraries(OrtNativeLibraries.platform(properties(null)));
        for (int run = 0; run < 2; run++) {
            Path argfile = dir.resolve("cp.args");
            Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:-UsePerfData", "@" + argfile, "-Djava.io.tmpdir=" + tmp,
                    "-D" + OrtNativeLibraries.CACHE_PROPERTY + "=" + cache, StartEngineMain.class.getName())
                    .redirectErrorStream(true).start();
            String printed = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(3, TimeUnit.MINUTES));
            assertEquals(0, p.exitValue(), printed);
            assertTrue(printed.contains("loaded from " + cache.resolve("onnxruntime")), printed);
            assertEquals(List.of(), names(tmp), "left in java.io.tmpdir after run " + run);
        }
        try (Stream<Path> s = Files.list(cache.resolve("onnxruntime"))) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void aLibraryThatDidNotLoadIsExplainedWithWhereItCameFrom() {
        String fromTmp = OrtEngineFailure.explain(new UnsatisfiedLinkError(
                "no onnxruntime in java.library.path: /usr/lib")).getMessage();
        assertTrue(fromTmp.startsWith("cannot load a sentence encoder: ONNX Runtime's native library did not load"
                + " (no onnxruntime in java.library.path: /usr/lib); "), fromTmp);
        String named = OrtEngineFailure.nativeLibraryNotLoaded("x", null, "/full/tmp", "cannot fill /c: disk full");
        assertTrue(named.contains("/full/tmp (java.io.tmpdir)") && named.contains("cannot fill /c: disk full"), named);
        String cached = OrtEngineFailure.nativeLibraryNotLoaded("y", "/c/onnxruntime/linux-x64-0", "/tmp", null);
        assertTrue(cached.endsWith("it was loaded from /c/onnxruntime/linux-x64-0 (onnxruntime.native.path)"), cached);
    }
}
