package io.synalign.cli;

import java.util.List;

/**
 * A child JVM's entry point for {@link ClosedLoopRunTest}'s kill -9 test: {@code synalign} with
 * the test's hash encoder and stepped learner, the API key read from the environment.
 */
public final class ClosedLoopChild {

    private ClosedLoopChild() {
    }

    public static void main(String[] args) {
        Cli.Run r = ClosedLoopRunTest.run(System.getenv(), List.of(args));
        System.out.println(r);
        System.exit(r.status());
    }
}
