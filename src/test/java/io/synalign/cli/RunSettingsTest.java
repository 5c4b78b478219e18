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
        assertEquals("real.jsonl", RunSettings.relative(Path.of("/data/runs/r1/real.jsonl"), run));
        assertEquals("../../real.jsonl", RunSettings.relative(Path.of("/data/real.jsonl"), run));
        assertEquals("../../../etc/x.csv", RunSettings.relative(Path.of("/etc/x.csv"), run));
        assertEquals(".", RunSettings.relative(run, run));
        assertEquals("../r2/s.jsonl",
                RunSettings.relative(Path.of("/data/runs/r1/../r2/./s.jsonl"), run));
        Path cwdRun = Path.of("runs/r1");
        assertEquals("../../in.jsonl", RunSettings.relative(Path.of("in.jsonl"), cwdRun));
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
