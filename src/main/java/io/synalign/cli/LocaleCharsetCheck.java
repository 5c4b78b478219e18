package io.synalign.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Refuses a command line that the JVM could not read under the process's locale, before
 * anything is parsed.
 *
 * <p>Java 17 decodes the arguments, the working directory's name and the environment with the
 * locale's character set ({@code sun.jnu.encoding}; {@code -Dsun.jnu.encoding=UTF-8} is
 * ignored), and picocli reads {@code @}-files with the default charset ({@code file.encoding},
 * also the locale's). Under {@code LANG=C}, or no LANG at all (the default of many containers
 * and batch schedulers), that set is ASCII and every other byte becomes U+FFFD: a
 * {@code --hints} text went to the LLM as {@code R\uFFFD\uFFFDponds} (paid calls, exit 0), a
 * field every record has was "not found", a path could not be named, and relative paths were
 * resolved against a working directory that does not exist. Each is one line naming what was
 * misread and {@link #REMEDY}, exit status 2.
 */
final class LocaleCharsetCheck {

    /** What makes the JVM read non-ASCII text: a UTF-8 locale. */
    static final String REMEDY = "run under a UTF-8 locale: LC_ALL=C.UTF-8 synalign ..., or"
            + " export LANG=C.UTF-8 (the ./synalign launcher does this itself)";

    private LocaleCharsetCheck() {
    }

    /** The first problem of this process's command line and working directory, or null. */
    static String problem(String[] args) {
        return problem(args, System.getProperty("sun.jnu.encoding", ""), Charset.defaultCharset(),
                System.getProperty("user.dir"));
    }

    /**
     * The first problem, or null: an argument misread with {@code jnuEncoding}, an
     * {@code @}-file that {@code atFileCharset} cannot decode, an unusable working directory.
     */
    static String problem(String[] args, String jnuEncoding, Charset atFileCharset,
            String userDir) {
        String problem = argumentProblem(args, jnuEncoding);
        if (problem == null) {
            problem = atFileProblem(args, atFileCharset);
        }
        if (problem == null) {
            problem = workingDirectoryProblem(userDir, jnuEncoding);
        }
        return problem;
    }

    /** Whether a charset name is UTF-8's. */
    static boolean isUtf8(String charset) {
        return charset != null && (charset.equalsIgnoreCase("UTF-8")
                || charset.equalsIgnoreCase("UTF8"));
    }

    /**
     * The first argument that holds U+FFFD while the locale's character set is not UTF-8: a
     * byte the set has no character for. Under a UTF-8 locale a U+FFFD may be meant (or is
     * the file system's business), so it is left alone.
     */
    static String argumentProblem(String[] args, String jnuEncoding) {
        if (isUtf8(jnuEncoding)) {
            return null;
        }
        for (int i = 0; i < args.length; i++) {
            if (args[i].indexOf('\uFFFD') >= 0) {
                return position(args, i) + " reads '" + args[i] + "': Java decoded the command"
                        + " line with the locale's character set " + jnuEncoding
                        + ", which has no characters for some of its bytes; " + REMEDY;
            }
        }
        return null;
    }

    /** "argument 5 (after --hints)": where an argument is, by its place and its option. */
    private static String position(String[] args, int i) {
        String where = "argument " + (i + 1);
        if (args[i].startsWith("--") && args[i].indexOf('=') > 0) {
            return where + " (" + args[i].substring(0, args[i].indexOf('=')) + ")";
        }
        return i > 0 && args[i - 1].startsWith("-") ? where + " (after " + args[i - 1] + ")"
                : where;
    }

    /**
     * The first {@code @}-file (picocli's rules: an argument starting with one {@code @} that
     * names a readable file, and the files those name) whose bytes {@code charset} cannot
     * decode, unless that charset is UTF-8: picocli would read them as U+FFFD, silently.
     */
    static String atFileProblem(String[] args, Charset charset) {
        if (isUtf8(charset.name())) {
            return null;
        }
        Set<Path> visited = new HashSet<>();
        for (String arg : args) {
            String problem = atFileProblem(arg, charset, visited);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    private static String atFileProblem(String arg, Charset charset, Set<Path> visited) {
        if (!arg.startsWith("@") || arg.startsWith("@@") || arg.length() == 1) {
            return null;
        }
        byte[] bytes;
        try {
            Path file = Path.of(arg.substring(1));
            // A regular file only: a pipe or a device (@<(...), @/dev/stdin) read here would
            // be empty when picocli reads it, its arguments dropped without a word.
            if (!Files.isRegularFile(file) || !Files.isReadable(file)
                    || !visited.add(file.toAbsolutePath().normalize())) {
                return null; // picocli's business (a literal, a stream), or read already
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException | InvalidPathException | SecurityException e) {
            return null; // picocli's own handling (a literal argument) applies
        }
        // Bytes the set has no character for become U+FFFD, as picocli's reader makes them;
        // only those in what picocli keeps count: a comment (from a # outside quotes to the
        // end of its line) is dropped by picocli, so a non-ASCII comment is harmless.
        String text;
        try {
            text = charset.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).replaceWith("\uFFFD")
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null; // not with REPLACE; picocli's reader applies
        }
        StringBuilder kept = new StringBuilder();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = withoutComment(lines[i]);
            if (line.indexOf('\uFFFD') >= 0) {
                return arg + ": line " + (i + 1) + " holds bytes that the locale's character set "
                        + charset.name() + " has no characters for (Java reads argument files in"
                        + " it); " + REMEDY;
            }
            kept.append(line).append('\n');
        }
        for (String token : kept.toString().split("\\s+")) {
            String problem = atFileProblem(token.replace("\"", "").replace("'", ""), charset,
                    visited);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /** {@code line} up to a {@code #} outside quotes, where picocli's comment starts. */
    private static String withoutComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#') {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /**
     * Why the working directory Java resolves relative paths against cannot be used, or null.
     * Java decodes its name once, at start-up: misread, it names no directory, and every
     * relative path was "not found" though the file was there.
     */
    static String workingDirectoryProblem(String userDir, String jnuEncoding) {
        // Only a name the locale misread is refused: under UTF-8 Java read it right, and a
        // directory Files.isDirectory cannot see (an ancestor this user may not search, a
        // -Duser.dir) may still resolve relative paths, which the kernel does from the cwd.
        if (isUtf8(jnuEncoding) || userDir == null || userDir.indexOf('\uFFFD') < 0) {
            return null;
        }
        return "the working directory, its name decoded with the locale's character set "
                + jnuEncoding + ", is '" + userDir + "', which names no directory, so relative"
                + " paths would not be found; " + REMEDY + ", or run from a directory whose name"
                + " is ASCII";
    }
}
