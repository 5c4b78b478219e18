package io.synalign.cli;

import io.synalign.kernels.KernelBackends;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code synalign --version}: the build version, the JVM, and the kernel backends found. */
final class VersionProvider implements IVersionProvider {

    private static final String RESOURCE = "/io/synalign/cli/version.properties";

    @Override
    public String[] getVersion() {
        return new String[] {
            "synalign " + version(),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor")
                    + "), " + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            "kernel backends: " + String.join(", ", KernelBackends.names())
        };
    }

    /** The Maven project version, filtered into a resource at build time. */
    static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
