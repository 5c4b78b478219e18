package io.synalign.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads the bundled encoder, encodes a batch, then prints the intra-op thread count the encoder
 * chose ("intraOpThreads N") and, for every thread of this process, its id, name and
 * {@code Cpus_allowed_list} ("thread ID NAME CPUS"): for {@link IntraOpThreadsTest}'s run under
 * {@code taskset}. Linux only.
 */
public final class EncodeThreadsMain {

    private EncodeThreadsMain() {
    }

    public static void main(String[] args) throws IOException {
        System.out.println("intraOpThreads "
                + OnnxSentenceEncoder.intraOpThreads(0, OnnxSentenceEncoder.CpuTopology.current()));
        try (OnnxSentenceEncoder encoder = OnnxSentenceEncoder.load("minilm")) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                texts.add("sentence number " + i + " of a batch long enough to use every worker");
            }
            encoder.encode(texts);
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    String cpus = "?";
                    try {
                        for (String line : Files.readAllLines(task.resolve("status"))) {
                            if (line.startsWith("Cpus_allowed_list:")) {
                                cpus = line.substring(line.indexOf(':') + 1).trim();
                            }
                        }
                        String name = Files.readString(task.resolve("comm")).trim().replace(' ', '_');
                        System.out.println("thread " + task.getFileName() + " " + name + " " + cpus);
                    } catch (IOException e) {
                        // the thread ended since the listing
                    }
                }
            }
        }
    }
}
