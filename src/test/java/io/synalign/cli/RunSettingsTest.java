package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Values of a run document's settings: paths relative to the run directory, the rest as text. */
class RunSettingsTest {

    @Test
    void pathsAreRelativeToTheRunDirectoryWhereverTheyLie() {
        Path run = Path.of("/data/runs/r1");
        Path home = Path.of("/home/u");
        assertEquals("real.jsonl", RunSettings.relative(Path.of("/data/runs/r1/real.jsonl"), run, home));
        assertEquals("../../real.jsonl", RunSettings.relative(Path.of("/data/real.jsonl"), run, home));
        assertEquals("../../../etc/x.csv", RunSettings.relative(Path.of("/etc/x.csv"), run, home));
        assertEquals(".", RunSettings.relative(run, run, home));
        assertEquals("../r2/s.jsonl",
                RunSettings.relative(Path.of("/data/runs/r1/../r2/./s.jsonl"), run, home));
        Path cwdRun = Path.of("runs/r1");
        assertEquals("../../in.jsonl", RunSettings.relative(Path.of("in.jsonl"), cwdRun));
    }

    @Test
    void aPathInTheHomeSeenFromOutsideItIsWrittenFromTheHome() {
        Path home = Path.of("/home/u");
        assertEquals("~/.cache/synalign", RunSettings.relative(Path.of("/home/u/.cache/synalign"),
                Path.of("/tmp/run"), home));
        assertEquals("../.cache/synalign", RunSettings.relative(
                Path.of("/home/u/.cache/synalign"), Path.of("/home/u/runs"), home),
                "inside the home: relative as any other");
        assertEquals("../../data/r.jsonl", RunSettings.relative(Path.of("/tmp/data/r.jsonl"),
                Path.of("/tmp/x/run"), home));
    }

    @Test
    void valuesAreJsonFriendly() {
        Path run = Path.of("/r");
        assertEquals(3, RunSettings.value(3, run));
        assertEquals(true, RunSettings.value(true, run));
        assertEquals(null, RunSettings.value(null, run));
        assertEquals("a/b.npy", RunSettings.value(Path.of("/r/a/b.npy"), run));
        assertEquals("global", RunSettings.value(io.synalign.engine.labelled.LabelMode.GLOBAL, run));
        assertEquals("2GiB", RunSettings.value(ByteSize.parse("2GiB"), run));
        assertEquals(List.of("x.jsonl"), RunSettings.value(List.of(Path.of("/r/x.jsonl")), run));
    }
}
