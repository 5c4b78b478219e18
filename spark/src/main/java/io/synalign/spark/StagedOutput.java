package io.synalign.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output directory written all at once: Spark writes its part files under a hidden sibling
 * of the target ({@code .NAME.synalign-UUID.tmp}, in the same directory, so that readers of
 * the parent skip it and the rename stays within one file system), and {@link #commit} renames
 * it to the target (atomic on HDFS and local file systems; a copy on object stores such as S3).
 * {@link #abort} deletes it, so that a failed job leaves nothing at the target.
 */
final class StagedOutput {

    private final FileSystem fs;
    private final Path target;
    private final Path staging;
    /** The option and the path as the user gave them, for messages. */
    private final String what;

    private StagedOutput(FileSystem fs, Path target, Path staging, String what) {
        this.fs = fs;
        this.target = target;
        this.staging = staging;
        this.what = what;
    }

    /**
     * @param option the option naming the path, for messages
     * @param path the target directory, which must not exist
     * @throws IllegalArgumentException when the target exists or has no parent directory
     */
    static StagedOutput of(Configuration conf, String option, String path) {
        Path target = new Path(path);
        try {
            FileSystem fs = target.getFileSystem(conf);
            if (fs.exists(target)) {
                throw new IllegalArgumentException(option + " " + path + " already exists");
            }
            Path parent = target.getParent();
            if (parent == null) {
                throw new IllegalArgumentException(option + " " + path + " has no parent directory");
            }
            requireDirectoryAbove(fs, option, path, parent);
            return new StagedOutput(fs, target, new Path(parent,
                    "." + target.getName() + ".synalign-" + UUID.randomUUID() + ".tmp"),
                    option + " " + path);
        } catch (IOException e) {
            throw refusedOrUnchecked(option + " " + path, "checking it failed", e);
        }
    }

    /**
     * Runs {@code write}, Spark's write of this output's parts under {@link #stagingPath}: a
     * refusal there (the committer's directories on the driver, a task's part file) is
     * reported naming the option and its path, not the hidden staging path ({@link #refused});
     * anything else is thrown as it is.
     */
    void writing(Runnable write) {
        try {
            write.run();
        } catch (Exception e) { // Spark's SparkException too: checked, but thrown undeclared
            RuntimeException refused = refused(what, "writing it failed", e);
            if (refused != null) {
                throw refused;
            }
            throw e;
        }
    }

    /**
     * The store's refusal of {@code e} while the job used this output ({@code doing}) as the
     * job reports it ({@link DataFrames#outputRefused}: the credentials or the clock, exit 1;
     * the path itself, "access denied", exit 2), or null when {@code e} is none. A failed read
     * of an input file is never the output's (a write's stage may read the inputs again: the
     * job names that file's option). The one judgement of {@link #of}, {@link #writing} and
     * {@link #commit}.
     */
    private static RuntimeException refused(String what, String doing, Exception e) {
        return readsAnInput(e) ? null : DataFrames.outputRefused(what, doing, e);
    }

    /** {@link #refused}, or else {@code e} unchecked. */
    private static RuntimeException refusedOrUnchecked(String what, String doing, IOException e) {
        RuntimeException refused = refused(what, doing, e);
        return refused != null ? refused : new UncheckedIOException(e);
    }

    /**
     * The nearest existing ancestor of {@code parent} must be a directory: a file there failed
     * the job only at the commit, after the whole fit, with exit 1.
     */
    static void requireDirectoryAbove(FileSystem fs, String option, String path, Path parent)
            throws IOException {
        for (Path p = parent; p != null; p = p.getParent()) {
            if (fs.exists(p)) {
                if (!fs.getFileStatus(p).isDirectory()) {
                    throw new IllegalArgumentException(option + " " + path + ": " + p
                            + " is a file, not a directory");
                }
                return;
            }
        }
    }

    /** Whether {@code e}'s chain holds Spark's failure to read a file (FAILED_READ_FILE). */
    private static boolean readsAnInput(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (DataFrames.failedRead(c)) {
                return true;
            }
        }
        return false;
    }

    /** The target, fully qualified ({@code /a} and {@code file:///a} are one path). */
    Path qualifiedTarget() {
        return fs.makeQualified(target);
    }

    /** Where Spark writes. */
    String stagingPath() {
        return staging.toString();
    }

    /** Moves the written directory to the target. */
    void commit() {
        try {
            if (fs.exists(target)) {
                throw new IllegalArgumentException(target + " appeared while the job ran");
            }
            Path parent = target.getParent();
            if (!fs.exists(parent)) {
                fs.mkdirs(parent);
            }
            if (!fs.rename(staging, target)) {
                throw new IOException("cannot rename " + staging + " to " + target);
            }
        } catch (IOException e) {
            throw refusedOrUnchecked(what, "moving it into place failed", e);
        }
    }

    /** Deletes whatever was written (no-op after a commit). */
    void abort() {
        try {
            fs.delete(staging, true);
        } catch (IOException e) {
            // Best effort: the job is failing already, with its own error to report.
        }
    }
}
