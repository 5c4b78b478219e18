package io.synalign.models.llm;

import java.nio.file.Path;

/** Child-JVM probe for the journal lock: prints OPENED or REFUSED for the directory in args[0]. */
public final class JournalLockProbeMain {

    private JournalLockProbeMain() {
    }

    public static void main(String[] args) {
        try (CallJournal j = CallJournal.open(Path.of(args[0]))) {
            System.out.println("OPENED");
        } catch (IllegalStateException e) {
            System.out.println("REFUSED " + e.getMessage());
        }
    }
}
