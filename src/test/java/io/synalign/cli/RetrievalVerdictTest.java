package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report}'s retrieval verdict from the test ranks that {@code evaluate --task retrieval}
 * keeps: the interval is checked against the definition written out here in double loops (a
 * bootstrap of MRR@10 over 37 test queries drawn with the documented SplittableRandom, the
 * seeds' Student-t over 3 repeats, each side's half-widths added in quadrature); fewer test
 * queries than the bootstrap's minimum (20) get the seeds' interval alone, or none with one
 * repeat; and ranks that do not fit their document are exit 2 with one line.
 */
class RetrievalVerdictTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUERIES = 37;
    private static final long SEED = 4242;
    /** Two-sided 97.5 % quantile of Student's t with 2 degrees of freedom. */
    private static final double T_2 = 4.303;

    @TempDir
    Path dir;

    /**
     * Per repeat and test query, a first relevant rank: {@code good} of 10 queries at rank 1
     * or 2, the others at 3 to 12, every seventh query not retrieved (0), and one at rank 87.
     */
    private static int[][] ranks(long seed, int repeats, int good) {
        return ranks(seed, repeats, good, QUERIES);
    }

    /** As {@link #ranks(long, int, int)} for {@code queries} test queries. */
    private static int[][] ranks(long seed, int repeats, int good, int queries) {
        Random random = new Random(seed);
        int[][] out = new int[repeats][queries];
        for (int r = 0; r < repeats; r++) {
            for (int q = 0; q < queries; q++) {
                out[r][q] = q % 7 == 3 ? 0 : q == 11 ? 87
                        : random.nextInt(10) < good ? 1 + random.nextInt(2) : 3 + random.nextInt(10);
            }
        }
        return out;
    }

    /** MRR@10 of one rank list from the definition: 1 / rank within the top 10, else 0. */
    private static double mrr(int[] ranks) {
        double sum = 0;
        for (int rank : ranks) {
            sum += rank >= 1 && rank <= 10 ? 1.0 / rank : 0;
        }
        return sum / ranks.length;
    }

    /**
     * A retrieval evaluation.json as evaluate writes it: per variant its mrr@10 values (those
     * of its ranks) and mean, the other metrics as placeholders, and testRanks.
     */
    private void writeEvaluation(int[][] zeroShot, int[][] real, int[][] synthetic,
            int[][] aligned) throws IOException {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("task", "retrieval");
        doc.putObject("settings").put("--repeats", real.length).put("--seed", SEED);
        doc.put("corpusPassages", 1000);
        doc.put("testQueries", aligned[0].length);
        ObjectNode variants = doc.putObject("variants");
        String[] names = {"zero_shot", "real", "real+synthetic", "real+aligned"};
        int[][][] all = {zeroShot, real, synthetic, aligned};
        for (int v = 0; v < names.length; v++) {
            ObjectNode o = variants.putObject(names[v]);
            ArrayNode values = JSON.createArrayNode();
            double mean = 0;
            for (int[] repeat : all[v]) {
                values.add(mrr(repeat));
                mean += mrr(repeat) / all[v].length;
            }
            for (String m : List.of("recall@1", "recall@10", "recall@100", "mrr@10", "ndcg@10")) {
                o.put(m, m.equals("mrr@10") ? mean : 0.5);
                o.put(m + "_std", all[v].length == 1 ? null : 0.01);
            }
            o.putObject("values").set("mrr@10", values);
            o.put("trainRows", v == 0 ? 0 : 40);
            o.set("testRanks", JSON.valueToTree(all[v]));
        }
        JSON.writeValue(dir.resolve(RunFiles.EVALUATION).toFile(), doc);
    }

    /**
     * The verdict's figures for aligned {@code a} against {@code b} (one array: the untrained
     * zero_shot, the same in every repeat), worked out from the definitions: the bootstrap's
     * 2,000 resamples draw {@code nextInt(n)} n times each (n = 37 test queries, or as many as
     * {@code a} has) from one SplittableRandom(4242),
     * every repeat's MRR@10 is taken on the resampled lists, the percentiles are the type-7
     * order statistics; the seeds' part is the t half-width of the per-repeat differences.
     */
    private static String interval(int[][] a, int[][] b, String seedsWording) {
        int repeats = a.length;
        int queries = a[0].length;
        int[][] other = new int[repeats][];
        for (int r = 0; r < repeats; r++) {
            other[r] = b.length == 1 ? b[0] : b[r];
        }
        double[] d = new double[repeats];
        double mean = 0;
        for (int r = 0; r < repeats; r++) {
            d[r] = mrr(a[r]) - mrr(other[r]);
            mean += d[r] / repeats;
        }
        int resamples = 2000;
        double[] stats = new double[resamples];
        SplittableRandom random = new SplittableRandom(SEED);
        for (int s = 0; s < resamples; s++) {
            int[] rows = new int[queries];
            for (int k = 0; k < queries; k++) {
                rows[k] = random.nextInt(queries);
            }
            double sum = 0;
            for (int r = 0; r < repeats; r++) {
                int[] ra = new int[queries];
                int[] rb = new int[queries];
                for (int k = 0; k < queries; k++) {
                    ra[k] = a[r][rows[k]];
                    rb[k] = other[r][rows[k]];
                }
                sum += mrr(ra) - mrr(rb);
            }
            stats[s] = sum / repeats;
        }
        Arrays.sort(stats);
        double low = percentile(stats, 0.025);
        double high = percentile(stats, 0.975);
        String wording;
        if (repeats >= 2) {
            double ss = 0;
            for (double x : d) {
                ss += (x - mean) * (x - mean);
            }
            double t = T_2 * Math.sqrt(ss / (repeats - 1) / repeats);
            low = mean - Math.sqrt(t * t + Math.pow(mean - low, 2));
            high = mean + Math.sqrt(t * t + Math.pow(high - mean, 2));
            wording = "a paired bootstrap over " + queries + " test queries and " + seedsWording
                    + ", combined";
        } else {
            wording = "a paired bootstrap over " + queries + " test queries; one repeat, so the"
                    + " seeds' spread is not in it";
        }
        return String.format(Locale.ROOT, "%+.1f MRR@10 points (95%% CI %+.1f to %+.1f: %s",
                100 * mean, 100 * low, 100 * high, wording);
    }

    private static double percentile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        double fraction = position - below;
        return below + 1 < sorted.length
                ? sorted[below] * (1 - fraction) + sorted[below + 1] * fraction : sorted[below];
    }

    private Cli.Run report() {
        return Cli.run(cl -> { }, "report", "--run", dir.toString());
    }

    private String verdict() throws IOException {
        return ReportCommandTest.section(Files.readString(dir.resolve(RunFiles.REPORT)),
                "verdict");
    }

    @Test
    void keptTestRanksGiveABootstrapIntervalOverTheTestQueries() throws IOException {
        new RunDirFixture().write(dir);
        int[][] zero = ranks(1, 1, 3);
        int[][] real = ranks(2, 3, 3);
        int[][] synthetic = ranks(3, 3, 7);
        int[][] aligned = ranks(4, 3, 7);
        writeEvaluation(zero, real, synthetic, aligned);
        Cli.Run r = report();
        assertEquals(0, r.status(), r::toString);
        String verdict = verdict();
        String paired = "a paired t over 3 repeats";
        assertTrue(verdict.contains("beat <b>real</b> by "
                + interval(aligned, real, paired) + ")."), verdict);
        assertTrue(verdict.contains("beat <b>zero_shot</b> by " + interval(aligned, zero,
                "a t over 3 repeats against its one (untrained) value") + ")."), verdict);
        assertTrue(verdict.contains("is not distinguishable from <b>real+synthetic</b>: "
                + interval(aligned, synthetic, paired) + ", which includes 0)."), verdict);
        assertFalse(verdict.contains("on this test set"), verdict);
        assertEquals(3, verdict.split("data-interval=\"bootstrap\"", -1).length - 1, verdict);

        // One repeat: the queries still give an interval (the seeds gave none).
        new RunDirFixture().write(dir);
        writeEvaluation(zero, new int[][] {real[0]}, new int[][] {synthetic[0]},
                new int[][] {aligned[0]});
        r = report();
        assertEquals(0, r.status(), r::toString);
        verdict = verdict();
        assertTrue(verdict.contains("beat <b>real</b> by " + interval(new int[][] {aligned[0]},
                new int[][] {real[0]}, null) + ")."), verdict);
        assertFalse(verdict.contains("one repeat gives no interval"), verdict);
    }

    /**
     * The seeds' paired t interval alone, worked out here: the per-repeat MRR@10 differences'
     * mean and t half-width (t = 4.303 for 2 degrees of freedom), as the verdict words it.
     */
    private static String seedsInterval(int[][] a, int[][] b) {
        int repeats = a.length;
        double[] d = new double[repeats];
        double mean = 0;
        for (int r = 0; r < repeats; r++) {
            d[r] = mrr(a[r]) - mrr(b[r]);
            mean += d[r] / repeats;
        }
        double ss = 0;
        for (double x : d) {
            ss += (x - mean) * (x - mean);
        }
        double t = T_2 * Math.sqrt(ss / (repeats - 1) / repeats);
        return String.format(Locale.ROOT, "%+.1f MRR@10 points (95%% CI %+.1f to %+.1f, paired"
                + " over %d repeats on this test set", 100 * mean, 100 * (mean - t),
                100 * (mean + t), repeats);
    }

    /**
     * One test query and one repeat (a review's case): every bootstrap resample is the one
     * query, so the bootstrap's interval had width 0 and +50 points were called a win. Now no
     * interval, saying why; 19 queries (one below the minimum) get the seeds' interval alone
     * and 20 the bootstrap's.
     */
    @Test
    void tooFewTestQueriesGetNoBootstrapOverThem() throws IOException {
        new RunDirFixture().write(dir);
        writeEvaluation(new int[][] {{3}}, new int[][] {{2}}, new int[][] {{2}},
                new int[][] {{1}});
        Cli.Run r = report();
        assertEquals(0, r.status(), r::toString);
        String verdict = verdict();
        assertTrue(verdict.contains("<b>real+aligned</b> vs <b>real</b>: +50.0 MRR@10 points; one"
                + " repeat gives no interval (use --repeats 3 or more), and there are too few"
                + " test queries (1, fewer than 20) for a bootstrap over them.</li>"), verdict);
        assertFalse(verdict.contains("beat"), verdict);
        assertFalse(verdict.contains("data-interval=\"bootstrap\""), verdict);

        int[][] zero = ranks(1, 1, 3, 19);
        int[][] real = ranks(2, 3, 3, 19);
        int[][] synthetic = ranks(3, 3, 7, 19);
        int[][] aligned = ranks(4, 3, 7, 19);
        new RunDirFixture().write(dir);
        writeEvaluation(zero, real, synthetic, aligned);
        r = report();
        assertEquals(0, r.status(), r::toString);
        verdict = verdict();
        String why = "; too few test queries (19, fewer than 20) for a bootstrap over them)";
        assertTrue(verdict.contains(seedsInterval(aligned, real) + why), verdict);
        assertTrue(verdict.contains("against its one (untrained) value over 3 repeats on this"
                + " test set" + why), verdict);
        assertFalse(verdict.contains("data-interval=\"bootstrap\""), verdict);

        zero = ranks(1, 1, 3, 20);
        real = ranks(2, 3, 3, 20);
        synthetic = ranks(3, 3, 7, 20);
        aligned = ranks(4, 3, 7, 20);
        new RunDirFixture().write(dir);
        writeEvaluation(zero, real, synthetic, aligned);
        r = report();
        assertEquals(0, r.status(), r::toString);
        verdict = verdict();
        assertTrue(verdict.contains(interval(aligned, real, "a paired t over 3 repeats")),
                verdict);
        assertEquals(3, verdict.split("data-interval=\"bootstrap\"", -1).length - 1, verdict);
        assertFalse(verdict.contains("too few"), verdict);
    }

    /** An evaluation.json written before the ranks were kept: the seeds-only interval, as before. */
    @Test
    void anEvaluationWithoutTestRanksKeepsTheSeedsOnlyInterval() throws IOException {
        new RunDirFixture().write(dir);
        writeEvaluation(ranks(1, 1, 3), ranks(2, 3, 3), ranks(3, 3, 7), ranks(4, 3, 7));
        edit(doc -> doc.get("variants").forEach(v -> ((ObjectNode) v).remove("testRanks")));
        Cli.Run r = report();
        assertEquals(0, r.status(), r::toString);
        String verdict = verdict();
        assertTrue(verdict.contains("paired over 3 repeats on this test set"), verdict);
        assertFalse(verdict.contains("data-interval=\"bootstrap\""), verdict);
    }

    private void edit(Consumer<ObjectNode> edit) throws IOException {
        Path evaluation = dir.resolve(RunFiles.EVALUATION);
        ObjectNode doc = (ObjectNode) JSON.readTree(evaluation.toFile());
        edit.accept(doc);
        JSON.writeValue(evaluation.toFile(), doc);
    }

    private static ArrayNode repeat(ObjectNode doc, String variant, int repeat) {
        return (ArrayNode) doc.get("variants").get(variant).get("testRanks").get(repeat);
    }

    /**
     * A rank equal to the search depth (100) or to a smaller corpus's size is a valid rank; one
     * past it is exit 2 with one line.
     */
    @Test
    void aRankAtTheDepthIsAcceptedAndOnePastItRefused() throws IOException {
        // Query 11 is at rank 87 in every array (reciprocal rank 0, as at 100 or 101).
        record Case(int rank, int corpusPassages, String expected) {
        }
        List<Case> cases = List.of(new Case(100, 1000, null), new Case(87, 87, null),
                new Case(101, 1000, "variant 'zero_shot' testRanks[0][11] is 101; ranks are integers"
                        + " 0 to 100 (0: no relevant passage in the top 100)"),
                new Case(87, 86, "variant 'zero_shot' testRanks[0][11] is 87; ranks are integers"
                        + " 0 to 86 (0: no relevant passage in the top 86)"));
        Path out = dir.resolve(RunFiles.REPORT);
        for (Case c : cases) {
            new RunDirFixture().write(dir);
            writeEvaluation(ranks(1, 1, 3), ranks(2, 3, 3), ranks(3, 3, 7), ranks(4, 3, 7));
            edit(doc -> {
                doc.put("corpusPassages", c.corpusPassages());
                doc.get("variants").forEach(v -> v.get("testRanks").forEach(
                        repeat -> ((ArrayNode) repeat).set(11, new IntNode(c.rank()))));
            });
            Files.writeString(out, "old report");
            Cli.Run r = report();
            if (c.expected() == null) {
                assertEquals(0, r.status(), c + ": " + r);
                assertTrue(verdict().contains("data-interval=\"bootstrap\""), c::toString);
            } else {
                assertEquals(2, r.status(), c + ": " + r);
                assertEquals(1, r.errLines().size(), r::toString);
                assertTrue(r.err().contains(RunFiles.EVALUATION + ": " + c.expected()),
                        r::toString);
                assertEquals("old report", Files.readString(out));
            }
        }
    }

    /** Test ranks that do not fit their document: exit 2, one line, the old report kept. */
    @Test
    void unusableTestRanksAreExit2NamingTheVariantAndValue() throws IOException {
        record Case(String expected, Consumer<ObjectNode> edit) {
        }
        List<Case> cases = List.of(
                new Case("variant 'real' testRanks[1] has 36 entries for 37 testQueries",
                        doc -> repeat(doc, "real", 1).remove(36)),
                new Case("variant 'real' testRanks[0][3] is \"x\"; ranks are integers 0 to 100",
                        doc -> repeat(doc, "real", 0).set(3, new TextNode("x"))),
                new Case("variant 'real' testRanks[2][0] is -1",
                        doc -> repeat(doc, "real", 2).set(0, new IntNode(-1))),
                new Case("variant 'zero_shot' testRanks[0][11] is 87; ranks are integers 0 to"
                        + " 50 (0: no relevant passage in the top 50)",
                        doc -> doc.put("corpusPassages", 50)),
                new Case("variant 'real+synthetic' testRanks is missing",
                        doc -> ((ObjectNode) doc.get("variants").get("real+synthetic"))
                                .remove("testRanks")),
                // Another variant's ranks beside this variant's scores.
                new Case("variant 'real' repeat 0: testRanks give MRR@10",
                        doc -> ((ObjectNode) doc.get("variants").get("real")).set("testRanks",
                                doc.get("variants").get("real+aligned").get("testRanks"))),
                new Case("variant 'real' has 3 testRanks arrays for 2 values.mrr@10",
                        doc -> ((ArrayNode) doc.get("variants").get("real").get("values")
                                .get("mrr@10")).remove(2)));
        Path out = dir.resolve(RunFiles.REPORT);
        for (Case c : cases) {
            new RunDirFixture().write(dir);
            writeEvaluation(ranks(1, 1, 3), ranks(2, 3, 3), ranks(3, 3, 7), ranks(4, 3, 7));
            edit(c.edit());
            Files.writeString(out, "old report");
            Cli.Run r = report();
            assertEquals(2, r.status(), r::toString);
            assertEquals(1, r.errLines().size(), r::toString);
            assertTrue(r.err().contains(RunFiles.EVALUATION + ": " + c.expected()), r::toString);
            assertEquals("old report", Files.readString(out));
        }
    }
}
