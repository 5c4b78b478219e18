package io.synalign.cli;

import io.synalign.models.CachingSentenceEncoder;
import io.synalign.models.EmbeddingCache;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ExecutionDevice;
import io.synalign.models.LazyOnnxSentenceEncoder;
import io.synalign.models.MaxLengthExceededException;
import io.synalign.models.ModelRegistry;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options of commands that embed texts: the sentence encoder ({@code --encoder}), its batch
 * size and truncation length, the device, and the embedding cache. {@link #open} turns them into
 * an encoder.
 *
 * <p>One definition, one name in every command: {@code --encoder} is always the sentence
 * encoder; {@code --model} is only ever the LLM's name ({@code generate}, {@code run}).
 */
final class EmbeddingOptions {

    /** Loads a model; replaceable in tests (a counting or fake encoder). */
    @FunctionalInterface
    interface EncoderLoader {
        SentenceEncoder load(ModelSpec spec, EncoderOptions options);
    }

    @Option(names = "--encoder", paramLabel = "minilm|bge-small|DIR",
            description = "Sentence encoder: minilm (all-MiniLM-L6-v2, quantised, 384-d),"
                    + " bge-small (BGE-small-en-v1.5, quantised, 384-d), or a directory holding"
                    + " the files model.onnx and tokenizer.json (pooling from its"
                    + " sentence-transformers 1_Pooling/config.json, else mean). Outputs are"
                    + " L2-normalised. Default: ${DEFAULT-VALUE}.")
    String encoder = ModelRegistry.DEFAULT_MODEL;

    /** The encoder name or directory given on the command line. */
    String model() {
        return encoder;
    }

    @Option(names = "--batch-size", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Texts per encoder batch. Default: ${DEFAULT-VALUE}.")
    int batchSize = EncoderOptions.DEFAULT_BATCH_SIZE;

    @Option(names = "--max-length", paramLabel = "TOKENS", converter = Converters.PositiveInt.class,
            description = "Tokens kept per text, special tokens included; longer texts are"
                    + " truncated, and a note counts them. 2 to 512 for the built-in models,"
                    + " whose own reference lengths are 256 (minilm) and 512 (bge-small)."
                    + " Default: ${DEFAULT-VALUE}.")
    int maxLength = EncoderOptions.DEFAULT_MAX_LENGTH;

    @Option(names = "--device", paramLabel = "cpu|cuda[:N]",
            description = "Where the encoder runs; cuda needs a build with -Ponnxruntime-gpu."
                    + " Default: ${DEFAULT-VALUE}.")
    String device = "cpu";

    @PathRole(PathRole.Kind.DIRECTORY)
    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Embedding cache: texts embedded once are not embedded again, and an"
                    + " interrupted run resumes. Default: the directory synalign in"
                    + " $XDG_CACHE_HOME, else in $HOME/.cache, else in the user's home"
                    + " directory's .cache (the first of them that is an absolute path). A"
                    + " cache that cannot be created is refused before any work (it is created"
                    + " when the texts are embedded); one that cannot be written is only read.")
    Path cacheDir;

    @Option(names = "--no-cache", description = "Embed every text, reading and writing no cache.")
    boolean noCache;

    /**
     * The encoder options, checked.
     *
     * @throws IllegalArgumentException naming the option with a bad value
     */
    EncoderOptions encoderOptions() {
        EncoderOptions options = EncoderOptions.defaults().withBatchSize(batchSize);
        if (maxLength < 2) {
            // Said in the option's terms: the library's message names its own maxLength field.
            throw new IllegalArgumentException("--max-length " + maxLength + ": at least 2 tokens"
                    + " (the encoder's start and end tokens), at most 512 for the built-in models");
        }
        try {
            options = options.withMaxLength(maxLength);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--max-length " + maxLength + ": "
                    + e.getMessage());
        }
        try {
            return options.withDevice(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device " + e.getMessage(), e);
        }
    }

    /**
     * The encoder settings as they took effect, for a run document ({@link RunSettings}): the
     * cache directory in use (null with {@code --no-cache}) and a model directory as a path.
     */
    Map<String, Object> effective(Path cacheInUse) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        String name = encoder.strip();
        m.put("--encoder", ModelRegistry.names().contains(name.toLowerCase(Locale.ROOT))
                ? name.toLowerCase(Locale.ROOT) : Path.of(name));
        m.put("--cache-dir", cacheInUse);
        return m;
    }

    /** The model, resolved. */
    ModelSpec modelSpec() {
        return ModelRegistry.resolve(model());
    }

    /**
     * The cache directory in use, or {@code null} with {@code --no-cache}, checked now: one that
     * cannot be made (its nearest existing ancestor is no writable directory) is refused before
     * the input is read and the model loaded, naming the directory. Nothing is created here: a
     * bad input found later must leave no cache behind. A cache that exists but cannot be
     * written is used for reading (one warning at the first store that fails).
     *
     * @throws IllegalArgumentException when both --cache-dir and --no-cache are given, when no
     *     default location is known, or when the directory cannot be created
     */
    Path cacheDirectory(Map<String, String> env) {
        if (noCache) {
            if (cacheDir != null) {
                throw new IllegalArgumentException("--cache-dir and --no-cache contradict each"
                        + " other; give one");
            }
            return null;
        }
        Path dir = cacheLocation(env);
        String why = whyNotCreatable(dir);
        if (why != null) {
            throw new IllegalArgumentException(cannotCreate(dir, why));
        }
        return dir;
    }

    /** The one-line refusal of a cache directory that cannot be made. */
    private String cannotCreate(Path dir, String why) {
        return (cacheDir != null ? "--cache-dir " + cacheDir : "the embedding cache " + dir)
                + ": cannot create " + why + "; give --cache-dir DIR or --no-cache";
    }

    /**
     * Why {@code dir} could not be created, as "PATH (reason)", or null when it is a directory
     * or its nearest existing ancestor is a writable directory. Creates nothing.
     */
    static String whyNotCreatable(Path dir) {
        Path p = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(p)) {
            return null;
        }
        if (Files.exists(p)) {
            return p + " (not a directory)";
        }
        Path ancestor = p.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null) {
            return p + " (no such file or directory)";
        }
        if (!Files.isDirectory(ancestor)) {
            return ancestor + " (not a directory)";
        }
        if (!Files.isWritable(ancestor)) {
            return ancestor + " (permission denied)";
        }
        return null;
    }

    /**
     * Where the cache would be, without creating it: --cache-dir, else the default location.
     *
     * @throws IllegalArgumentException when no default location is known
     */
    Path cacheLocation(Map<String, String> env) {
        return cacheLocation(env, System.getProperty("user.home"));
    }

    /** {@link #cacheLocation(Map)} with the user's home directory given. */
    Path cacheLocation(Map<String, String> env, String userHome) {
        if (cacheDir != null) {
            return cacheDir;
        }
        Path dir = defaultCacheDirectory(env, userHome);
        if (dir == null) {
            // Refused rather than run without a cache: a run that is slow every time for want
            // of a variable is worse than one line that says what to give.
            throw new IllegalArgumentException("no location for the embedding cache: neither"
                    + " $XDG_CACHE_HOME nor $HOME is an absolute path, nor is the user's home"
                    + " directory ('" + userHome + "'); give --cache-dir DIR or --no-cache");
        }
        return dir;
    }

    /**
     * {@code $XDG_CACHE_HOME/synalign} when that is an absolute path, else
     * {@code $HOME/.cache/synalign} when $HOME is absolute, else the same under the user's home
     * directory from the password database ({@code userHome}) when that is absolute; null when
     * none is. Not {@code user.home} first: it ignores $HOME, and for a uid without a passwd
     * entry (docker -u 1000) it is "?", which made a directory "?/.cache/synalign" in the
     * working directory.
     *
     * @throws IllegalArgumentException when $XDG_CACHE_HOME or $HOME is set but cannot be a
     *     path at all (a name the locale's character set cannot encode, under LANG=C): ignored,
     *     the cache silently went elsewhere
     */
    static Path defaultCacheDirectory(Map<String, String> env, String userHome) {
        String xdg = env.get("XDG_CACHE_HOME");
        if (absolute("XDG_CACHE_HOME", xdg)) {
            return Path.of(xdg, "synalign");
        }
        String home = env.get("HOME");
        if (absolute("HOME", home)) {
            return Path.of(home, ".cache", "synalign");
        }
        return absolute("the user's home directory", userHome)
                ? Path.of(userHome, ".cache", "synalign") : null;
    }

    /**
     * Whether {@code path}, the value of {@code name}, is an absolute path; a relative one is
     * ignored, as the XDG specification says.
     *
     * @throws IllegalArgumentException when it is no path at all
     */
    private static boolean absolute(String name, String path) {
        if (path == null || path.isBlank()) {
            return false;
        }
        try {
            return Path.of(path).isAbsolute();
        } catch (java.nio.file.InvalidPathException e) {
            String charset = System.getProperty("sun.jnu.encoding");
            throw new IllegalArgumentException((name.startsWith("the") ? name : "$" + name)
                    + " ('" + path + "') cannot be used as the embedding cache's location: "
                    + e.getReason() + (LocaleCharsetCheck.isUtf8(charset) ? ""
                            : " in the locale's character set " + charset + "; "
                            + LocaleCharsetCheck.REMEDY + ",")
                    + " or give --cache-dir DIR or --no-cache", e);
        }
    }

    /** The path that could not be created and why, in mkdir's words: "/x (permission denied)". */
    private static String reason(java.io.IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "not a directory"
                    : f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
            return f.getFile() + " (" + why + ")";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * Opens the model through {@code loader} and wraps it in the cache (unless {@code cache} is
     * null); the production loader leaves a built-in model's session to the first cache miss.
     *
     * @param cache the cache directory, from {@link #cacheDirectory}, or null
     */
    SentenceEncoder open(EncoderLoader loader, ModelSpec spec, EncoderOptions options,
            Path cache) {
        SentenceEncoder encoder;
        try {
            encoder = loader.load(spec, options);
        } catch (IllegalStateException e) {
            if (options.device() != ExecutionDevice.CUDA) {
                throw e;
            }
            // Like an unavailable --backend: the option asks for what this build cannot do.
            throw new IllegalArgumentException("--device " + device + ": " + e.getMessage(), e);
        }
        if (cache == null) {
            return encoder;
        }
        try {
            return new CachingSentenceEncoder(encoder, EmbeddingCache.open(cache));
        } catch (java.io.UncheckedIOException e) {
            // What whyNotCreatable could not foresee (a root-owned /proc, a full disk).
            encoder.close();
            throw new IllegalArgumentException(cannotCreate(cache, reason(e.getCause())), e);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /**
     * The production loader: a built-in model's ONNX Runtime session waits for the first text
     * not in the cache ({@link LazyOnnxSentenceEncoder}), so a run answered from the cache never
     * creates it; everything that can refuse the user's model or options is still checked here.
     */
    // A lambda, not a method reference: the reference would load the encoder (and DJL, which
    // its catch clauses name) when picocli builds the commands, before any is chosen.
    static final EncoderLoader ONNX = (spec, options) -> {
        try {
            return LazyOnnxSentenceEncoder.open(spec, options);
        } catch (MaxLengthExceededException e) {
            throw new IllegalArgumentException("--max-length " + e.maxLength() + ": "
                    + e.getMessage(), e);
        }
    };
}
