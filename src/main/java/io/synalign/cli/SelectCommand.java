package io.synalign.cli;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.engine.exploration.SelectionResult;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.InputCentring;
import io.synalign.io.NpyHeader;
import io.synalign.io.NpyReader;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.pipeline.ResultChecks;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign select}: GP exploration-aware selection of K rows (exploration-aware sampling,
 * "Few-shot LLM Synthetic Data with Distribution Matching", WWW 2025): each pick is the row of
 * highest GP posterior variance given the rows picked so far, so picks spread over the data.
 * Writes the picks, 0-based, one per line in pick order; optionally the groups as JSON lines.
 *
 * <p>As for {@code align}, every check on options, outputs and the input happens before the
 * engine is called, and the outputs are written atomically after it succeeded.
 */
@Command(name = "select", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign select --embeddings X.npy --count K --out PICKS.txt",
            "                       [--groups GROUPS.jsonl] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Pick K rows that explore the embedding space: each pick maximises the GP"
                + " posterior variance (RBF kernel, length scale l) given the picks so far.",
            "Writes 0-based row indices, one per line, in pick order."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class SelectCommand extends CliCommand {

    /** The engine call, replaceable in tests. */
    @FunctionalInterface
    interface Selector {
        SelectionResult select(KernelBackend backend, SelectionConfig config, FloatMatrix x,
                int count, ProgressListener progress);
    }

    Selector selector = (backend, config, x, count, progress) ->
            new ExplorationSelector(backend, config).select(x, count, progress);

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--embeddings", required = true, paramLabel = "X.npy",
            description = "Rows to pick from: a 2-D float32/float64 .npy, N x d.")
    Path embeddings;

    @Option(names = "--count", required = true, paramLabel = "K",
            converter = Converters.PositiveInt.class,
            description = "Number of picks, 1 <= K <= N.")
    int count;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "PICKS.txt",
            description = "Where to write the K picks: 0-based row indices, one per line.")
    Path out;

    @Option(names = "--length-scale", paramLabel = "auto|L",
            converter = Converters.BandwidthConverter.class,
            description = "GP length scale l > 0, or auto: the median pairwise distance of a"
                    + " seeded sample of X. Default: ${DEFAULT-VALUE}.")
    Bandwidth lengthScale = SelectionConfig.defaults().lengthScale();

    @Option(names = "--noise", paramLabel = "S2", converter = Converters.NonNegativeDouble.class,
            description = "GP observation noise variance s^2 >= 0. Default: 1e-6.")
    double noise = SelectionConfig.defaults().noise();

    @Option(names = "--first", paramLabel = "I", converter = Converters.NonNegativeInt.class,
            description = "0-based row of the first pick. Default: the row nearest the mean.")
    Integer first;

    @Option(names = "--group-size", paramLabel = "G", converter = Converters.PositiveInt.class,
            description = "Each pick also covers its G-1 nearest uncovered rows; once every row"
                    + " is covered, coverage starts over (a new round). Default: ${DEFAULT-VALUE}.")
    int groupSize = SelectionConfig.defaults().groupSize();

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--groups", paramLabel = "GROUPS.jsonl",
            description = "Also write one JSON object per pick: {\"pick\": i, \"rows\": [...],"
                    + " \"variance\": v, \"round\": r} (rows start with the pick; rounds from 0).")
    Path groups;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seeds the length-scale sample. Default: ${DEFAULT-VALUE}.")
    long seed = SelectionConfig.defaults().seed();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        return run(stdout, err);
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }

    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        SelectionConfig config = new SelectionConfig(lengthScale, noise,
                first == null ? -1 : first, groupSize, seed);
        String backendName = common.checkedBackend();

        NpyHeader header = NpyReader.inspectMatrix(embeddings);
        long rows = header.shape()[0];
        if (count > rows) {
            throw new IllegalArgumentException("--count " + count + " is larger than the " + rows
                    + " rows of " + embeddings);
        }
        if (first != null && first >= rows) {
            throw new IllegalArgumentException("--first " + first + " is not a row of " + embeddings
                    + " (it has " + rows + " rows, 0 to " + (rows - 1) + ")");
        }
        // GP variances and the median length scale depend on differences of rows only: a
        // float64 file far from the origin is read less its centre (InputCentring).
        FloatMatrix x = NpyReader.readMatrix(embeddings,
                InputCentring.forFiles(embeddings, List.of()));

        SelectionResult result;
        try (KernelBackend backend = KernelBackends.create(backendName);
                StderrProgress progress = StderrProgress.create(err, common.quiet)) {
            result = selector.select(backend, config, x, count, progress);
        } catch (MedianHeuristic.Unusable e) {
            throw new IllegalArgumentException("--length-scale auto: " + e.getMessage()
                    + " (give --length-scale L)", e);
        }
        ResultChecks.checkSelection(result, count, x.rows());
        int[] rounds = CoverageRounds.assign(result.groups(), x.rows());

        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(out, raw -> gzipIfNamed(out, raw, o -> {
                StringBuilder sb = new StringBuilder();
                for (int p : result.picks()) {
                    sb.append(p).append('\n');
                }
                o.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
            }));
            if (groups != null) {
                outputs.stage(groups, raw -> gzipIfNamed(groups, raw, o -> {
                    for (int p = 0; p < result.picks().length; p++) {
                        Map<String, Object> line = new LinkedHashMap<>();
                        line.put("pick", result.picks()[p]);
                        line.put("rows", result.groups().get(p));
                        line.put("variance", result.pickVariances()[p]);
                        line.put("round", rounds[p]);
                        Json.writeLine(o, line);
                    }
                }));
            }
            outputs.commit();
        }
        printSummary(stdout, result, x);
        return ExitCodes.OK;
    }

    /**
     * {@code body} written to {@code raw}, gzip-compressed when the file's name ends in
     * {@code .gz} (the readers decompress by that name, and refused the plain text it held).
     * Closing the gzip stream closes {@code raw}, which {@link AtomicOutputs} makes a flush.
     */
    private static void gzipIfNamed(Path target, java.io.OutputStream raw, AtomicOutputs.Body body)
            throws java.io.IOException {
        if (!target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")) {
            body.writeTo(raw);
            return;
        }
        try (java.util.zip.GZIPOutputStream gz =
                new java.util.zip.GZIPOutputStream(raw, 1 << 16)) {
            body.writeTo(gz);
        }
    }

    private void printSummary(PrintWriter stdout, SelectionResult r, FloatMatrix x) {
        int rows = x.rows();
        // A group holds at most every row: "groups of 100" over 37 rows described none.
        int shownGroup = Math.min(groupSize, rows);
        stdout.printf(Locale.ROOT, "picked %d of %d rows%s%n", r.picks().length, rows,
                shownGroup > 1 ? String.format(Locale.ROOT, " in groups of %d (%d coverage reset%s)",
                        shownGroup, r.rounds(), r.rounds() == 1 ? "" : "s") : "");
        if (groupSize >= rows && rows > 1 && r.picks().length > 1) {
            // Each group covers every row, so each pick starts a round with an empty
            // conditioning set, where every variance is the prior 1 (ExplorationSelector).
            stdout.printf(Locale.ROOT, "note: --group-size %d covers all %d rows in one group:"
                    + " every pick after the first starts a new round with nothing to condition"
                    + " on, so the picks follow index order (the lowest row not yet picked)%n",
                    groupSize, rows);
        }
        int shown = Math.min(10, r.picks().length);
        stdout.println("first picks: " + Arrays.stream(r.picks(), 0, shown)
                .mapToObj(Integer::toString).collect(Collectors.joining(", "))
                + (shown < r.picks().length ? ", ..." : ""));
        stdout.printf(Locale.ROOT, "length scale: %s%s, noise: %s, backend: %s, %.2f s%n",
                Numbers.short4(r.lengthScale()), !lengthScale.isAuto() ? ""
                        : MedianHeuristic.allRowsEqual(x) ? " (rows all alike: any l gives these picks)"
                        : " (median heuristic)",
                Numbers.short4(noise),
                r.backend(), r.seconds());
        stdout.println("wrote " + out + (groups == null ? "" : " and " + groups));
        stdout.flush();
    }
}
