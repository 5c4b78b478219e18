package io.synalign.generation;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups the real rows by label (first-appearance order), gives each label its quota and asks
 * the {@link SampleGenerator} for that many validated samples. One {@link SampleValidator} spans
 * all labels, so no sample duplicates any real row or any earlier sample. Label i's seed is
 * {@code Seeds.mix(seed, i)}, so the whole run is a function of its inputs and seed.
 */
public final class GenerationPipeline {

    private GenerationPipeline() {
    }

    /** The real rows grouped by label, in first-appearance order ({@code labels} null: one group). */
    public static List<LabelRows> byLabel(List<String> texts, List<String> labels, List<Long> lines) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            groups.computeIfAbsent(labels == null ? null : labels.get(i), k -> new ArrayList<>()).add(i);
        }
        List<LabelRows> out = new ArrayList<>();
        groups.forEach((label, idx) -> {
            List<String> t = new ArrayList<>();
            List<Long> l = new ArrayList<>();
            for (int i : idx) {
                t.add(texts.get(i));
                l.add(lines.get(i));
            }
            out.add(new LabelRows(label, t, l));
        });
        return out;
    }

    /** The quotas: {@code perLabel} each when {@code total} is null, else {@code total} split by shares. */
    public static int[] quotas(List<LabelRows> labels, Integer perLabel, Integer total) {
        if (total != null) {
            int[] counts = labels.stream().mapToInt(LabelRows::size).toArray();
            return LabelQuotas.total(counts, total);
        }
        return LabelQuotas.perLabel(labels.size(), perLabel);
    }

    /** Runs the generator over every label; the samples come label by label. */
    public static List<GeneratedSample> run(List<LabelRows> labels, int[] quotas, SampleGenerator generator,
            SampleValidator validator, long seed) {
        List<GeneratedSample> out = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (quotas[i] > 0) {
                out.addAll(generator.generate(labels.get(i), quotas[i], validator, Seeds.mix(seed, i)));
            }
        }
        return out;
    }

    /**
     * The distinct real rows of label {@code labelIndex} that {@link LlmSampleGenerator}'s first
     * batch uses as demonstrations: {@code min(n, ceil(quota / samplesPerSummary))} GP
     * exploration-aware groups of {@code groupSize} rows with the generator's own selection
     * settings ({@link LlmSampleGenerator#selectionConfig}, label seed
     * {@code Seeds.mix(seed, labelIndex)}). Later batches, asked only when the first falls
     * short, are not included. The offline baseline uses no demonstrations; for it this is the
     * selection the LLM path would make. Sorted ascending.
     *
     * <p>The number of groups is also capped at {@code max(1, (n - 1) / groupSize)}, so that,
     * where the label has enough rows, the demonstrations leave at least one real row out: a
     * selection of every row covers the real set perfectly whichever method picked it, and the
     * coverage comparison with random selection would say nothing (it did, at 8 real rows a
     * label and a first batch of 7 groups of 3, in the demo).
     *
     * @param x the label's real rows, embedded
     */
    public static int[] firstBatchDemonstrations(KernelBackend backend, FloatMatrix x, int quota,
            int groupSize, int samplesPerSummary, long seed, int labelIndex) {
        return firstBatchDemonstrations(new GpDemonstrations(backend, groupSize), x, quota,
                groupSize, samplesPerSummary, seed, labelIndex);
    }

    /** {@link #firstBatchDemonstrations} of another chooser ({@code --demos random}). */
    public static int[] firstBatchDemonstrations(DemonstrationChooser chooser, FloatMatrix x,
            int quota, int groupSize, int samplesPerSummary, long seed, int labelIndex) {
        int n = x.rows();
        int groups = Math.max(1, Math.min(Math.min(n, (quota + samplesPerSummary - 1) / samplesPerSummary),
                (n - 1) / groupSize));
        List<String> placeholder = java.util.Collections.nCopies(n, "");
        List<Long> lines = java.util.stream.LongStream.rangeClosed(1, n).boxed().toList();
        List<int[]> picked = chooser.choose(new LabelRows(null, placeholder, lines), x, groups, 0,
                Seeds.mix(seed, labelIndex), List.of());
        return picked.stream().flatMapToInt(java.util.Arrays::stream).distinct().sorted().toArray();
    }
}
