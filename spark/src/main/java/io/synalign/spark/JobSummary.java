package io.synalign.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The job's {@code --summary}: a JSON document like the CLI's alignment summary, written to any
 * Hadoop path through a hidden temporary file renamed into place (nothing partial is left).
 * {@code {"labels": {LABEL: {"real", "synthetic", "fitted", "bandwidth", "mmd2_uniform",
 * "mmd2_weighted", "mmd2_kind", "mmd2_rff_uniform", "mmd2_rff_weighted", "ess", "positive",
 * "iterations", "converged", "share", "rff_centred"}}, "synthetic_rows", "passes",
 * "feature_blocks": {"kept", "rebuilt", "kept_bytes", "partitions", "partition_rebuilds"},
 * "seconds": {"setup", "optimise"},
 * "sampled"}}; {@code mmd2_kind} says whether the MMD² is exact or the rff estimate;
 * {@code rff_centred} whether the label's feature map was taken about a centre (rows far from the
 * origin; the log says it too); {@code feature_blocks} what the executors kept of the features
 * and rebuilt in every product as the set-up built them ({@link ExecutorFeatureBudget}), the
 * partitions holding them, and how many partition builds came after the set-up's (0 when Spark
 * kept every partition cached; more: partitions evicted or never cached, built again with
 * their kept features, so the features were not kept throughout).
 */
final class JobSummary {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JobSummary() {
    }

    static Map<String, Object> document(SynAlignSparkJob.Outcome outcome) {
        Map<String, Object> labels = new LinkedHashMap<>();
        for (LabelFit f : outcome.result().fits()) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("real", f.realRows());
            l.put("synthetic", f.syntheticRows());
            l.put("fitted", f.fitted());
            l.put("bandwidth", finite(f.bandwidth()));
            l.put("mmd2_uniform", finite(f.exact() ? f.exactUniform() : f.mmd2Uniform()));
            l.put("mmd2_weighted", finite(f.exact() ? f.exactWeighted() : f.mmd2Weighted()));
            l.put("mmd2_kind", f.exact() ? "exact" : "rff estimate");
            l.put("mmd2_rff_uniform", finite(f.mmd2Uniform()));
            l.put("mmd2_rff_weighted", finite(f.mmd2Weighted()));
            l.put("ess", f.effectiveSampleSize());
            l.put("positive", f.positive());
            l.put("iterations", f.iterations());
            l.put("converged", f.converged());
            l.put("share", f.targetShare());
            l.put("rff_centred", f.centred());
            labels.put(f.label(), l);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("labels", labels);
        doc.put("synthetic_rows", outcome.syntheticRows());
        doc.put("passes", outcome.result().passes());
        FeatureKeep keep = outcome.result().featureBlocks();
        Map<String, Object> blocks = new LinkedHashMap<>();
        blocks.put("kept", keep.kept());
        blocks.put("rebuilt", keep.rebuilt());
        blocks.put("kept_bytes", keep.keptBytes());
        // The three above are the set-up's build: without these, a fit whose partitions Spark
        // evicted or never cached read as if its features had been kept throughout.
        blocks.put("partitions", outcome.result().featurePartitions());
        blocks.put("partition_rebuilds", outcome.result().featurePartitionRebuilds());
        doc.put("feature_blocks", blocks);
        Map<String, Object> seconds = new LinkedHashMap<>(); // not Map.of: a fixed key order
        seconds.put("setup", outcome.result().setupSeconds());
        seconds.put("optimise", outcome.result().optimiseSeconds());
        doc.put("seconds", seconds);
        doc.put("sampled", outcome.sampled() == null ? null : outcome.sampled().length);
        return doc;
    }

    /** Whether {@code inner} lies strictly below {@code outer} (both fully qualified). */
    static boolean within(Path inner, Path outer) {
        for (Path p = inner.getParent(); p != null; p = p.getParent()) {
            if (p.equals(outer)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks {@code --summary PATH} before any work: not a directory, and not the path of
     * {@code --out} or {@code --sampled-out} (compared fully qualified, so {@code /a} and
     * {@code file:///a} are one path).
     *
     * @param outputs the qualified output paths it must differ from, by option
     * @throws IllegalArgumentException naming the option and the path
     */
    static void check(Configuration conf, String path, Map<String, Path> outputs) {
        check(conf, path, outputs, Map.of());
    }

    /**
     * As {@link #check(Configuration, String, Map)}, and not an input either: not a file that
     * {@code --real} or {@code --synthetic} names or matches (a glob), nor inside a directory
     * they name. The summary replaces an existing file, and {@code --summary real.jsonl} replaced
     * the user's real records with the summary (exit 0).
     *
     * @param inputs the input paths (files, directories or globs) as given, by option
     */
    static void check(Configuration conf, String path, Map<String, Path> outputs,
            Map<String, String> inputs) {
        Path target = new Path(path);
        try {
            FileSystem fs = target.getFileSystem(conf);
            Path qualified = fs.makeQualified(target);
            for (Map.Entry<String, String> in : inputs.entrySet()) {
                Path given = new Path(in.getValue());
                FileSystem inFs = given.getFileSystem(conf);
                java.util.List<Path> named = new java.util.ArrayList<>();
                named.add(inFs.makeQualified(given));
                org.apache.hadoop.fs.FileStatus[] matched = inFs.globStatus(given);
                if (matched != null) {
                    for (org.apache.hadoop.fs.FileStatus m : matched) {
                        named.add(inFs.makeQualified(m.getPath()));
                    }
                }
                for (Path n : named) {
                    if (qualified.equals(n) || within(qualified, n)) {
                        throw new IllegalArgumentException("--summary " + path + " would"
                                + " overwrite the input given with " + in.getKey() + " ("
                                + in.getValue() + ")");
                    }
                }
            }
            for (Map.Entry<String, Path> o : outputs.entrySet()) {
                if (qualified.equals(o.getValue())) {
                    throw new IllegalArgumentException("--summary and " + o.getKey()
                            + " are the same path: " + path);
                }
                if (within(qualified, o.getValue())) {
                    // The output is a directory (Spark writes parts): staging would make it,
                    // and the commit then found it "appeared while the job ran".
                    throw new IllegalArgumentException("--summary " + path + " is inside "
                            + o.getKey() + " " + o.getValue() + "; give a path outside it");
                }
            }
            if (fs.exists(target) && fs.getFileStatus(target).isDirectory()) {
                throw new IllegalArgumentException("--summary " + path + " is a directory; give"
                        + " the path of a file");
            }
            if (target.getParent() == null) {
                throw new IllegalArgumentException("--summary " + path + " has no parent"
                        + " directory");
            }
            StagedOutput.requireDirectoryAbove(fs, "--summary", path, target.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("--summary " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * The summary written to a hidden temporary file beside {@code path}, to be renamed into
     * place by {@link Staged#commit}: written before the outputs are committed, so that a
     * summary that cannot be written fails the job while nothing is at --out yet.
     */
    static Staged stage(Configuration conf, String path, SynAlignSparkJob.Outcome outcome) {
        Path target = new Path(path);
        try {
            FileSystem fs = target.getFileSystem(conf);
            if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
                fs = local.getRawFileSystem(); // no hidden .crc file beside a local summary
            }
            Path tmp = new Path(target.getParent(), "." + target.getName() + ".synalign-"
                    + UUID.randomUUID() + ".tmp");
            Staged staged = new Staged(fs, path, target, tmp);
            try (OutputStream o = fs.create(tmp, false)) {
                JSON.writeValue(o, document(outcome));
            } catch (IOException | RuntimeException e) {
                staged.abort();
                throw e;
            }
            return staged;
        } catch (IOException e) {
            throw new UncheckedIOException("--summary " + path + ": " + e.getMessage(), e);
        }
    }

    /** A written summary waiting for its rename. */
    static final class Staged {
        private final FileSystem fs;
        private final String path;
        private final Path target;
        private final Path tmp;
        private boolean committed;

        private Staged(FileSystem fs, String path, Path target, Path tmp) {
            this.fs = fs;
            this.path = path;
            this.target = target;
            this.tmp = tmp;
        }

        /** Renames the summary into place, replacing a file of that name. */
        void commit() {
            try {
                if (fs.exists(target)) {
                    if (fs.getFileStatus(target).isDirectory()) {
                        throw new IOException("a directory appeared at " + target);
                    }
                    fs.delete(target, false);
                }
                if (!fs.rename(tmp, target)) {
                    throw new IOException("cannot rename " + tmp + " to " + target);
                }
                committed = true;
            } catch (IOException e) {
                abort();
                throw new UncheckedIOException("--summary " + path + ": " + e.getMessage(), e);
            }
        }

        /** Deletes the temporary file (no-op after a commit). */
        void abort() {
            if (!committed) {
                try {
                    fs.delete(tmp, false);
                } catch (IOException e) {
                    // Best effort: the job is failing already, with its own error to report.
                }
            }
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
