package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script's java command line by the runtime's version: Java 24 and later print
 * warnings on every command unless {@code --sun-misc-unsafe-memory-access=allow} is given,
 * which Java 17 refuses to start with. The script runs against a stand-in JDK (a {@code
 * bin/java} that prints its arguments, and the {@code release} file a JDK carries) and an up to
 * date jar, so nothing is built or started.
 */
class LauncherJavaOptionsTest {

    private static final String DEFAULTS = "-XX:MaxRAMPercentage=33 -XX:+UseCompressedOops";

    @Test
    void java24AndLaterGetTheUnsafeOptionAndJava17TheSameLineAsBefore(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path script = checkout(dir);
        String jar = script.resolveSibling("src/target/synalign.jar").toRealPath().toString();

        assertEquals(DEFAULTS + " -jar " + jar + " --version",
                launch(script, jdk(dir, "17.0.15"), "--version"));
        assertEquals("--sun-misc-unsafe-memory-access=allow " + DEFAULTS + " -jar " + jar
                + " --version", launch(script, jdk(dir, "25.0.3"), "--version"));
        assertEquals("--sun-misc-unsafe-memory-access=allow " + DEFAULTS + " -jar " + jar
                + " --version", launch(script, jdk(dir, "24"), "--version"));
        assertEquals(DEFAULTS + " -jar " + jar + " --version",
                launch(script, jdk(dir, "23.0.2"), "--version"));
        assertEquals(DEFAULTS + " -jar " + jar + " --version",
                launch(script, jdk(dir, "1.8.0_452"), "--version"));
    }

    /**
     * Under an ASCII locale (LANG=C, or none) Java 17 misreads every non-ASCII argument and
     * file name, and synalign refuses them; the launcher runs java under a UTF-8 locale there
     * (only the character set: LC_CTYPE, or LC_ALL where that is set and would override it),
     * and leaves a UTF-8 locale alone.
     */
    @Test
    void anAsciiLocaleRunsJavaUnderAUtf8One(@TempDir Path dir)
            throws IOException, InterruptedException {
        assumeACUtf8Locale();
        Path script = checkout(dir);
        Path home = jdk(dir, "17.0.15");
        Files.writeString(home.resolve("bin/java"),
                "#!/bin/sh\necho \"${LC_ALL-unset} ${LC_CTYPE-unset} $(locale charmap)\"\n");

        String[] ctype = launchUnder(script, home, Map.of("LANG", "C")).split(" ");
        assertEquals("unset", ctype[0]);
        assertTrue(ctype[1].equalsIgnoreCase("C.UTF-8") || ctype[1].equalsIgnoreCase("C.utf8"),
                ctype[1]);
        assertEquals("UTF-8", ctype[2]);
        String[] all = launchUnder(script, home, Map.of("LC_ALL", "POSIX")).split(" ");
        assertTrue(all[0].equalsIgnoreCase("C.UTF-8") || all[0].equalsIgnoreCase("C.utf8"), all[0]);
        assertEquals("UTF-8", all[2]);
        String[] none = launchUnder(script, home, Map.of()).split(" ");
        assertEquals("unset", none[0], "no locale at all is ASCII too");
        assertTrue(none[1].equalsIgnoreCase("C.UTF-8") || none[1].equalsIgnoreCase("C.utf8"),
                none[1]);
        assertEquals("unset unset UTF-8", launchUnder(script, home, Map.of("LANG", "C.UTF-8")),
                "a UTF-8 locale is left as it is");
    }

    /** What the stand-in java printed when the launcher ran with only {@code locale} set. */
    private static String launchUnder(Path script, Path javaHome, Map<String, String> locale)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.equals("LANG") || k.startsWith("LC_"));
        env.putAll(locale);
        env.put("JAVA_HOME", javaHome.toString());
        env.put("SYNALIGN_HUGE_PAGES", "0");
        env.remove("SYNALIGN_JAVA_OPTS");
        Process process = builder.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /**
     * A checkout holding a copy of the launcher and an empty jar written after it (so the jar
     * counts as up to date: no pom or source is newer); the launcher's path.
     */
    private static Path checkout(Path dir) throws IOException {
        Path root = dir.resolve("checkout");
        Files.createDirectories(root.resolve("src/target"));
        Path script = Files.copy(Path.of("").toAbsolutePath().getParent().resolve("synalign"),
                root.resolve("synalign"));
        Files.writeString(root.resolve("src/target/synalign.jar"), "");
        return script;
    }

    /** Skips a test that needs the C.UTF-8 locale where the system has none. */
    private static void assumeACUtf8Locale() throws IOException {
        String locales = new String(new ProcessBuilder("locale", "-a").start().getInputStream()
                .readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(locales.lines()
                .anyMatch(l -> l.equalsIgnoreCase("C.UTF-8") || l.equalsIgnoreCase("C.utf8")),
                "this system has no C.UTF-8 locale");
    }

    /** A stand-in JDK whose release file names {@code version}. */
    private static Path jdk(Path dir, String version) throws IOException {
        Path home = dir.resolve("jdk-" + version);
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\""
                + version + "\"\n");
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    /** What the stand-in java was given (its one output line). */
    private static String launch(Path script, Path javaHome, String... args)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().add("bash");
        builder.command().add(script.toString());
        builder.command().addAll(java.util.List.of(args));
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", javaHome.toString());
        env.put("SYNALIGN_HUGE_PAGES", "0"); // the machine's THP mode is not the point here
        env.remove("SYNALIGN_JAVA_OPTS");
        Process process = builder.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /**
     * A LANG naming a locale the system does not have (LANG=en_US.UTF-8 in a container without
     * locales) makes glibc's setlocale(LC_ALL, "") fail as a whole, so an LC_CTYPE=C.UTF-8 the
     * launcher exports does not reach Java, which stayed on ASCII and refused a non-ASCII
     * argument saying the launcher fixes that. A stand-in java that asks {@code locale} cannot
     * see it (that reads UTF-8 after the change); this one asks a real JVM (review final24).
     */
    @Test
    void theLauncherGivesJavaAUtf8CharsetUnderALangTheSystemLacks(@TempDir Path dir)
            throws IOException, InterruptedException {
        assumeACUtf8Locale();
        String missing = "en_ZZ.UTF-8"; // a locale no system has
        Path script = checkout(dir);
        Path home = jdk(dir, "17.0.15");
        Path realJava = Path.of(System.getProperty("java.home"), "bin", "java");
        // The stand-in runs the real JVM and prints the charset it decodes argv with.
        Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n'" + realJava + "'"
                + " -XshowSettings:properties -version 2>&1"
                + " | sed -n 's/^ *sun.jnu.encoding = //p'\n");
        assertEquals("UTF-8", launchUnder(script, home, Map.of("LANG", missing)), "LANG="
                + missing + " (not installed): java decodes the command line with this charset"
                + " under the launcher");
    }
}
