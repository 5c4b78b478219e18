package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backend selection over fake providers that misbehave the way a third-party backend can: a
 * provider class that fails to load, an availability check that throws, a backend that fails to
 * start. The kernels-cuda module has a {@code KernelBackendsTest} over the real providers; this
 * one needs none of them, so building {@code kernels} alone tests selection.
 */
class KernelBackendsTest {

    /** A provider whose every answer is given; {@code create} makes a reference backend. */
    private static KernelBackendProvider provider(String name, int priority,
            Supplier<Optional<String>> reason, Supplier<KernelBackend> create) {
        return new KernelBackendProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int priority() {
                return priority;
            }

            @Override
            public Optional<String> unavailableReason() {
                return reason.get();
            }

            @Override
            public KernelBackend create() {
                return create.get();
            }
        };
    }

    private static KernelBackendProvider reference() {
        return KernelBackends.providers().stream().filter(p -> p.name().equals("reference"))
                .findFirst().orElseThrow();
    }

    private static final KernelBackendProvider NO_NATIVES = provider("gpu", 300, () -> {
        throw new UnsatisfiedLinkError("no vulkan-1 in java.library.path");
    }, () -> {
        throw new AssertionError("create() of an unavailable provider");
    });

    private static final KernelBackendProvider BROKEN_CHECK = provider("simd", 250, () -> {
        throw new IllegalStateException("probe crashed");
    }, () -> {
        throw new AssertionError("create() of an unavailable provider");
    });

    private static final KernelBackendProvider FAILS_TO_START = provider("fast", 200,
            Optional::empty, () -> {
                throw new IllegalStateException("NVRTC failed: no builtins");
            });

    /** Runs {@code action} and returns what was logged (slf4j-simple writes to System.err). */
    private static String logged(Runnable action) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(stderr);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        stderr.print(logs);
        return logs;
    }

    @Test
    void autoSkipsProvidersWhoseCheckThrowsOrWhichFailToStartAndWarnsWhenItEndsOnReference() {
        String logs = logged(() -> {
            try (KernelBackend backend = KernelBackends.create("auto",
                    List.of(NO_NATIVES, BROKEN_CHECK, FAILS_TO_START, reference()))) {
                assertEquals("reference", backend.name());
            }
        });
        String warning = logs.lines().filter(l -> l.contains("WARN")
                && l.contains("using 'reference'")).findFirst().orElse("");
        assertFalse(warning.isEmpty(), "a WARN saying auto ended on reference: " + logs);
        assertTrue(warning.contains("gpu unavailable") && warning.contains("no vulkan-1"), warning);
        assertTrue(warning.contains("simd unavailable") && warning.contains("probe crashed"),
                warning);
        assertTrue(warning.contains("fast failed to start") && warning.contains("NVRTC"), warning);
    }

    @Test
    void autoEndingOnAFastBackendIsNoWarning() {
        KernelBackendProvider fast = provider("fast", 200, Optional::empty,
                () -> new io.synalign.kernels.reference.ReferenceBackend());
        String logs = logged(() -> {
            try (KernelBackend backend = KernelBackends.create("auto",
                    List.of(NO_NATIVES, fast, reference()))) {
                assertEquals("reference", backend.name()); // made by 'fast'
            }
        });
        assertFalse(logs.contains("WARN"), logs);
        assertTrue(logs.contains("skipping 'gpu'"), logs);
    }

    @Test
    void anAvailabilityCheckThatThrowsMakesANamedBackendUnavailable() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("GPU", List.of(NO_NATIVES, reference())));
        assertEquals("backend 'gpu' is unavailable: its availability check failed:"
                + " UnsatisfiedLinkError: no vulkan-1 in java.library.path", e.getMessage());
        BackendUnavailableException s = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("simd", List.of(BROKEN_CHECK, reference())));
        assertTrue(s.getMessage().contains("probe crashed"), s.getMessage());
    }

    @Test
    void aNamedBackendThatFailsToStartIsUnavailableWithTheCause() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("fast", List.of(FAILS_TO_START, reference())));
        assertEquals("backend 'fast' failed to start: IllegalStateException: NVRTC failed: no"
                + " builtins", e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException, "cause kept for -v");
        // A provider's own BackendUnavailableException already names it: passed on as it is.
        BackendUnavailableException own = new BackendUnavailableException(
                "backend 'own' is unavailable: no device");
        KernelBackendProvider refuses = provider("own", 10, Optional::empty, () -> {
            throw own;
        });
        assertSame(own, assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("own", List.of(refuses))));
    }

    @Test
    void noBackendAtAllNamesEveryReason() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create(null, List.of(NO_NATIVES, FAILS_TO_START)));
        assertTrue(e.getMessage().startsWith("no kernel backend can run here"), e.getMessage());
        assertTrue(e.getMessage().contains("no vulkan-1") && e.getMessage().contains("NVRTC"),
                e.getMessage());
    }

    /**
     * A class loader whose service file lists, besides the real providers, a provider class that
     * does not exist and one whose constructor fails on a missing native library.
     */
    private static URLClassLoader brokenJar(Path dir, String missingClass) throws IOException {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(KernelBackendProvider.class.getName()),
                missingClass + "\n" + NativeLessProvider.class.getName() + "\n");
        return new URLClassLoader(new URL[] {dir.toUri().toURL()},
                KernelBackendsTest.class.getClassLoader());
    }

    /** A provider whose construction needs a native library that is not there. */
    public static final class NativeLessProvider implements KernelBackendProvider {
        public NativeLessProvider() {
            throw new UnsatisfiedLinkError("no vulkan-1 in java.library.path");
        }

        @Override
        public String name() {
            return "vulkan";
        }

        @Override
        public int priority() {
            return 500;
        }

        @Override
        public Optional<String> unavailableReason() {
            return Optional.empty();
        }

        @Override
        public KernelBackend create() {
            throw new AssertionError();
        }
    }

    @Test
    void providersThatFailToLoadAreReportedWhenABackendIsNamedAndLoggedOnce(@TempDir Path dir)
            throws IOException {
        String missing = "com.example.Missing" + Long.toHexString(System.nanoTime()) + "Provider";
        try (URLClassLoader loader = brokenJar(dir, missing)) {
            String logs = logged(() -> {
                KernelBackends.Discovery first = KernelBackends.discover(loader);
                KernelBackends.Discovery second = KernelBackends.discover(loader);
                assertEquals(2, second.loadFailures().size(), second.loadFailures().toString());
                assertEquals(first.loadFailures(), second.loadFailures());
                assertTrue(second.providers().stream().anyMatch(p -> p.name().equals("reference")),
                        "the other providers still load");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> KernelBackends.requireKnown("vulkan", second));
                assertTrue(e.getMessage().startsWith("unknown backend 'vulkan' (known: auto, "),
                        e.getMessage());
                assertTrue(e.getMessage().contains("2 backend providers failed to load")
                        && e.getMessage().contains(missing)
                        && e.getMessage().contains("no vulkan-1 in java.library.path"),
                        e.getMessage());
                BackendUnavailableException b = assertThrows(BackendUnavailableException.class,
                        () -> KernelBackends.create("vulkan", second));
                assertEquals(e.getMessage(), b.getMessage());
                // auto still runs, and says what failed to load
                try (KernelBackend backend = KernelBackends.create("auto", second)) {
                    assertEquals("reference", backend.name());
                }
            });
            assertEquals(1, logs.lines().filter(l -> l.contains("INFO") && l.contains(missing))
                    .count(), "the load failure logged once, as it happened: " + logs);
            assertTrue(logs.lines().anyMatch(l -> l.contains("WARN")
                    && l.contains("using 'reference'") && l.contains(missing)),
                    "auto ending on reference says a provider failed to load: " + logs);
        }
    }

    @Test
    void withoutLoadFailuresTheUnknownNameMessageIsUnchanged() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelBackends.requireKnown("nope"));
        assertEquals("unknown backend 'nope' (known: auto, "
                + String.join(", ", KernelBackends.names()) + ")", e.getMessage());
        KernelBackends.requireKnown(" AUTO ");
        KernelBackends.requireKnown(null);
    }
}
