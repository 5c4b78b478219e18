package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The test tree's stand-ins for S3A's and the AWS SDK's exceptions (classes under their real
 * names: the job knows them by name only, neither library is a dependency) are the only copies
 * of those names on the test class path. Were hadoop-aws or the SDK ever to come onto it (a
 * new dependency of Spark's, a cloud connector), the stand-ins would shadow or clash with the
 * real classes and the failure-kind tests would test the stand-ins' shape, not the real one:
 * this fails then, naming both copies, so that the stand-ins are removed for the real classes.
 * They never reach the job jar: the shade plugin packs the main classes and the runtime
 * dependencies only. O(stand-ins).
 */
class TestStandInsTest {

    @Test
    void eachStandInIsTheOnlyClassOfItsNameOnTheClassPath() throws IOException,
            URISyntaxException {
        Path root = Path.of(TestStandInsTest.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        List<String> standIns;
        try (Stream<Path> files = Files.walk(root)) {
            standIns = files.filter(f -> f.toString().endsWith(".class"))
                    .map(f -> root.relativize(f).toString().replace('\\', '/'))
                    .filter(f -> !f.startsWith("io/synalign/")).sorted().toList();
        }
        assertFalse(standIns.isEmpty(), "no stand-in found under " + root);
        for (String resource : standIns) {
            List<URL> copies = Collections.list(
                    TestStandInsTest.class.getClassLoader().getResources(resource));
            assertEquals(1, copies.size(), resource + " is on the class path more than once"
                    + " (a real library came in: drop the stand-in): " + copies);
        }
    }
}
