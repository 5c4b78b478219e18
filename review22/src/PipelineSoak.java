import io.synalign.engine.ProgressListener;
import io.synalign.models.ModelSpec;
import io.synalign.models.OnnxSentenceEncoder;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextAlignment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Review 22: the pipeline API (TextAlignment) as a training job would call it.
 *  loadPerCall N : N calls, each loading and closing the encoder (the README's snippet).
 *  shared N      : N calls on one encoder kept open.
 *  concurrent    : two threads aligning different data at once on one encoder, vs alone;
 *                  and what each call's Result.embedded().cache() says.
 */
public final class PipelineSoak {

    static final String[] WORDS = {"movie", "great", "terrible", "plot", "actor", "boring",
        "scene", "music", "loved", "hated", "story", "ending", "fun", "slow", "funny"};

    static TextAlignment.Texts texts(int n, long seed, int labels, int longEvery) {
        Random r = new Random(seed);
        List<String> t = new ArrayList<>();
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            int words = longEvery > 0 && i % longEvery == 0 ? 300 : 5 + r.nextInt(10);
            for (int w = 0; w < words; w++) {
                b.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
            }
            t.add(b.toString().trim());
            l.add("l" + (i % labels));
        }
        return new TextAlignment.Texts(t, l);
    }

    public static void main(String[] args) throws Exception {
        TextAlignment alignment = new TextAlignment(TextAlignment.Options.defaults());
        TextAlignment.Texts real = texts(40, 1, 2, 0);
        TextAlignment.Texts syn = texts(160, 2, 2, 0);
        switch (args[0]) {
            case "loadPerCall", "shared" -> {
                int n = Integer.parseInt(args[1]);
                System.out.println("start:     " + EngineSoak.state());
                SentenceEncoder shared = args[0].equals("shared") ? OnnxSentenceEncoder.load(ModelSpec.minilm()) : null;
                long t0 = System.nanoTime();
                for (int i = 1; i <= n; i++) {
                    if (shared != null) {
                        alignment.align(shared, real, syn, ProgressListener.NONE);
                    } else {
                        try (SentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
                            alignment.align(e, real, syn, ProgressListener.NONE);
                        }
                    }
                    if (i == 5 || i == n / 2) {
                        System.out.println("after " + i + ": " + EngineSoak.state());
                    }
                }
                if (shared != null) {
                    shared.close();
                }
                System.out.println("after " + n + ": " + EngineSoak.state());
                System.out.printf(Locale.ROOT, "%.1f s%n", (System.nanoTime() - t0) / 1e9);
                Thread.getAllStackTraces().keySet().stream().map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : ""))
                        .sorted().forEach(x -> System.out.println("  thread " + x));
            }
            case "concurrent" -> {
                TextAlignment.Texts[] r = {texts(40, 11, 2, 4), texts(30, 21, 3, 0)};
                TextAlignment.Texts[] s = {texts(200, 12, 2, 0), texts(150, 22, 3, 0)};
                try (SentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
                    double[][] alone = new double[2][];
                    for (int k = 0; k < 2; k++) {
                        TextAlignment.Result res = alignment.align(e, r[k], s[k], ProgressListener.NONE);
                        alone[k] = res.alignment().weights();
                        System.out.println("alone call " + k + ": " + (r[k].texts().size() + s[k].texts().size())
                                + " texts; result's stats " + res.embedded().cache()
                                + "; note: " + res.embedded().cache().truncationNote());
                    }
                    for (int round = 0; round < 3; round++) {
                        TextAlignment.Result[] together = new TextAlignment.Result[2];
                        Thread[] ts = new Thread[2];
                        for (int k = 0; k < 2; k++) {
                            int kk = k;
                            ts[k] = new Thread(() -> together[kk] = alignment.align(e, r[kk], s[kk], ProgressListener.NONE));
                            ts[k].start();
                        }
                        for (Thread t : ts) {
                            t.join();
                        }
                        for (int k = 0; k < 2; k++) {
                            System.out.println("round " + round + " call " + k + ": identical weights "
                                    + Arrays.equals(alone[k], together[k].alignment().weights())
                                    + "; result's stats " + together[k].embedded().cache());
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
