package io.synalign.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The run directory of text {@code align --run-dir DIR} and {@code run --run-dir DIR} (file
 * names in {@link RunFiles}): the settings and results, the weighted records, both embedding
 * matrices and the per-row labels, staged into the same {@link AtomicOutputs} as the command's
 * other outputs so that all appear or none. Embeddings files given to the text form are copied
 * as given: every {@code --synthetic-embeddings} file, and a float64 {@code --real-embeddings}
 * file, which narrowing would move (rows far from the origin onto float32's grid, and
 * {@code report} would draw the grid); rows the model embedded and a float32
 * {@code --real-embeddings} file are written as float32 rows. DIR is created (with missing
 * parents) only when the outputs are written, after everything succeeded. With
 * {@code --holdout-folds}, {@value RunFiles#ALIGNMENT} is rewritten once the check, run after
 * the outputs, has its figures ({@link HeldOutAfterOutputs}).
 */
final class RunDirOutputs {

    private final Path dir;

    RunDirOutputs(Path dir) {
        this.dir = dir;
    }

    /**
     * Keys of the {@code --summary} JSON that restate a setting; {@value RunFiles#ALIGNMENT}
     * states each setting once, in its {@code settings} ({@link RunSettings}).
     */
    private static final List<String> RESTATED = List.of("real", "synthetic", "out", "mode",
            "text_field", "label_field", "sample", "settings");
    private static final List<String> RESTATED_EMBEDDING = List.of("model", "cache_dir");

    /**
     * Creates DIR and stages its files into {@code outputs}; {@value RunFiles#ALIGNMENT}
     * through {@code afterwards}, which adds the held-out check's figures to it once the check
     * has run after the outputs were written.
     *
     * @param summary the {@code --summary} JSON with a held-out check's figures (null: none):
     *     its results go to {@value RunFiles#ALIGNMENT}, its restated settings do not
     * @param stated the settings as they took effect and the options given, from
     *     {@link RunSettings#state}
     */
    void stage(AtomicOutputs outputs, HeldOutAfterOutputs afterwards,
            Function<HeldOutRecord, JsonNode> summary, RunSettings.Stated stated,
            List<Record> weighted, FloatMatrix real, FloatMatrix synthetic,
            String labelField, List<String> realLabels, List<String> syntheticLabels)
            throws IOException {
        stage(outputs, afterwards, summary, stated,
                o -> RecordWriter.write(o, new RecordFormat.Kind(RecordFormat.JSONL, false),
                        weighted),
                o -> NpyWriter.writeMatrix(o, real), o -> NpyWriter.writeMatrix(o, synthetic),
                labelField, realLabels, syntheticLabels);
    }

    /**
     * {@link #stage(AtomicOutputs, HeldOutAfterOutputs, Function, RunSettings.Stated, List,
     * FloatMatrix, FloatMatrix, String, List, List)} for sets too large to hold, or embeddings
     * kept as given: the weighted records (JSON Lines) and both embedding files are written by
     * the bodies given.
     *
     * @param realEmbeddings writes {@value RunFiles#REAL_EMBEDDINGS}, or null when the caller
     *     staged that file already (a copy of a float64 {@code --real-embeddings})
     * @param syntheticEmbeddings writes {@value RunFiles#SYNTHETIC_EMBEDDINGS}, or null when
     *     the caller staged that file already
     */
    void stage(AtomicOutputs outputs, HeldOutAfterOutputs afterwards,
            Function<HeldOutRecord, JsonNode> summary, RunSettings.Stated stated,
            AtomicOutputs.Body weighted, AtomicOutputs.Body realEmbeddings,
            AtomicOutputs.Body syntheticEmbeddings, String labelField, List<String> realLabels,
            List<String> syntheticLabels) throws IOException {
        Files.createDirectories(dir);
        afterwards.stage(outputs, new HeldOutAfterOutputs.Document(dir.resolve(RunFiles.ALIGNMENT),
                h -> o -> Json.writeRunDocument(o, alignment(summary.apply(h), stated))));
        ObjectNode labels = JsonNodeFactory.instance.objectNode();
        labels.put("label_field", labelField);
        labels.set("real", labelArray(realLabels));
        labels.set("synthetic", labelArray(syntheticLabels));

        outputs.stage(dir.resolve(RunFiles.WEIGHTED), weighted);
        if (realEmbeddings != null) {
            outputs.stage(dir.resolve(RunFiles.REAL_EMBEDDINGS), realEmbeddings);
        }
        if (syntheticEmbeddings != null) {
            outputs.stage(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS), syntheticEmbeddings);
        }
        outputs.stage(dir.resolve(RunFiles.LABELS), o -> Json.writeRunDocument(o, labels));
    }

    /**
     * {@value RunFiles#ALIGNMENT}: the command, the settings stated, then the summary's results
     * (its restated settings left out).
     */
    private static ObjectNode alignment(JsonNode summary, RunSettings.Stated stated) {
        ObjectNode alignment = JsonNodeFactory.instance.objectNode();
        alignment.put("command", stated.command());
        alignment.set("settings", Json.MAPPER.valueToTree(stated.settings()));
        alignment.set("given", Json.MAPPER.valueToTree(stated.given()));
        for (Iterator<Map.Entry<String, JsonNode>> it = summary.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (RESTATED.contains(e.getKey())) {
                continue;
            }
            JsonNode v = e.getValue().deepCopy();
            if (e.getKey().equals("embedding") && v instanceof ObjectNode o) {
                RESTATED_EMBEDDING.forEach(o::remove);
            }
            alignment.set(e.getKey(), v);
        }
        return alignment;
    }

    /** Where {@value RunFiles#REAL_EMBEDDINGS} goes in DIR. */
    Path realEmbeddings() {
        return dir.resolve(RunFiles.REAL_EMBEDDINGS);
    }

    /** Where {@value RunFiles#SYNTHETIC_EMBEDDINGS} goes in DIR. */
    Path syntheticEmbeddings() {
        return dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS);
    }

    /** The line saying what went into DIR and how to read it. */
    String wroteLine(boolean withGeneration) {
        return "wrote the run directory " + dir + " (" + RunFiles.ALIGNMENT + ", "
                + RunFiles.WEIGHTED + ", " + RunFiles.REAL_EMBEDDINGS + ", "
                + RunFiles.SYNTHETIC_EMBEDDINGS + ", " + RunFiles.LABELS
                + (withGeneration ? ", " + RunFiles.GENERATION + ", " + RunFiles.TEST : "") + "); 'synalign report --run "
                + dir + "' turns it into " + RunFiles.REPORT;
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
