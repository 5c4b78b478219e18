package io.synalign.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A pipe of this process named as {@code /dev/stdout} names one: {@code /proc/self/fd/N}, a link
 * to "pipe:[INODE]", which exists nowhere as a file. Linux only.
 */
public final class PipeFds {

    private PipeFds() {
    }

    /**
     * The entries of /proc/self/fd now, each as "N -> TARGET": by number alone, a pipe opened
     * later may reuse the number of the descriptor this listing itself used.
     */
    public static Set<String> openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(PipeFds::entry).collect(Collectors.toSet());
        }
    }

    private static String entry(Path fd) {
        try {
            return fd.getFileName() + " -> " + Files.readSymbolicLink(fd);
        } catch (IOException e) {
            return fd.getFileName() + " -> ?";
        }
    }

    /**
     * The /proc/self/fd entry of the write end of a pipe opened after {@code before} was
     * listed: of the new entries that link to a "pipe:[...]", the higher-numbered (opening
     * either end through /proc writes into the same pipe).
     */
    public static Path pipeWriteEnd(Set<String> before) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            List<Path> fresh = fds.filter(p -> !before.contains(entry(p)))
                    .filter(p -> entry(p).contains(" -> pipe:"))
                    .sorted((a, b) -> Integer.compare(Integer.parseInt(a.getFileName().toString()),
                            Integer.parseInt(b.getFileName().toString())))
                    .toList();
            return fresh.get(fresh.size() - 1);
        }
    }
}
