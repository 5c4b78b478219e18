package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.pipeline.RunFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders a full report in headless Chromium (Debian package {@code chromium}, which
 * {@code .ci/run} installs): the screenshot must not be blank, and the DOM Chromium built must
 * hold the expected elements. Skipped, with the reason printed, only where no Chromium binary
 * exists.
 */
class ReportChromiumTest {

    private static final List<String> CANDIDATES = List.of("/usr/bin/chromium",
            "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
    private static final long TIMEOUT_SECONDS = 120;

    private static String chromium;

    @TempDir
    Path dir;

    @BeforeAll
    static void findChromium() {
        String env = System.getenv("SYNALIGN_CHROMIUM");
        for (String c : env == null ? CANDIDATES : List.of(env)) {
            if (Files.isExecutable(Path.of(c))) {
                chromium = c;
                return;
            }
        }
        String reason = "headless Chromium test skipped: no Chromium binary at " + CANDIDATES
                + " (install the Debian package 'chromium'; .ci/run does)";
        System.out.println(reason);
        Assumptions.assumeTrue(false, reason);
    }

    /** Runs Chromium with the issue's flags plus {@code extra}; returns its stdout. */
    private String chromium(Path profile, String... extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        cmd.addAll(List.of(extra));
        Path stdout = dir.resolve("chromium-" + System.nanoTime() + ".out");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("Chromium did not finish in " + TIMEOUT_SECONDS + " s: "
                    + cmd);
        }
        assertEquals(0, p.exitValue(), "Chromium exit status for " + cmd);
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    @Test
    void reportRendersAndHasTheExpectedElements() throws Exception {
        Path run = Files.createDirectory(dir.resolve("run"));
        new RunDirFixture().write(run);
        Cli.Run r = Cli.run(cl -> { }, "report", "--run", run.toString());
        assertEquals(0, r.status(), r::toString);
        String url = run.resolve(RunFiles.REPORT).toUri().toString();

        Path png = dir.resolve("shot.png");
        chromium(Files.createDirectory(dir.resolve("profile1")), "--screenshot=" + png,
                "--window-size=1200,6000", "--hide-scrollbars", url);
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null, "screenshot is a PNG");
        assertEquals(1200, image.getWidth());
        Set<Integer> colours = new HashSet<>();
        long nonWhite = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                nonWhite += rgb == 0xffffff ? 0 : 1;
            }
        }
        long sampled = (long) (image.getWidth() / 2) * (image.getHeight() / 2);
        // Text, bars, histograms and scatter points: many colours and plenty of ink.
        assertTrue(colours.size() >= 20, "distinct colours: " + colours.size());
        assertTrue(nonWhite > sampled / 50, "non-white pixels: " + nonWhite + " of " + sampled);
        // The chart colours themselves are on screen (histogram bars #4a7fb5, weighted
        // MMD bars #2e9d5b).
        assertTrue(colours.contains(0x4a7fb5), "histogram bar colour rendered");
        assertTrue(colours.contains(0x2e9d5b), "MMD bar colour rendered");
        // The PCA legend's label colours (#4e79a7, #f28e2b, #e15759: one per label).
        for (int c : new int[] {0x4e79a7, 0xf28e2b, 0xe15759}) {
            assertTrue(colours.contains(c), Integer.toHexString(c) + " label colour rendered");
        }

        String dom = chromium(Files.createDirectory(dir.resolve("profile2")), "--dump-dom", url);
        for (String id : List.of("weights-histogram", "mmd-chart", "mmd-table", "pca-plot",
                "pca-uniform", "pca-weighted", "evaluation-table", "generation-table",
                "settings", "settings-table", "verdict", "examples", "pca-legend")) {
            assertTrue(dom.contains("id=\"" + id + "\""), "DOM has #" + id);
        }
        // The escaped label is text in the DOM, not a script element.
        assertTrue(!dom.contains("<script>alert"), "label not parsed as markup");
        assertTrue(dom.contains(RunDirFixture.NASTY_ESCAPED.replace("&#39;", "'")
                .replace("&quot;", "\"")), "label shown as text");
        assertEquals(3, dom.split("<figure class=\"histogram\"", -1).length - 1);
        // The verdict is the first section, and texts per label are shown.
        assertTrue(dom.indexOf("id=\"verdict\"") < dom.indexOf("id=\"weights\""), "verdict first");
        assertTrue(dom.contains("beat <b>real</b>"), "verdict rendered");
        assertTrue(dom.contains("real text 2 of gamma"), "real texts rendered");
    }
}
