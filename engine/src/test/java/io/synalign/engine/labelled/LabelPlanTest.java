package io.synalign.engine.labelled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@link LabelPlan} on its own (helper pit32's mutation run: its checks, the label list of its
 * message, the weightable rows and the seed of a global plan were untested): groups, shares and
 * counts against a brute-force grouping of random labels, the seed against the documented
 * FNV-1a and SplitMix64 written out here, and each refusal's message.
 */
class LabelPlanTest {

    /**
     * Random labels (2 to 9 names, each side drawing from its own subset, so some labels are
     * real only and some synthetic only): groups in first-seen order, their rows, status,
     * shares and the weightable rows, against a grouping written out here.
     */
    @Test
    void groupsSharesAndWeightableRowsMatchABruteForceGrouping() {
        Random rnd = new Random(71);
        for (int trial = 0; trial < 200; trial++) {
            int names = 2 + rnd.nextInt(8);
            int nReal = 1 + rnd.nextInt(41);
            int nSyn = 1 + rnd.nextInt(53);
            List<String> real = draw(rnd, nReal, names, 0);
            List<String> syn = draw(rnd, nSyn, names, 1 + rnd.nextInt(2));
            if (real.stream().noneMatch(syn::contains)) {
                syn.set(0, real.get(0)); // at least one shared label, or per-label refuses
            }
            for (LabelMode mode : LabelMode.values()) {
                LabelPlan plan = LabelPlan.of(mode, real, nReal, syn, nSyn);
                String where = "trial " + trial + " " + mode;
                LinkedHashSet<String> order = new LinkedHashSet<>(real);
                order.addAll(syn);
                assertEquals(new ArrayList<>(order),
                        plan.groups().stream().map(LabelPlan.Group::label).toList(), where);
                long represented = real.stream().filter(syn::contains).count();
                int weightable = 0;
                for (LabelPlan.Group g : plan.groups()) {
                    int[] r = IntStream.range(0, nReal).filter(i -> real.get(i).equals(g.label())).toArray();
                    int[] s = IntStream.range(0, nSyn).filter(i -> syn.get(i).equals(g.label())).toArray();
                    assertArrayEquals(r, g.realRows(), where + " " + g.label());
                    assertArrayEquals(s, g.syntheticRows(), where + " " + g.label());
                    LabelPlan.Status status = r.length == 0 ? LabelPlan.Status.NOT_IN_REAL
                            : s.length == 0 ? LabelPlan.Status.NO_SYNTHETIC_ROWS
                            : LabelPlan.Status.ALIGNED;
                    assertEquals(status, g.status(), where + " " + g.label());
                    assertEquals((double) r.length / nReal, g.realShare(), 1e-15);
                    assertEquals(status == LabelPlan.Status.ALIGNED ? (double) r.length / represented
                            : 0, g.targetShare(), 1e-15, where + " " + g.label());
                    if (status == LabelPlan.Status.ALIGNED) {
                        weightable += s.length;
                    }
                }
                assertEquals(mode == LabelMode.GLOBAL ? nSyn : weightable,
                        plan.weightableSyntheticRows(), where);
                assertTrue(plan.labelled());
                assertEquals(mode, plan.mode());
                assertEquals(nReal, plan.realRows());
                assertEquals(nSyn, plan.syntheticRows());
            }
        }
    }

    /** Labels "l0".."l(names-1)"; side 1 and 2 skip the first or last name now and then. */
    private static List<String> draw(Random rnd, int n, int names, int side) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int from = side == 1 ? 1 : 0;
            int to = side == 2 ? names - 1 : names;
            out.add("l" + (from + rnd.nextInt(Math.max(1, to - from))));
        }
        return out;
    }

    @Test
    void withoutLabelsThereIsOneGroupOfEveryRow() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, null, 4, null, 3);
        assertFalse(plan.labelled());
        assertEquals(1, plan.groups().size());
        LabelPlan.Group all = plan.groups().get(0);
        assertEquals(LabelPlan.ALL, all.label());
        assertArrayEquals(new int[] {0, 1, 2, 3}, all.realRows());
        assertArrayEquals(new int[] {0, 1, 2}, all.syntheticRows());
        assertEquals(3, plan.weightableSyntheticRows());
        // Global mode with one side labelled: the labels are ignored.
        assertFalse(LabelPlan.of(LabelMode.GLOBAL, List.of("a", "b"), 2, null, 3).labelled());
    }

    /**
     * A label's seed: the seed itself without labels or in global mode; otherwise SplitMix64's
     * finaliser of the seed XOR the 64-bit FNV-1a hash of the label's UTF-8 bytes, written out
     * here (the multi-byte label checks that bytes are taken unsigned).
     */
    @Test
    void aLabelsSeedIsTheDocumentedHashAndNoneInGlobalMode() {
        List<String> labels = List.of("sports", "caf\u00e9", "", "\u65e5\u672c");
        LabelPlan perLabel = LabelPlan.of(LabelMode.PER_LABEL, labels, 4, labels, 4);
        LabelPlan global = LabelPlan.of(LabelMode.GLOBAL, labels, 4, labels, 4);
        LabelPlan unlabelled = LabelPlan.of(LabelMode.PER_LABEL, null, 4, null, 4);
        for (long seed : new long[] {0, 7, -1, Long.MIN_VALUE, 0x123456789abcdefL}) {
            for (String label : labels) {
                long h = 0xcbf29ce484222325L;
                for (byte b : label.getBytes(StandardCharsets.UTF_8)) {
                    h = (h ^ Byte.toUnsignedLong(b)) * 0x100000001b3L;
                }
                long z = seed ^ h;
                z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
                z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
                z = z ^ (z >>> 31);
                assertEquals(z, perLabel.seedFor(label, seed), label + " " + seed);
                assertEquals(seed, global.seedFor(label, seed), "global: " + label);
                assertEquals(seed, unlabelled.seedFor(label, seed), "unlabelled: " + label);
            }
        }
    }

    @Test
    void badArgumentsAreRefusedNamingTheValues() {
        assertEquals("mode must not be null", assertThrows(IllegalArgumentException.class,
                () -> LabelPlan.of(null, null, 1, null, 1)).getMessage());
        assertEquals("need at least one real and one synthetic row, got 0 and 1",
                assertThrows(IllegalArgumentException.class,
                        () -> LabelPlan.of(LabelMode.GLOBAL, null, 0, null, 1)).getMessage());
        assertEquals("need at least one real and one synthetic row, got 1 and 0",
                assertThrows(IllegalArgumentException.class,
                        () -> LabelPlan.of(LabelMode.GLOBAL, null, 1, null, 0)).getMessage());
        assertEquals(1, LabelPlan.of(LabelMode.GLOBAL, null, 1, null, 1).groups().size());
        assertEquals("label counts do not match the row counts", assertThrows(
                IllegalArgumentException.class, () -> LabelPlan.of(LabelMode.GLOBAL,
                        List.of("a"), 2, List.of("a"), 1)).getMessage());
        assertEquals("label counts do not match the row counts", assertThrows(
                IllegalArgumentException.class, () -> LabelPlan.of(LabelMode.GLOBAL,
                        List.of("a", "a"), 2, List.of("a"), 2)).getMessage());
        LabelPlan.Mismatch real = assertThrows(LabelPlan.Mismatch.class,
                () -> LabelPlan.of(LabelMode.PER_LABEL, List.of("a"), 1, null, 1));
        assertEquals("only the real records have labels; per-label alignment needs a label on"
                + " every real and synthetic record", real.problem());
        assertEquals(LabelPlan.Mismatch.Remedy.GLOBAL_MODE, real.remedy());
        assertEquals(real.problem() + " (or align all rows together in global mode)",
                real.getMessage());
        LabelPlan.Mismatch none = assertThrows(LabelPlan.Mismatch.class,
                () -> LabelPlan.of(LabelMode.PER_LABEL, List.of("a"), 1, List.of("b"), 1));
        assertEquals(LabelPlan.Mismatch.Remedy.LABEL_FIELD_OR_GLOBAL_MODE, none.remedy());
        assertEquals("no synthetic record has a label of the real set: synthetic labels 'b',"
                + " real labels 'a'", none.problem());
        assertEquals("per-label", LabelMode.PER_LABEL.cliName());
        assertEquals("global", LabelMode.GLOBAL.cliName());
    }

    /** Sets of other sizes than the plan's are refused, either count alone naming both. */
    @Test
    void requireRowsRefusesEitherCountAlone() {
        LabelPlan plan = LabelPlan.of(LabelMode.GLOBAL, null, 6, null, 4);
        plan.requireRows(6, 4);
        assertEquals("the plan is for 6 real and 4 synthetic rows, got 5 and 4", assertThrows(
                IllegalArgumentException.class, () -> plan.requireRows(5, 4)).getMessage());
        assertEquals("the plan is for 6 real and 4 synthetic rows, got 6 and 5", assertThrows(
                IllegalArgumentException.class, () -> plan.requireRows(6, 5)).getMessage());
    }

    /**
     * The refusal names at most 10 labels a side, then how many there are; a null label (no
     * label field) is named, not a NullPointerException from the normalisation check.
     */
    @Test
    void theMismatchNamesTenLabelsThenTheCount() {
        List<String> syn = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            syn.add("s" + i);
        }
        LabelPlan.Mismatch e = assertThrows(LabelPlan.Mismatch.class,
                () -> LabelPlan.of(LabelMode.PER_LABEL, List.of("r0", "r1"), 2, syn, 12));
        assertEquals("no synthetic record has a label of the real set: synthetic labels 's0', 's1',"
                + " 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', ... (12 in all), real labels"
                + " 'r0', 'r1'", e.problem());
        List<String> ten = syn.subList(0, 10);
        assertTrue(assertThrows(LabelPlan.Mismatch.class, () -> LabelPlan.of(LabelMode.PER_LABEL,
                List.of("r0"), 1, ten, 10)).problem().endsWith("'s8', 's9', real labels 'r0'"));
        assertEquals("no synthetic record has a label of the real set: synthetic labels 's0',"
                + " 'null', real labels 'r0'", assertThrows(LabelPlan.Mismatch.class,
                        () -> LabelPlan.of(LabelMode.PER_LABEL, List.of("r0"), 1,
                                Arrays.asList("s0", null), 2)).problem());
        assertEquals("no synthetic record has a label of the real set: synthetic labels 's0',"
                + " real labels 'null'", assertThrows(LabelPlan.Mismatch.class,
                        () -> LabelPlan.of(LabelMode.PER_LABEL, Arrays.asList((String) null), 1,
                                List.of("s0"), 1)).problem());
    }
}
