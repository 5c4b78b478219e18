package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.pipeline.RunFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether {@code generation.json} and {@code evaluation.json} describe the alignment of
 * {@code alignment.json}, or an earlier experiment left in a reused run directory.
 *
 * <p>Each command writes its own document, so a directory that received {@code generate} of one
 * set, then {@code align} of another, holds a generation section about a set nobody aligned; an
 * evaluation of last week's weights sits beside today's alignment and feeds the verdict. The
 * documents record the files they read and wrote (paths relative to the run directory, see
 * {@link RunFiles#settingPath}), and an evaluation of {@code --weighted} rows records their
 * effective sample size, which is a function of the weights alone. The checks:
 * <ul>
 *   <li>generation: its {@code --out} is the alignment's {@code --synthetic}, its {@code --real}
 *       the alignment's {@code --real}, and (single-round generation into that very file) its
 *       rows per label are the aligned rows per label;</li>
 *   <li>evaluation: its {@code --weighted} or {@code --aligned} is one of the alignment's outputs
 *       ({@code --out}, {@code --sampled-out}, {@code run}'s {@code --weighted-out}, the run
 *       directory's {@code weighted.jsonl}), its
 *       {@code --train} the alignment's {@code --real}, its {@code --synthetic} the alignment's
 *       {@code --synthetic}, and the effective sample size it recorded for the weighted rows is
 *       the alignment's (relative difference at most 1e-6).</li>
 * </ul>
 * A path check passes when either side is unrecorded. Two paths name one file when
 * {@link Files#isSameFile} says so, or, for files that no longer exist, when they are equal after
 * normalisation. Nothing is refused: a set that was filtered between {@code generate} and
 * {@code align} is a legitimate pipeline with differing paths, so the report shows each finding
 * beside its section (and keeps a mismatched evaluation out of the verdict) instead.
 *
 * @param generation why generation.json may describe another set (empty: none found)
 * @param evaluation why evaluation.json may describe another alignment (empty: none found)
 */
public record Provenance(List<String> generation, List<String> evaluation) {

    /** The largest relative difference of two recorded effective sample sizes of one weighting. */
    static final double ESS_TOLERANCE = 1e-6;

    /** The variant of evaluation.json trained on the aligned rows. */
    private static final String ALIGNED = Verdict.ALIGNED;

    public Provenance {
        generation = List.copyOf(generation);
        evaluation = List.copyOf(evaluation);
    }

    /** Every finding, generation's first. */
    public List<String> all() {
        List<String> out = new ArrayList<>(generation);
        out.addAll(evaluation);
        return out;
    }

    /** Checks both documents against {@code alignment}; no findings where it is absent. */
    static Provenance check(Path dir, JsonNode alignment, JsonNode generation, JsonNode evaluation) {
        if (alignment == null) {
            return new Provenance(List.of(), List.of());
        }
        return new Provenance(generation == null ? List.of() : generation(dir, alignment, generation),
                evaluation == null ? List.of() : evaluation(dir, alignment, evaluation));
    }

    private static List<String> generation(Path dir, JsonNode alignment, JsonNode generation) {
        List<String> out = new ArrayList<>();
        String wrote = setting(generation, "--out");
        String aligned = setting(alignment, "--synthetic");
        boolean sameSet = wrote != null && aligned != null && sameFile(dir, wrote, aligned);
        if (wrote != null && aligned != null && !sameSet) {
            out.add(RunFiles.GENERATION + " records rows written to " + wrote + ", but "
                    + RunFiles.ALIGNMENT + " aligned " + aligned + ": unless that file was made"
                    + " from these rows (filtered or deduplicated), the generation section"
                    + " describes another set");
        }
        mismatch(out, dir, RunFiles.GENERATION, generation, "--real", alignment, "--real");
        if (sameSet && !generation.has("rounds")) {
            Map<String, Long> alignedRows = alignedRowsPerLabel(alignment);
            for (Iterator<Map.Entry<String, JsonNode>> it = generation.path("perLabel").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode generated = e.getValue().get("generated");
                Long have = alignedRows.get(e.getKey());
                if (generated != null && generated.canConvertToLong() && have != null
                        && generated.asLong() != have) {
                    out.add(RunFiles.GENERATION + " generated " + generated.asLong()
                            + " rows of label '" + e.getKey() + "' into " + wrote + ", but "
                            + RunFiles.ALIGNMENT + " aligned " + have + " rows of it from that"
                            + " file: it was written again after this generation");
                    break;
                }
            }
        }
        return out;
    }

    private static List<String> evaluation(Path dir, JsonNode alignment, JsonNode evaluation) {
        List<String> out = new ArrayList<>();
        for (String option : List.of("--weighted", "--aligned")) {
            String evaluated = setting(evaluation, option);
            if (evaluated == null) {
                continue;
            }
            List<String> outputs = new ArrayList<>();
            for (String o : List.of("--out", "--sampled-out", "--weighted-out")) {
                String v = setting(alignment, o);
                if (v != null) {
                    outputs.add(v);
                }
            }
            outputs.add(RunFiles.WEIGHTED);
            boolean ours = outputs.stream().anyMatch(v -> sameFile(dir, evaluated, v));
            if (!ours) {
                out.add(RunFiles.EVALUATION + " evaluated " + option + " " + evaluated
                        + ", which is none of this alignment's outputs ("
                        + String.join(", ", outputs) + ")");
            }
        }
        mismatch(out, dir, RunFiles.EVALUATION, evaluation, "--train", alignment, "--real");
        mismatch(out, dir, RunFiles.EVALUATION, evaluation, "--synthetic", alignment,
                "--synthetic");
        if (setting(evaluation, "--weighted") != null) {
            double recorded = alignedEss(evaluation);
            JsonNode ours = alignment.get("effective_sample_size");
            if (!Double.isNaN(recorded) && ours != null && ours.isNumber()) {
                double ess = ours.doubleValue();
                if (Math.abs(recorded - ess) > ESS_TOLERANCE * Math.max(Math.abs(ess), 1e-300)) {
                    out.add(String.format(Locale.ROOT, "%s scored weights whose effective sample"
                            + " size is %.6g; this alignment's weights have %.6g: it evaluated"
                            + " other weights (an earlier alignment, or a part of these rows)",
                            RunFiles.EVALUATION, recorded, ess));
                }
            }
        }
        return out;
    }

    /** Adds a finding when {@code doc}'s {@code option} and the alignment's differ. */
    private static void mismatch(List<String> out, Path dir, String docName, JsonNode doc,
            String option, JsonNode alignment, String alignmentOption) {
        String theirs = setting(doc, option);
        String ours = setting(alignment, alignmentOption);
        if (theirs != null && ours != null && !sameFile(dir, theirs, ours)) {
            out.add(docName + " read " + option + " " + theirs + ", but " + RunFiles.ALIGNMENT
                    + " read " + alignmentOption + " " + ours);
        }
    }

    /** The effective sample size evaluation.json recorded for its aligned variant, or NaN. */
    private static double alignedEss(JsonNode evaluation) {
        for (JsonNode v : evaluation.path("variants")) {
            if (v.path("name").asText("").startsWith(ALIGNED) && v.path("ess").isNumber()) {
                return v.get("ess").doubleValue();
            }
        }
        return Double.NaN;
    }

    /** alignment.json's synthetic rows per label ({@code labels[].n_synthetic}). */
    private static Map<String, Long> alignedRowsPerLabel(JsonNode alignment) {
        Map<String, Long> out = new java.util.HashMap<>();
        for (JsonNode l : alignment.path("labels")) {
            JsonNode n = l.get("n_synthetic");
            if (l.path("label").isTextual() && n != null && n.canConvertToLong()) {
                out.put(l.get("label").textValue(), n.asLong());
            }
        }
        return out;
    }

    private static String setting(JsonNode doc, String option) {
        JsonNode v = doc.path("settings").get(option);
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    /**
     * Whether two path settings of documents in {@code dir} name one file: the same file where
     * both exist (links and {@code ~} resolved), else equal normalised absolute paths.
     */
    static boolean sameFile(Path dir, String a, String b) {
        return io.synalign.io.SamePath.sameFile(RunFiles.settingPath(dir, a),
                RunFiles.settingPath(dir, b));
    }
}
