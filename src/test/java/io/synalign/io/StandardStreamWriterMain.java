package io.synalign.io;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Prints a line, writes {@code args[1]} atomically to the path {@code args[0]} (a name of this
 * process's standard output), then prints another line: what a command with
 * {@code --out /dev/stdout} does under {@code { echo header; synalign ...; echo after; } > f}.
 */
public final class StandardStreamWriterMain {

    private StandardStreamWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("header");
        AtomicOutputs.writeAtomically(Path.of(args[0]),
                out -> out.write(args[1].getBytes(StandardCharsets.UTF_8)));
        System.out.println("after");
        System.out.flush();
    }
}
