package io.synalign.spark;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;

/**
 * The local file system under the scheme {@value #SCHEME}, whose {@code open} inside a Spark task
 * fails as the file's name asks: {@code cancel-*} cancels every job of the active context (as a
 * user's or a scheduler's cancellation does) and then reads on, {@code storage-*} throws an
 * {@link IOException} that is the storage's, not the file's, {@code denied-*} throws
 * {@link AccessDeniedException} (a file that may not be read: the tests run as root, for whom
 * {@code chmod 000} denies nothing); as HDFS or a Hadoop file system answers, {@code gone-*}
 * throws {@code PathNotFoundException}, {@code isdir-*} {@code PathIsDirectoryException},
 * {@code remote-*} a {@code RemoteException} naming {@code FileNotFoundException}, and
 * {@code safemode-*} one naming the NameNode's {@code SafeModeException} (the storage's, not the
 * file's). A {@code late-} file is read as it is while Spark infers its schema, and fails only
 * in the reads after that (the job's checks and its fit), as a file changed between the two:
 * {@code late-gone-*} throws {@link java.io.FileNotFoundException} (deleted), {@code late-cut-*}
 * opens on the file's first half (truncated; a gzip then ends early), {@code late-storage-*}
 * throws the storage's {@link IOException}. Outside a task (the driver's listing and checks) it
 * is the local file system. Installed on a session by {@link #install}.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {

    static final String SCHEME = "synalign-faulty";
    private static final URI NAME = URI.create(SCHEME + ":///");

    /** Makes {@code conf} open {@value #SCHEME} paths with this class (never cached). */
    static void install(Configuration conf) {
        conf.set("fs." + SCHEME + ".impl", FaultyFileSystem.class.getName());
        conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    }

    /** Undoes {@link #install}. */
    static void uninstall(Configuration conf) {
        conf.unset("fs." + SCHEME + ".impl");
        conf.unset("fs." + SCHEME + ".impl.disable.cache");
    }

    /** {@code file} under this file system's scheme. */
    static String path(java.nio.file.Path file) {
        return SCHEME + "://" + file.toAbsolutePath();
    }

    @Override
    public URI getUri() {
        return NAME;
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(NAME, conf);
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        TaskContext task = TaskContext.get();
        String name = f.getName();
        if (task != null && name.startsWith("cancel-")) {
            // Queued before this task's completion, so the scheduler fails the job first.
            SparkContext.getOrCreate().cancelAllJobs();
        } else if (task != null && name.startsWith("storage-")) {
            throw new IOException("test: connection reset by peer while reading a block of " + f);
        } else if (task != null && name.startsWith("denied-")) {
            throw new AccessDeniedException(f.toString(), null, "Permission denied");
        } else if (task != null && name.startsWith("gone-")) {
            throw new org.apache.hadoop.fs.PathNotFoundException(f.toString());
        } else if (task != null && name.startsWith("isdir-")) {
            throw new org.apache.hadoop.fs.PathIsDirectoryException(f.toString());
        } else if (task != null && name.startsWith("remote-")) {
            throw new org.apache.hadoop.ipc.RemoteException("java.io.FileNotFoundException",
                    "File does not exist: " + f.toUri().getPath());
        } else if (task != null && name.startsWith("safemode-")) {
            throw new org.apache.hadoop.ipc.RemoteException(
                    "org.apache.hadoop.hdfs.server.namenode.SafeModeException",
                    "Cannot open " + f.toUri().getPath() + ". Name node is in safe mode.");
        } else if (task != null && name.startsWith("late-") && !inferringSchema()) {
            if (name.startsWith("late-gone-")) {
                throw new java.io.FileNotFoundException("File " + f + " does not exist");
            } else if (name.startsWith("late-storage-")) {
                throw new IOException("test: connection reset by peer while reading a block of "
                        + f);
            } else if (name.startsWith("late-cut-")) {
                byte[] whole = java.nio.file.Files.readAllBytes(pathToFile(f).toPath());
                java.nio.file.Path half = java.nio.file.Files.createTempFile("late-cut", ".part");
                half.toFile().deleteOnExit();
                java.nio.file.Files.write(half, java.util.Arrays.copyOf(whole, whole.length / 2));
                // No scheme: this file system refuses another's (file:) paths.
                return super.open(new Path(half.toAbsolutePath().toString()), bufferSize);
            }
        }
        return super.open(f, bufferSize);
    }

    /**
     * Whether this task is Spark's schema inference of a JSON source: its partition function
     * is {@code JsonInferSchema}'s (a lambda of that class on the task's stack).
     */
    private static boolean inferringSchema() {
        for (StackTraceElement frame : Thread.currentThread().getStackTrace()) {
            if (frame.getClassName().contains("JsonInferSchema")) {
                return true;
            }
        }
        return false;
    }
}
