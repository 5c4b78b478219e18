package io.synalign.cli;

import io.synalign.evaluation.DemonstrationCoverage;
import io.synalign.generation.GeneratedSample;
import io.synalign.generation.GenerationPipeline;
import io.synalign.generation.LabelRows;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The coverage step of {@code generate} and {@code run}: per label, how well the GP-selected
 * demonstrations of the first generation batch cover the label's real rows compared with random
 * rows of the same count ({@link DemonstrationCoverage}, on the real embeddings generation
 * used, {@link RealEmbeddings}), printed to stderr and, with {@code --run-dir}, written to
 * {@value RunFiles#GENERATION}.
 */
final class GenerationCoverage {

    /** One label's row of the report. */
    record Label(String label, int real, int generated, DemonstrationCoverage.Coverage coverage) {
    }

    private GenerationCoverage() {
    }

    /**
     * Measures, per label, the coverage of its first-batch GP demonstrations, on the label's
     * rows of the real embeddings that generation used (no encoder runs here).
     */
    static List<Label> measure(GenerationOptions options, List<LabelRows> labels,
            GenerationOptions.Generated g, long seed, String backend, RealEmbeddings real) {
        Map<String, Integer> generated = new LinkedHashMap<>();
        for (GeneratedSample s : g.samples()) {
            generated.merge(s.label() == null ? null : s.label(), 1, Integer::sum);
        }
        List<Label> out = new ArrayList<>();
        try (KernelBackend kernels = KernelBackends.create(backend)) {
            for (int i = 0; i < labels.size(); i++) {
                LabelRows rows = labels.get(i);
                FloatMatrix x = real.of(rows.texts());
                int quota = g.quotas().getOrDefault(rows.displayLabel(), 0);
                int[] demos = GenerationPipeline.firstBatchDemonstrations(kernels, x,
                        Math.max(1, quota), options.demosPerPrompt, options.samplesPerSummary,
                        seed, i);
                DemonstrationCoverage.Coverage c = DemonstrationCoverage.measure(kernels, x, demos,
                        DemonstrationCoverage.DEFAULT_DRAWS, seed);
                out.add(new Label(rows.displayLabel(), rows.size(),
                        generated.getOrDefault(rows.label(), 0), c));
            }
        }
        return out;
    }

    /** One line per label on stderr. */
    static void print(PrintWriter err, List<Label> labels) {
        for (Label l : labels) {
            DemonstrationCoverage.Coverage c = l.coverage();
            err.printf(Locale.ROOT, "synalign: demonstration coverage, label %s: %d GP-selected of"
                    + " %d real rows, MMD^2 to the real rows %s (random %d rows: %s ± %s over %d"
                    + " draws)%n", l.label(), c.demonstrations(), c.realRows(),
                    Numbers.short4(c.gp()), c.demonstrations(), Numbers.short4(c.random().mean()),
                    Numbers.short4(c.random().std()), DemonstrationCoverage.DEFAULT_DRAWS);
        }
        err.flush();
    }

    /** The content of {@value RunFiles#GENERATION}. */
    static Map<String, Object> json(Map<String, Object> settings, GenerationOptions.Generated g,
            List<Label> labels) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", settings);
        root.put("generator", g.offline() ? "offline (EDA baseline)"
                : g.backend() + " (" + g.model() + ")");
        Map<String, Object> per = new LinkedHashMap<>();
        for (Label l : labels) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("real", l.real());
            e.put("generated", l.generated());
            e.put("demonstrations", l.coverage().demonstrations());
            Map<String, Object> cov = new LinkedHashMap<>();
            cov.put("gp", l.coverage().gp());
            cov.put("random", Json.meanStd(l.coverage().random()));
            e.put("coverageMmd2", cov);
            per.put(l.label(), e);
        }
        root.put("perLabel", per);
        return root;
    }

    /**
     * The generation option values (no secrets: the API key is only named, by its environment
     * variable, and credentials in the --llm URL are removed).
     */
    static Map<String, Object> settings(GenerationOptions o, EmbeddingOptions e, Path real, long seed,
            String textField, String labelField, String backend, Path runDir) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("real", real.toString());
        s.put("llm", withoutCredentials(o.llm));
        s.put("model", o.model);
        s.put("apiKeyEnv", o.apiKeyEnv);
        s.put("perLabel", o.perLabel);
        s.put("total", o.total);
        s.put("demosPerPrompt", o.demosPerPrompt);
        s.put("samplesPerSummary", o.samplesPerSummary);
        s.put("concurrency", o.concurrency);
        s.put("requestTimeout", o.requestTimeout);
        s.put("journal", o.journal == null ? null : o.journal.toString());
        s.put("prompts", o.prompts == null ? null : o.prompts.toString());
        s.put("hints", o.hints);
        s.put("minChars", o.minChars);
        s.put("maxChars", o.maxChars);
        s.put("encoder", e.encoder);
        s.put("batchSize", e.batchSize);
        s.put("maxLength", e.maxLength);
        s.put("device", e.device);
        s.put("cacheDir", e.cacheDir == null ? null : e.cacheDir.toString());
        s.put("noCache", e.noCache);
        s.put("seed", seed);
        s.put("textField", textField);
        s.put("labelField", labelField);
        s.put("backend", backend);
        s.put("runDir", runDir == null ? null : runDir.toString());
        s.put("coverageDraws", DemonstrationCoverage.DEFAULT_DRAWS);
        return s;
    }

    /** The URL without user information (user:password@). */
    static String withoutCredentials(String url) {
        try {
            URI u = URI.create(url.strip());
            if (u.getRawUserInfo() == null) {
                return url;
            }
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(),
                    u.getQuery(), u.getFragment()).toString();
        } catch (IllegalArgumentException | java.net.URISyntaxException e) {
            return url;
        }
    }
}
