package io.synalign.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a {@link KernelBackend} at run time, in the manner of Lucene's
 * {@code VectorizationProvider}: {@code auto} takes the available provider with the highest
 * priority and logs, at INFO, why each better one was skipped; an explicit name either works or
 * fails with the reason.
 */
public final class KernelBackends {

    private static final Logger LOG = LoggerFactory.getLogger(KernelBackends.class);

    /** The name that selects the best available backend. */
    public static final String AUTO = "auto";

    private KernelBackends() {
    }

    /** All providers on the class path, highest priority first. */
    public static List<KernelBackendProvider> providers() {
        List<KernelBackendProvider> list = new ArrayList<>();
        Iterator<KernelBackendProvider> it = ServiceLoader.load(KernelBackendProvider.class,
                KernelBackends.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                list.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                // A provider whose class or dependencies are missing must not hide the others.
                LOG.info("skipping a kernel backend provider that failed to load: {}", e.toString());
            }
        }
        list.sort(Comparator.comparingInt(KernelBackendProvider::priority).reversed());
        return list;
    }

    /** Names of all known providers, for help texts and error messages. */
    public static List<String> names() {
        return providers().stream().map(KernelBackendProvider::name).collect(Collectors.toList());
    }

    /**
     * Creates the backend called {@code name}, or the best available one for {@code auto}.
     *
     * @throws BackendUnavailableException when the name is unknown or the backend cannot run
     */
    public static KernelBackend create(String name) {
        return create(name, providers());
    }

    /**
     * {@link #create(String)} over the given providers, best first. Under {@code auto}, a
     * provider that reports itself available but then fails to start (a GPU whose run-time
     * compiler or memory fails only at set-up) is skipped like an unavailable one, with the
     * reason logged as a warning, so {@code auto} still ends on a backend that runs.
     */
    static KernelBackend create(String name, List<KernelBackendProvider> providers) {
        String wanted = name == null ? AUTO : name.trim().toLowerCase(Locale.ROOT);
        if (AUTO.equals(wanted)) {
            List<String> skipped = new ArrayList<>();
            for (KernelBackendProvider p : providers) {
                Optional<String> reason = p.unavailableReason();
                if (reason.isEmpty()) {
                    KernelBackend backend;
                    try {
                        backend = p.create();
                    } catch (RuntimeException | LinkageError e) {
                        String why = p.name() + " failed to start: " + e;
                        skipped.add(why);
                        LOG.warn("backend auto: skipping '{}': it failed to start: {}", p.name(), e.toString());
                        continue;
                    }
                    if (!skipped.isEmpty()) {
                        LOG.info("backend auto: using '{}' ({})", p.name(), String.join("; ", skipped));
                    } else {
                        LOG.debug("backend auto: using '{}'", p.name());
                    }
                    return backend;
                }
                skipped.add(p.name() + " unavailable: " + reason.get());
                LOG.info("backend auto: skipping '{}': {}", p.name(), reason.get());
            }
            throw new BackendUnavailableException("no kernel backend can run here ("
                    + String.join("; ", skipped) + ")");
        }
        for (KernelBackendProvider p : providers) {
            if (p.name().equals(wanted)) {
                Optional<String> reason = p.unavailableReason();
                if (reason.isPresent()) {
                    throw new BackendUnavailableException("backend '" + wanted
                            + "' is unavailable: " + reason.get());
                }
                return p.create();
            }
        }
        throw new BackendUnavailableException(unknown(name));
    }

    /**
     * Refuses a name that is neither {@code auto} nor a provider of this build, with the
     * message {@link #create} gives, without creating anything: for a caller that checks its
     * options before the work (a Spark job whose executors would each fail on the name).
     *
     * @throws IllegalArgumentException naming the backend and the known ones
     */
    public static void requireKnown(String name) {
        String wanted = name == null ? AUTO : name.trim().toLowerCase(Locale.ROOT);
        if (!AUTO.equals(wanted) && !names().contains(wanted)) {
            throw new IllegalArgumentException(unknown(name));
        }
    }

    private static String unknown(String name) {
        return "unknown backend '" + name + "' (known: auto, " + String.join(", ", names()) + ")";
    }
}
