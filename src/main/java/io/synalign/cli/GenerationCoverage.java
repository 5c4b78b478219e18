package io.synalign.cli;

import io.synalign.evaluation.DemonstrationCoverage;
import io.synalign.generation.DemonstrationChooser;
import io.synalign.generation.Demonstrations;
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

    /**
     * One label's row of the report.
     *
     * @param coverage null when the label was asked for no rows (its quota, or round 1's share
     *     of it, is 0): no batch chose demonstrations, so there is nothing to measure
     */
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
                if (options.rounds > 1) {
                    // Round 1's share, as the closed loop asks for it (the full quota described
                    // a selection no round made: 9 demonstrations where round 1 used 3).
                    quota = io.synalign.pipeline.ClosedLoop.share(new int[] {quota}, 1,
                            options.rounds)[0];
                }
                DemonstrationCoverage.Coverage c = null;
                if (quota > 0) {
                    // A label asked for no rows (--synthetic-rows 2 over 6 labels) has no first
                    // batch: a selection for one group described demonstrations never shown.
                    int[] demos = GenerationPipeline.firstBatchDemonstrations(
                            DemonstrationChooser.of(Demonstrations.parse(options.demos), kernels,
                                    options.demosPerPrompt),
                            x, quota, options.demosPerPrompt, options.samplesPerSummary, seed, i);
                    c = DemonstrationCoverage.measure(kernels, x, demos,
                            DemonstrationCoverage.DEFAULT_DRAWS, seed);
                }
                out.add(new Label(rows.displayLabel(), rows.size(),
                        generated.getOrDefault(rows.label(), 0), c));
            }
        }
        return out;
    }

    /**
     * One line per label on stderr, naming how the demonstrations were chosen ({@code --demos}:
     * the random ablation's picks were called "GP-selected").
     */
    static void print(PrintWriter err, List<Label> labels, String demos) {
        String chosen = Demonstrations.parse(demos) == Demonstrations.GP ? "GP-selected"
                : "randomly chosen (--demos random)";
        for (Label l : labels) {
            DemonstrationCoverage.Coverage c = l.coverage();
            if (c == null) {
                err.printf(Locale.ROOT, "synalign: demonstration coverage, label %s: n/a (no rows"
                        + " were asked of the label, so no demonstrations were chosen)%n", l.label());
                continue;
            }
            err.printf(Locale.ROOT, "synalign: demonstration coverage, label %s: %d %s of"
                    + " %d real rows, MMD^2 to the real rows %s (random %d rows: %s ± %s over %d"
                    + " draws)%n", l.label(), c.demonstrations(), chosen, c.realRows(),
                    Numbers.short4(c.gp()), c.demonstrations(), Numbers.short4(c.random().mean()),
                    Numbers.short4(c.random().std()), DemonstrationCoverage.DEFAULT_DRAWS);
        }
        err.flush();
    }

    /**
     * The content of {@value RunFiles#GENERATION}.
     *
     * @param stated the settings as they took effect and the options given ({@link #settings})
     */
    static Map<String, Object> json(RunSettings.Stated stated, GenerationOptions.Generated g,
            List<Label> labels) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", stated.settings());
        root.put("given", stated.given());
        root.put("generator", g.offline() ? "offline (EDA baseline)"
                : g.backend() + " (" + g.model() + ")");
        if (g.servedInstead() != null) {
            // The model that answered, where the server ignored the name in "generator".
            root.put("servedModel", g.servedInstead().json());
        }
        root.put("coverageDraws", DemonstrationCoverage.DEFAULT_DRAWS);
        Map<String, Object> per = new LinkedHashMap<>();
        for (Label l : labels) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("real", l.real());
            e.put("generated", l.generated());
            if (l.coverage() == null) {
                // No demonstrations: 0 of them, and no coverage (null, shown as "-" by report).
                e.put("demonstrations", 0);
                e.put("coverageMmd2", null);
            } else {
                e.put("demonstrations", l.coverage().demonstrations());
                Map<String, Object> cov = new LinkedHashMap<>();
                cov.put("gp", l.coverage().gp());
                cov.put("random", Json.meanStd(l.coverage().random()));
                e.put("coverageMmd2", cov);
            }
            per.put(l.label(), e);
        }
        root.put("perLabel", per);
        if (g.rounds() != null) {
            List<Object> rounds = new ArrayList<>();
            for (var r : g.rounds()) {
                if (r.test() != null) {
                    rounds.add(r.json());
                } else {
                    Map<String, Object> empty = new LinkedHashMap<>(); // not Map.of: a fixed key order
                    empty.put("round", r.round());
                    empty.put("generated", 0);
                    rounds.add(empty);
                }
            }
            root.put("rounds", rounds);
            root.put("stop", g.stop());
        }
        return root;
    }

    /**
     * The generation settings of {@code spec} that {@code include} accepts, as they took effect
     * ({@link RunSettings}), without the options the backend never reads: the row count per
     * label resolved (null when {@code --synthetic-rows} sets the total), the call deadline in
     * force, a GGUF model's context in force, credentials removed
     * from the {@code --llm} URL, the encoder's cache directory in use. No secret is written:
     * the API key is only named, by its environment variable.
     */
    static RunSettings.Stated settings(picocli.CommandLine.Model.CommandSpec spec, Path runDir,
            java.util.function.Predicate<String> include, GenerationOptions.Checked checked,
            Map<String, Object> encoderEffective) {
        Map<String, Object> effective = new LinkedHashMap<>(encoderEffective);
        effective.put("--llm", withoutCredentials(checked.backendSpec()));
        effective.put("--synthetic-per-label", checked.perLabel());
        effective.put("--request-timeout", io.synalign.models.llm.Durations.format(checked.timeout()));
        effective.put("--gguf-context", checked.ggufContext()); // left out below unless gguf:PATH
        List<String> unused = GenerationOptions.unused(checked.offline(), checked.gguf() != null);
        return RunSettings.state(spec, runDir, include.and(name -> !unused.contains(name)),
                effective);
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
