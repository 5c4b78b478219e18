package io.synalign.io;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link AtomicOutputsTest}: stages an output, reports that it is half
 * written, then waits to be terminated (or exits at once with {@code exit}).
 */
public final class InterruptedWriteMain {

    private InterruptedWriteMain() {
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        boolean exit = args.length > 1 && args[1].equals("exit");
        AtomicOutputs.writeAtomically(target, out -> {
            out.write(new byte[100_000]);
            out.flush();
            System.out.println("half written");
            System.out.flush();
            if (exit) {
                System.exit(3);
            }
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
