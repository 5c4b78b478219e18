package io.synalign.spark;

import io.synalign.models.ModelRegistry;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.LocatedFileStatus;

/**
 * Where an executor finds the sentence encoder named by {@code --encoder}:
 * <ul>
 *   <li>a built-in name ({@code minilm}, {@code bge-small}): inside the job jar;</li>
 *   <li>{@code sparkfiles:NAME}: a model directory shipped with the job
 *       ({@code spark-submit --archives model.tgz#NAME}, or {@code --files} for each file),
 *       found through {@code SparkFiles.get(NAME)};</li>
 *   <li>a Hadoop URI ({@code hdfs://}, {@code s3a://}, {@code gs://}, {@code abfs://},
 *       {@code file:}...): the directory is copied to the executor's local disk once per JVM
 *       (under {@code java.io.tmpdir}/synalign-models, keyed by the URI and the files' sizes and
 *       modification times, written to a temporary directory and renamed, so concurrent tasks
 *       and a crashed copy never leave a partial model), then loaded from there;</li>
 *   <li>any other value: a local directory that must exist on every executor.</li>
 * </ul>
 * The Hadoop settings (credentials of object stores included) travel from the driver with the
 * task as a plain map; they are never logged.
 */
final class ExecutorModels implements Serializable {

    private static final long serialVersionUID = 1L;
    static final String SPARK_FILES = "sparkfiles:";
    private static final ConcurrentHashMap<String, String> LOCAL = new ConcurrentHashMap<>();

    private final String encoder;
    private final Map<String, String> hadoop;

    private ExecutorModels(String encoder, Map<String, String> hadoop) {
        this.encoder = encoder;
        this.hadoop = hadoop;
    }

    /**
     * The encoder as the driver names it, with the driver's Hadoop settings for the executors. A
     * Hadoop URI is checked here, on the driver, before any work: a model directory that is not
     * there would otherwise fail every embedding task after the inputs were read and spread.
     *
     * @throws IllegalArgumentException naming the URI when it is no model directory
     */
    static ExecutorModels of(String encoder, Configuration conf) {
        Map<String, String> settings = new LinkedHashMap<>();
        if (isRemote(encoder)) {
            checkRemote(encoder.strip(), conf);
            for (Map.Entry<String, String> e : conf) {
                settings.put(e.getKey(), e.getValue());
            }
        }
        return new ExecutorModels(encoder, settings);
    }

    private static void checkRemote(String uri, Configuration conf) {
        Path dir = new Path(uri);
        try {
            FileSystem fs = dir.getFileSystem(conf);
            if (!fs.exists(dir)) {
                throw new IllegalArgumentException("--encoder " + uri + ": no such directory");
            }
            if (!fs.getFileStatus(dir).isDirectory()) {
                throw new IllegalArgumentException("--encoder " + uri + ": not a directory (a"
                        + " model directory holds model.onnx and tokenizer.json)");
            }
            for (String file : new String[] {"model.onnx", "tokenizer.json"}) {
                if (!fs.exists(new Path(dir, file))) {
                    throw new IllegalArgumentException("--encoder " + uri + ": no " + file
                            + " in it (a model directory holds model.onnx and tokenizer.json)");
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--encoder " + uri + ": cannot read it ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Whether the value names a Hadoop URI (a scheme of two or more letters, not a built-in). */
    static boolean isRemote(String encoder) {
        String e = encoder.strip();
        return !ModelRegistry.names().contains(e.toLowerCase(Locale.ROOT))
                && !e.startsWith(SPARK_FILES) && e.matches("[A-Za-z][A-Za-z0-9+.-]+:.*");
    }

    /** The name or local directory this JVM loads the encoder from (copying it first if remote). */
    String local() {
        String e = encoder.strip();
        if (e.startsWith(SPARK_FILES)) {
            String name = e.substring(SPARK_FILES.length());
            String path = org.apache.spark.SparkFiles.get(name);
            if (!Files.isDirectory(java.nio.file.Path.of(path))) {
                throw new IllegalArgumentException("--encoder " + e + ": no directory " + name
                        + " among the files shipped with the job (" + path + "); ship it with"
                        + " spark-submit --archives model.tgz#" + name);
            }
            return path;
        }
        if (!isRemote(e)) {
            return e;
        }
        return LOCAL.computeIfAbsent(e, this::copy);
    }

    private String copy(String uri) {
        Configuration conf = new Configuration(false);
        hadoop.forEach(conf::set);
        Path given = new Path(uri);
        try {
            FileSystem fs = given.getFileSystem(conf);
            // Qualified (scheme and authority filled in, as listFiles returns its paths), so
            // that every file relativizes to a path inside the model directory.
            Path source = fs.makeQualified(given);
            FileStatus status = fs.getFileStatus(source);
            if (!status.isDirectory()) {
                throw new IllegalArgumentException("--encoder " + uri + ": not a directory (a"
                        + " model directory holds model.onnx and tokenizer.json)");
            }
            StringBuilder identity = new StringBuilder(uri);
            RemoteIterator<LocatedFileStatus> files = fs.listFiles(source, true);
            Map<String, Path> toCopy = new LinkedHashMap<>();
            while (files.hasNext()) {
                LocatedFileStatus f = files.next();
                String relative = source.toUri().relativize(f.getPath().toUri()).getPath();
                if (relative.isEmpty() || relative.startsWith("/") || relative.contains("..")) {
                    throw new IOException(f.getPath() + " does not lie inside " + source);
                }
                toCopy.put(relative, f.getPath());
                identity.append('\n').append(relative).append(' ').append(f.getLen()).append(' ')
                        .append(f.getModificationTime());
            }
            java.nio.file.Path root = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                    "synalign-models");
            java.nio.file.Path target = root.resolve(sha256(identity.toString()));
            if (Files.isDirectory(target)) {
                return target.toString(); // copied before by this or another JVM on this host
            }
            Files.createDirectories(root);
            java.nio.file.Path staging = Files.createTempDirectory(root, ".copy-");
            boolean moved = false;
            try {
                for (Map.Entry<String, Path> f : toCopy.entrySet()) {
                    java.nio.file.Path local = staging.resolve(f.getKey()).normalize();
                    if (!local.startsWith(staging)) {
                        throw new IOException(f.getKey() + " would be written outside " + staging);
                    }
                    Files.createDirectories(local.getParent());
                    try (var in = fs.open(f.getValue())) {
                        Files.copy(in, local);
                    }
                }
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                    moved = true;
                } catch (IOException raced) {
                    if (!Files.isDirectory(target)) {
                        throw raced;
                    }
                    // Another JVM on this host finished first; its copy is the same model.
                }
            } finally {
                if (!moved) {
                    deleteTree(staging);
                }
            }
            return target.toString();
        } catch (IOException ex) {
            throw new UncheckedIOException("--encoder " + uri + ": cannot copy the model: "
                    + ex.getMessage(), ex);
        }
    }

    /** Best effort: a leftover staging copy only costs disk. */
    private static void deleteTree(java.nio.file.Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // left for the system's tmp cleaning
                }
            });
        } catch (IOException ignored) {
            // left for the system's tmp cleaning
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
