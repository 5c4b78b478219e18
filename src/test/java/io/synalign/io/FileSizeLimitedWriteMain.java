package io.synalign.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Stages each pair {@code SIZE TARGET} of its arguments (SIZE bytes) in one {@link AtomicOutputs}
 * and commits them, under a file-size limit the parent sets ({@code ulimit -f}): a write past it
 * fails as one on a full disk does ("File too large" where a disk says "No space left on
 * device"; the JVM ignores SIGXFSZ). Prints {@code CLASS|MESSAGE} of the failure, or
 * {@code written}, on standard output.
 */
public final class FileSizeLimitedWriteMain {

    private FileSizeLimitedWriteMain() {
    }

    public static void main(String[] args) {
        try (AtomicOutputs outs = new AtomicOutputs()) {
            for (int i = 0; i + 1 < args.length; i += 2) {
                int size = Integer.parseInt(args[i]);
                outs.stage(Path.of(args[i + 1]), out -> {
                    byte[] chunk = new byte[4096];
                    for (int written = 0; written < size; written += chunk.length) {
                        out.write(chunk, 0, Math.min(chunk.length, size - written));
                    }
                });
            }
            outs.commit();
            System.out.println("written");
        } catch (IOException e) {
            System.out.println(e.getClass().getName() + "|" + e.getMessage());
        }
    }
}
