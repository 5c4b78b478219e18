package io.synalign.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A constructed run directory with every artefact: three labels (one needing HTML escaping),
 * real rows in clusters, synthetic rows half on-cluster and half off, weights with zeros, and
 * hand-written alignment, evaluation and generation JSON with known values.
 */
final class RunDirFixture {

    static final String NASTY = "<script>alert('x')</script> & \"q\"";
    static final String NASTY_ESCAPED =
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;";
    static final List<String> LABELS = List.of("alpha", NASTY, "gamma");
    static final int REAL_PER_LABEL = 10;
    static final int SYNTH_PER_LABEL = 12;
    static final int DIM = 5;
    /** MMD^2 uniform and weighted per label, as in alignment.json. */
    static final double[][] MMD = {{0.0123, 0.00456}, {0.25, 0.125}, {0.0031, -0.0002}};
    /** Macro-F1 per repeat of the variants real, real+synthetic, real+aligned. */
    static final double[][] MACRO_F1 = {{0.60, 0.70, 0.65}, {0.70, 0.65, 0.80}, {0.70, 0.80, 0.75}};

    final List<String> syntheticLabels = new ArrayList<>();
    final double[] weights = new double[LABELS.size() * SYNTH_PER_LABEL];
    int zeroWeights;

    private final ObjectMapper json = new ObjectMapper();

    private ObjectNode testFigures(String name, double mmd2, double p, double mmd2W, double pW) {
        ObjectNode f = json.createObjectNode();
        f.put("real", REAL_PER_LABEL);
        f.put("synthetic", SYNTH_PER_LABEL);
        f.put("mmd2", mmd2);
        f.put("p_value", p);
        f.put("auc", 0.91);
        f.put("mmd2_weighted", mmd2W);
        f.put("p_value_weighted", pW);
        f.put("auc_weighted", 0.55);
        f.putArray("under_covered").addObject().put("row", 3).put("text", "a real " + name + " row").put("witness", 0.2);
        f.putArray("over_represented").addObject().put("row", 7).put("text", "a synthetic " + name + " row")
                .put("witness", -0.3);
        return f;
    }

    /** Writes every artefact into {@code dir}. */
    RunDirFixture write(Path dir) throws IOException {
        Random random = new Random(5);
        int nReal = LABELS.size() * REAL_PER_LABEL;
        int nSynth = weights.length;
        float[] real = new float[nReal * DIM];
        float[] synth = new float[nSynth * DIM];
        List<String> realLabels = new ArrayList<>();
        for (int i = 0; i < nReal; i++) {
            int l = i % LABELS.size();
            realLabels.add(LABELS.get(l));
            for (int j = 0; j < DIM; j++) {
                real[i * DIM + j] = (float) ((j == l ? 4 : 0) + random.nextGaussian());
            }
        }
        double total = 0;
        for (int i = 0; i < nSynth; i++) {
            int l = i % LABELS.size();
            syntheticLabels.add(LABELS.get(l));
            boolean off = (i / LABELS.size()) % 2 == 1;
            for (int j = 0; j < DIM; j++) {
                real(j, l, off, random, synth, i);
            }
            // Off-cluster rows get weight 0 except every third; on-cluster rows vary.
            weights[i] = off ? (i % 3 == 0 ? 0.5 : 0) : 1 + (i % 4);
            total += weights[i];
        }
        for (int i = 0; i < nSynth; i++) {
            weights[i] /= total;
            zeroWeights += weights[i] == 0 ? 1 : 0;
        }
        NpyWriter.writeMatrix(dir.resolve(RunFiles.REAL_EMBEDDINGS),
                new FloatMatrix(nReal, DIM, real));
        NpyWriter.writeMatrix(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS),
                new FloatMatrix(nSynth, DIM, synth));

        StringBuilder weighted = new StringBuilder();
        for (int i = 0; i < nSynth; i++) {
            ObjectNode r = json.createObjectNode();
            r.put("text", "synthetic " + i);
            r.put("label", syntheticLabels.get(i));
            r.put("synalign_weight", weights[i]);
            weighted.append(json.writeValueAsString(r)).append('\n');
        }
        Files.writeString(dir.resolve(RunFiles.WEIGHTED), weighted, StandardCharsets.UTF_8);

        ObjectNode labels = json.createObjectNode();
        labels.put("label_field", "label");
        ArrayNode rl = labels.putArray("real");
        realLabels.forEach(rl::add);
        ArrayNode sl = labels.putArray("synthetic");
        syntheticLabels.forEach(sl::add);
        json.writeValue(dir.resolve(RunFiles.LABELS).toFile(), labels);

        ObjectNode alignment = json.createObjectNode();
        alignment.put("form", "text");
        alignment.put("mode", "per-label");
        alignment.put("label_field", "label");
        alignment.put("n_real", nReal);
        alignment.put("n_synthetic", nSynth);
        alignment.put("effective_sample_size", 17.5);
        ArrayNode rows = alignment.putArray("labels");
        for (int l = 0; l < LABELS.size(); l++) {
            ObjectNode row = rows.addObject();
            row.put("label", LABELS.get(l));
            row.put("status", "fitted");
            row.put("n_real", REAL_PER_LABEL);
            row.put("n_synthetic", SYNTH_PER_LABEL);
            row.put("real_share", 1.0 / 3);
            row.put("weight_share", 1.0 / 3);
            row.put("effective_sample_size", 6.25 + l);
            ObjectNode fit = row.putObject("fit");
            fit.put("mmd2_uniform", MMD[l][0]);
            fit.put("mmd2_weighted", MMD[l][1]);
            fit.put("mmd2_reduction", 1 - MMD[l][1] / MMD[l][0]);
            fit.put("mmd_estimator", "biased");
        }
        alignment.putNull("global_fit");
        ObjectNode settings = alignment.putObject("settings");
        settings.put("--real", "real.jsonl");
        settings.put("--summary", "data/" + NASTY + ".json");
        settings.put("--bandwidth", "auto");
        settings.put("--seed", 4242);
        settings.put("--encoder", "minilm");
        alignment.putArray("given").add("--real").add("--seed");
        json.writeValue(dir.resolve(RunFiles.ALIGNMENT).toFile(), alignment);

        // The real texts the examples section shows, named by --real.
        StringBuilder realRecords = new StringBuilder();
        for (int i = 0; i < nReal; i++) {
            ObjectNode r = json.createObjectNode();
            r.put("text", "real text " + i + " of " + realLabels.get(i));
            r.put("label", realLabels.get(i));
            realRecords.append(json.writeValueAsString(r)).append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), realRecords, StandardCharsets.UTF_8);

        ObjectNode evaluation = json.createObjectNode();
        evaluation.putObject("settings").put("--classifier", "logreg").put("--repeats", 3)
                .put("--seed", 4242).put("--encoder", "bge-small");
        ArrayNode variants = evaluation.putArray("variants");
        String[] names = {"real", "real+synthetic", "real+aligned"};
        for (int v = 0; v < names.length; v++) {
            ObjectNode o = variants.addObject();
            o.put("name", names[v]);
            o.put("trainRows", 30 + 36 * Math.min(v, 1));
            o.putObject("accuracy").put("mean", 0.7125 + 0.05 * v).put("std", 0.0125);
            // Per-repeat macro-F1: real+aligned beats real clearly (+10 points in every repeat)
            // and real+synthetic by 5 points with noise, whose paired interval includes 0.
            double[] f1 = MACRO_F1[v];
            ObjectNode m = o.putObject("macroF1");
            m.put("mean", (f1[0] + f1[1] + f1[2]) / 3).put("std", 0.0375);
            ArrayNode vals = m.putArray("values");
            for (double x : f1) {
                vals.add(x);
            }
            ObjectNode mmd = o.putObject("mmd2ToTest");
            mmd.put("overall", 0.0625 / (v + 1));
            ObjectNode per = mmd.putObject("perLabel");
            for (int l = 0; l < LABELS.size(); l++) {
                per.put(LABELS.get(l), 0.01 * (l + 1) + 0.001 * v);
            }
            if (v == 2) {
                o.put("ess", 21.5);
            } else {
                o.putNull("ess");
            }
        }
        json.writeValue(dir.resolve(RunFiles.EVALUATION).toFile(), evaluation);

        ObjectNode generation = json.createObjectNode();
        generation.putObject("settings").put("--llm", "offline").put("--synthetic-per-label", 12)
                .put("--seed", 4242).put("--encoder", "minilm");
        generation.put("generator", "offline");
        ObjectNode perLabel = generation.putObject("perLabel");
        for (int l = 0; l < LABELS.size(); l++) {
            ObjectNode o = perLabel.putObject(LABELS.get(l));
            o.put("real", REAL_PER_LABEL);
            o.put("generated", SYNTH_PER_LABEL);
            o.put("demonstrations", 4);
            ObjectNode cov = o.putObject("coverageMmd2");
            cov.put("gp", 0.0375 + l);
            cov.putObject("random").put("mean", 0.0875 + l).put("std", 0.0063);
        }
        json.writeValue(dir.resolve(RunFiles.GENERATION).toFile(), generation);
        // test.json as 'synalign test --weighted --run-dir' writes it: two labels and overall.
        ObjectNode test = json.createObjectNode();
        ObjectNode testLabels = test.putObject("labels");
        for (String label : LABELS) {
            testLabels.set(label, testFigures(label, 0.0123, 0.005, 0.0021, 0.42));
        }
        test.set("overall", testFigures("all", 0.0101, 0.005, 0.0012, 0.61));
        test.put("bandwidth", 1.5);
        test.put("permutations", 199);
        test.put("seed", 0);
        json.writeValue(dir.resolve(RunFiles.TEST).toFile(), test);
        return this;
    }

    private static void real(int j, int l, boolean off, Random random, float[] synth, int i) {
        double centre = off ? (j == (l + 1) % DIM ? -5 : 0) : (j == l ? 4 : 0);
        synth[i * DIM + j] = (float) (centre + random.nextGaussian());
    }

    /** Rows of label {@code label} among the synthetic rows. */
    int syntheticRows(String label) {
        int n = 0;
        for (String l : syntheticLabels) {
            n += l.equals(label) ? 1 : 0;
        }
        return n;
    }
}
