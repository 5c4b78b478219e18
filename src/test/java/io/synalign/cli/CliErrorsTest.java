package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.InputException;
import io.synalign.kernels.BackendUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CliErrorsTest {

    private static String[] report(Throwable t, boolean verbose, int expectedStatus) {
        StringWriter s = new StringWriter();
        assertEquals(expectedStatus, CliErrors.report(t, new PrintWriter(s), verbose));
        return s.toString().split("\n");
    }

    @Test
    void badInputExitsTwoWithItsMessage() {
        String[] lines = report(new InputException(Path.of("R.npy"), "array has NaN at row 3, column 7"),
                false, 2);
        assertEquals(1, lines.length);
        assertEquals("synalign: error: R.npy: array has NaN at row 3, column 7", lines[0]);
        assertEquals("synalign: error: bandwidth must be > 0, got -1",
                report(new IllegalArgumentException("bandwidth must be > 0, got -1"), false, 2)[0]);
        assertEquals("synalign: error: backend 'nd4j' is unavailable: no natives",
                report(new BackendUnavailableException("backend 'nd4j' is unavailable: no natives"),
                        false, 2)[0]);
    }

    @Test
    void otherFailuresExitOneOnOneLine() {
        String[] lines = report(new UnsupportedOperationException("not\nimplemented yet"), false, 1);
        assertEquals(1, lines.length);
        assertEquals("synalign: error: unexpected UnsupportedOperationException: not implemented yet"
                + " (run with --verbose for the stack trace)", lines[0]);
        assertEquals("synalign: error: I/O error: No space left on device",
                report(new IOException("No space left on device"), false, 1)[0]);
        assertEquals("synalign: error: out/w.npy: permission denied",
                report(new AccessDeniedException("out/w.npy"), false, 1)[0]);
        assertTrue(report(new OutOfMemoryError("Java heap space"), false, 1)[0]
                .contains("SYNALIGN_JAVA_OPTS"));
        assertEquals("synalign: error: unexpected NullPointerException (run with --verbose for"
                + " the stack trace)", report(new NullPointerException(), false, 1)[0]);
    }

    /** What an I/O failure was for comes before the file system's words, not instead of it. */
    @Test
    void anUncheckedIoFailureKeepsWhatItWasDoing() {
        IOException full = new IOException("No space left on device");
        assertEquals("synalign: error: cannot write journal runs/j/journal.jsonl; the journal is closed,"
                + " completed calls so far are safe (No space left on device)",
                report(new java.io.UncheckedIOException("cannot write journal runs/j/journal.jsonl; the journal"
                        + " is closed, completed calls so far are safe", full), false, 1)[0]);
        assertEquals("synalign: error: I/O error: No space left on device",
                report(new java.io.UncheckedIOException(full), false, 1)[0]);
        assertEquals("synalign: error: cannot read c/x.emb (c/x.emb: permission denied)",
                report(new java.io.UncheckedIOException("cannot read c/x.emb",
                        new java.nio.file.AccessDeniedException("c/x.emb")), false, 1)[0]);
        assertEquals("synalign: error: --summary s.json: No space left on device",
                report(new java.io.UncheckedIOException("--summary s.json: No space left on device", full),
                        false, 1)[0]);
    }

    /** The encoder cannot run on this machine: what to change, exit 1, and no "unexpected". */
    @Test
    void anEncoderThatCannotRunHereIsExplainedWithoutUnexpected() {
        String[] lines = report(new io.synalign.models.EncoderUnavailableException("cannot load a sentence"
                + " encoder: ONNX Runtime's native library did not load (no onnxruntime\nin java.library.path);"
                + " it is copied out of the jar into /tmp (java.io.tmpdir)", new UnsatisfiedLinkError("x")),
                false, 1);
        assertEquals(1, lines.length);
        assertEquals("synalign: error: cannot load a sentence encoder: ONNX Runtime's native library did not"
                + " load (no onnxruntime in java.library.path); it is copied out of the jar into /tmp"
                + " (java.io.tmpdir)", lines[0]);
    }

    @Test
    void refusedNativeMemoryNamesTheCapAndTheLaunchersOptionsOnOneLine() {
        String[] lines = report(new io.synalign.kernels.NativeMemoryException("the optimiser's"
                + " working set could not be allocated off-heap: over maxBytes; raise JavaCPP's"
                + " cap with -Dorg.bytedeco.javacpp.maxbytes=SIZE", new OutOfMemoryError("x")),
                false, 1);
        assertEquals(1, lines.length);
        assertTrue(lines[0].startsWith("synalign: error: the optimiser's working set"), lines[0]);
        assertTrue(lines[0].contains("-Dorg.bytedeco.javacpp.maxbytes=SIZE")
                && lines[0].endsWith("give it in SYNALIGN_JAVA_OPTS, which replaces the launcher's defaults, so"
                        + " repeat them: -XX:MaxRAMPercentage=33 -XX:+UseCompressedOops"),
                lines[0]);
    }

    @Test
    void verboseAddsTheStackTrace() {
        String[] lines = report(new IllegalStateException("bug"), true, 1);
        assertEquals("synalign: error: unexpected IllegalStateException: bug", lines[0]);
        assertTrue(lines.length > 2);
        assertTrue(lines[2].contains("at io.synalign.cli.CliErrorsTest"), lines[2]);
        assertFalse(report(new IllegalStateException("bug"), false, 1).length > 1);
    }

    @Test
    void anEngineRemedyIsPhrasedInTheCommandLinesOptions() {
        java.util.Random random = new java.util.Random(1);
        io.synalign.kernels.FloatMatrix real = io.synalign.kernels.FloatMatrix.zeros(10, 3);
        io.synalign.kernels.FloatMatrix synthetic = io.synalign.kernels.FloatMatrix.zeros(24, 3);
        for (float[] d : new float[][] {real.data(), synthetic.data()}) {
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) random.nextGaussian();
            }
        }
        try (io.synalign.kernels.KernelBackend backend =
                io.synalign.kernels.KernelBackends.create("reference")) {
            io.synalign.engine.alignment.MmdWeightLearner learner =
                    new io.synalign.engine.alignment.MmdWeightLearner(backend,
                            io.synalign.engine.alignment.AlignmentConfig.defaults()
                                    .withMethod(io.synalign.engine.alignment.AlignmentMethod.EXACT)
                                    .withMemoryBudget(1000));
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.synalign.engine.alignment.MemoryBudgetException.class,
                    () -> learner.fit(real, synthetic, null));
            assertFalse(e.getMessage().contains("--"), "the library names no flag: "
                    + e.getMessage());
            String[] lines = report(e, false, 2);
            assertEquals(1, lines.length);
            assertTrue(lines[0].startsWith("synalign: error: method exact keeps the 24 x 24"),
                    lines[0]);
            assertTrue(lines[0].endsWith("; raise --memory-budget or use --method tiled or rff"),
                    lines[0]);
        }
    }
}
