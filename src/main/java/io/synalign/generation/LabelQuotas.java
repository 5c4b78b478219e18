package io.synalign.generation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How many synthetic rows each label gets: a fixed number per label, or a total split in
 * proportion to the labels' shares of the real rows by the largest-remainder (Hamilton) method,
 * ties to the label seen first. Cost O(L log L) for L labels.
 */
public final class LabelQuotas {

    private LabelQuotas() {
    }

    /** {@code perLabel} for every one of the labels whose real row counts are {@code realCounts}. */
    public static int[] perLabel(int labels, int perLabel) {
        if (perLabel < 1) {
            throw new IllegalArgumentException("rows per label must be at least 1, got " + perLabel);
        }
        int[] q = new int[labels];
        java.util.Arrays.fill(q, perLabel);
        return q;
    }

    /** {@code total} split by the shares {@code realCounts[i] / sum(realCounts)}. */
    public static int[] total(int[] realCounts, int total) {
        if (total < 1) {
            throw new IllegalArgumentException("total rows must be at least 1, got " + total);
        }
        long sum = 0;
        for (int i = 0; i < realCounts.length; i++) {
            if (realCounts[i] < 0) {
                throw new IllegalArgumentException("label " + i + " has " + realCounts[i]
                        + " real rows");
            }
            sum += realCounts[i];
        }
        if (sum == 0) {
            // No shares to split by (a division by zero before).
            throw new IllegalArgumentException("no real rows to split " + total
                    + " synthetic rows by (" + realCounts.length + " labels)");
        }
        int[] q = new int[realCounts.length];
        double[] rest = new double[realCounts.length];
        int given = 0;
        for (int i = 0; i < q.length; i++) {
            double exact = (double) total * realCounts[i] / sum;
            q[i] = (int) Math.floor(exact);
            rest[i] = exact - q[i];
            given += q[i];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < q.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -rest[i]).thenComparingInt(i -> i));
        for (int k = 0; given < total; k++, given++) {
            q[order.get(k % q.length)]++;
        }
        return q;
    }
}
