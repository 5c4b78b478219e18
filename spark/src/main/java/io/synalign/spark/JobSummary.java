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
 * "iterations", "converged", "share"}}, "synthetic_rows", "passes", "seconds": {"setup",
 * "optimise"}, "sampled"}}; {@code mmd2_kind} says whether the MMD² is exact or the rff
 * estimate.
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
            labels.put(f.label(), l);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("labels", labels);
        doc.put("synthetic_rows", outcome.syntheticRows());
        doc.put("passes", outcome.result().passes());
        doc.put("seconds", Map.of("setup", outcome.result().setupSeconds(),
                "optimise", outcome.result().optimiseSeconds()));
        doc.put("sampled", outcome.sampled() == null ? null : outcome.sampled().length);
        return doc;
    }

    static void write(Configuration conf, String path, SynAlignSparkJob.Outcome outcome) {
        Path target = new Path(path);
        try {
            FileSystem fs = target.getFileSystem(conf);
            if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
                fs = local.getRawFileSystem(); // no hidden .crc file beside a local summary
            }
            Path tmp = new Path(target.getParent(), "." + target.getName() + ".synalign-"
                    + UUID.randomUUID() + ".tmp");
            try (OutputStream o = fs.create(tmp, false)) {
                JSON.writeValue(o, document(outcome));
            }
            if (fs.exists(target)) {
                fs.delete(target, false);
            }
            if (!fs.rename(tmp, target)) {
                fs.delete(tmp, false);
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("--summary " + path + ": " + e.getMessage(), e);
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
