package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** A failed write to standard output ends the command with status 1 and says so. */
class StandardOutputFailureTest {

    /** An output stream whose every write fails with {@code message}. */
    private static OutputStream failing(String message) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException(message);
            }
        };
    }

    private static String run(StandardOutputFailure recorder, int status, int[] exit) {
        StringWriter err = new StringWriter();
        exit[0] = recorder.afterRun(status, new PrintWriter(new StringWriter()), new PrintWriter(err));
        return err.toString().strip();
    }

    @Test
    void theFirstFailureIsKeptThroughAPrintStreamThatSwallowsIt() {
        StandardOutputFailure recorder = new StandardOutputFailure(failing("No space left on device"));
        PrintStream out = new PrintStream(recorder, true, StandardCharsets.UTF_8);
        out.println("mmd2 0.0012");
        assertEquals(true, out.checkError());
        assertEquals("No space left on device", recorder.failure().getMessage());
        int[] exit = new int[1];
        assertEquals("synalign: error: standard output: writing failed (No space left on device); what the"
                + " command printed there is incomplete", run(recorder, ExitCodes.OK, exit));
        assertEquals(ExitCodes.FAILURE, exit[0]);
    }

    @Test
    void aReaderThatWentAwayIsSaidSoAndAFailedCommandKeepsItsOwnStatus() throws IOException {
        StandardOutputFailure recorder = new StandardOutputFailure(failing("Broken pipe"));
        IOException thrown = assertThrows(IOException.class, () -> recorder.write(new byte[3], 0, 3));
        assertSame(thrown, recorder.failure());
        int[] exit = new int[1];
        assertEquals("", run(recorder, ExitCodes.BAD_INPUT, exit));
        assertEquals(ExitCodes.BAD_INPUT, exit[0]);
        assertEquals("synalign: error: standard output: its reader went away before all was written"
                + " (broken pipe); what the command printed there is incomplete", run(recorder, ExitCodes.OK, exit));
        assertEquals(ExitCodes.FAILURE, exit[0]);
    }

    @Test
    void writesThatSucceedChangeNothing() {
        StringWriter sink = new StringWriter();
        StandardOutputFailure recorder = new StandardOutputFailure(OutputStream.nullOutputStream());
        new PrintStream(recorder, true, StandardCharsets.UTF_8).println("fine");
        assertNull(recorder.failure());
        int[] exit = new int[1];
        assertEquals("", run(recorder, ExitCodes.OK, exit));
        assertEquals(ExitCodes.OK, exit[0]);
        assertEquals("", sink.toString());
    }

    /** The whole command line: {@code synalign --version > /dev/full} exited 0 having printed nothing. */
    @Test
    void aCommandWhoseOutputCannotBeWrittenExitsOne() throws Exception {
        Path full = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.exists(full) && Files.isWritable(full));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SynAlignCommand.class.getName(), "--version")
                .redirectOutput(full.toFile()).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(true, p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(ExitCodes.FAILURE, p.exitValue(), err);
        assertEquals("synalign: error: standard output: writing failed (No space left on device); what the"
                + " command printed there is incomplete", err);
    }
}
