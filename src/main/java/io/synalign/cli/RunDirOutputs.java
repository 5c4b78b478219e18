package io.synalign.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.InputException;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The run directory of text {@code align --run-dir DIR} (file names in {@link RunFiles}): the
 * summary with every option value, the weighted records, both embedding matrices and the
 * per-row labels, staged into the same {@link AtomicOutputs} as the command's other outputs so
 * that all appear or none. DIR is created (with missing parents) only when the outputs are
 * written, after everything succeeded.
 */
final class RunDirOutputs {

    /** Option names whose values are never written (none of align's options today). */
    private static final List<String> SECRET_WORDS = List.of("key", "token", "secret", "password");

    private final Path dir;

    RunDirOutputs(Path dir) {
        this.dir = dir;
    }

    /**
     * Checks DIR before any work: an existing DIR must be a writable directory and its files
     * must not clash with the inputs or other outputs; a missing DIR needs an existing nearest
     * ancestor that is a writable directory.
     *
     * @throws InputException naming DIR when it cannot be used
     */
    void check(OutputTargets targets) {
        if (!Files.exists(dir) && Files.isSymbolicLink(dir)) {
            RunDirOption.checkRunDir(dir); // names the link and its missing target
        }
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new InputException(dir, "--run-dir names a file, not a directory");
            }
            for (String name : List.of(RunFiles.ALIGNMENT, RunFiles.WEIGHTED,
                    RunFiles.REAL_EMBEDDINGS, RunFiles.SYNTHETIC_EMBEDDINGS, RunFiles.LABELS)) {
                targets.add("--run-dir (" + name + ")", dir.resolve(name));
            }
            return;
        }
        Path ancestor = abs.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null || !Files.isDirectory(ancestor)) {
            throw new InputException(dir, "--run-dir cannot be created: "
                    + (ancestor == null ? "no existing parent" : ancestor + " is not a directory"));
        }
        if (!Files.isWritable(ancestor)) {
            throw new InputException(dir, "--run-dir cannot be created: " + ancestor
                    + " is not writable");
        }
    }

    /**
     * Creates DIR and stages its files into {@code outputs}.
     *
     * @param summary the {@code --summary} JSON; its {@code settings} object gets {@code options}
     * @param spec the command, whose option values are recorded
     */
    void stage(AtomicOutputs outputs, JsonNode summary, CommandSpec spec, List<Record> weighted,
            FloatMatrix real, FloatMatrix synthetic, String labelField, List<String> realLabels,
            List<String> syntheticLabels) throws IOException {
        Files.createDirectories(dir);
        ObjectNode alignment = summary.deepCopy();
        JsonNode settings = alignment.get("settings");
        ObjectNode merged = settings instanceof ObjectNode o ? o : alignment.putObject("settings");
        merged.set("options", optionValues(spec));
        ObjectNode labels = JsonNodeFactory.instance.objectNode();
        labels.put("label_field", labelField);
        labels.set("real", labelArray(realLabels));
        labels.set("synthetic", labelArray(syntheticLabels));

        outputs.stage(dir.resolve(RunFiles.ALIGNMENT), o -> Json.writePretty(o, alignment));
        outputs.stage(dir.resolve(RunFiles.WEIGHTED),
                o -> RecordWriter.write(o, new RecordFormat.Kind(RecordFormat.JSONL, false), weighted));
        outputs.stage(dir.resolve(RunFiles.REAL_EMBEDDINGS), o -> NpyWriter.writeMatrix(o, real));
        outputs.stage(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS),
                o -> NpyWriter.writeMatrix(o, synthetic));
        outputs.stage(dir.resolve(RunFiles.LABELS), o -> Json.writePretty(o, labels));
    }

    /**
     * Every option of {@code spec} (help and version excepted) with its value after parsing,
     * defaults included, keyed by its longest name: paths and other objects as strings, numbers
     * and booleans as such.
     */
    static ObjectNode optionValues(CommandSpec spec) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp()) {
                continue;
            }
            String name = o.longestName();
            String lower = name.toLowerCase(Locale.ROOT);
            if (SECRET_WORDS.stream().anyMatch(lower::contains)) {
                continue;
            }
            Object v = o.getValue();
            if (v == null) {
                out.putNull(name);
            } else if (v instanceof Boolean b) {
                out.put(name, b);
            } else if (v instanceof Integer || v instanceof Long) {
                out.put(name, ((Number) v).longValue());
            } else if (v instanceof Number n) {
                out.put(name, n.doubleValue());
            } else {
                out.put(name, v.toString());
            }
        }
        return out;
    }

    private static JsonNode labelArray(List<String> labels) {
        if (labels == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        ArrayNode a = JsonNodeFactory.instance.arrayNode(labels.size());
        labels.forEach(a::add);
        return a;
    }
}
