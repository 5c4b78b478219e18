package io.synalign.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a {@link KernelBackend} at run time, in the manner of Lucene's
 * {@code VectorizationProvider}: {@code auto} takes the available provider with the highest
 * priority and logs, at INFO, why each better one was skipped (at WARN when it ends on the slow
 * {@code reference} backend, so that a user who did not ask for it sees why); an explicit name
 * either works or fails with a {@link BackendUnavailableException} giving the reason.
 *
 * <p>A provider is never trusted to behave: one whose class fails to load, whose
 * {@link KernelBackendProvider#unavailableReason()} throws, or whose
 * {@link KernelBackendProvider#create()} throws (a third-party backend missing its native
 * library) is skipped under {@code auto} with the reason, and reported when named. Providers of
 * equal {@link KernelBackendProvider#priority() priority} keep the order in which
 * {@link ServiceLoader} finds them, which is class-path order: give a backend its own priority to
 * make {@code auto}'s choice independent of how the class path is assembled.
 */
public final class KernelBackends {

    private static final Logger LOG = LoggerFactory.getLogger(KernelBackends.class);

    /** The name that selects the best available backend. */
    public static final String AUTO = "auto";

    /** The plain-Java float64 backend: correct but slow, so ending on it under auto is a WARN. */
    private static final String REFERENCE = "reference";

    /**
     * Load failures already logged in this JVM: every listing of the providers reruns the
     * {@link ServiceLoader} (the CLI lists them to check {@code --backend}, then again to create
     * one), and one broken jar must not fill the log.
     */
    private static final Set<String> REPORTED_LOAD_FAILURES = ConcurrentHashMap.newKeySet();

    private KernelBackends() {
    }

    /**
     * What the {@link ServiceLoader} found: the providers, highest priority first, and a one-line
     * description of each provider that failed to load (its class, or one it needs, missing or
     * broken), which has no name to be listed under.
     */
    record Discovery(List<KernelBackendProvider> providers, List<String> loadFailures) {
        Discovery {
            providers = List.copyOf(providers);
            loadFailures = List.copyOf(loadFailures);
        }
    }

    /** All providers on the class path, highest priority first. */
    public static List<KernelBackendProvider> providers() {
        return discover(KernelBackends.class.getClassLoader()).providers();
    }

    /** Names of all known providers, for help texts and error messages. */
    public static List<String> names() {
        return names(providers());
    }

    private static List<String> names(List<KernelBackendProvider> providers) {
        return providers.stream().map(KernelBackendProvider::name).collect(Collectors.toList());
    }

    /** The providers {@code loader} offers, each load failure logged once per JVM. */
    static Discovery discover(ClassLoader loader) {
        List<KernelBackendProvider> list = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Iterator<KernelBackendProvider> it = ServiceLoader.load(KernelBackendProvider.class,
                loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                list.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                // A provider whose class or dependencies are missing must not hide the others;
                // the iterator moves on to the next provider after an error.
                String failure = loadFailure(e);
                failures.add(failure);
                if (REPORTED_LOAD_FAILURES.add(failure)) {
                    LOG.info("skipping a kernel backend provider that failed to load: {}", failure);
                }
            }
        }
        // A stable sort: equal priorities keep the ServiceLoader's (class-path) order.
        list.sort(Comparator.comparingInt(KernelBackendProvider::priority).reversed());
        return new Discovery(list, failures);
    }

    /**
     * Creates the backend called {@code name}, or the best available one for {@code auto}.
     *
     * @throws BackendUnavailableException when the name is unknown or the backend cannot run
     *     or fails to start
     */
    public static KernelBackend create(String name) {
        return create(name, discover(KernelBackends.class.getClassLoader()));
    }

    /** {@link #create(String)} over the given providers, best first, none failed to load. */
    static KernelBackend create(String name, List<KernelBackendProvider> providers) {
        return create(name, new Discovery(providers, List.of()));
    }

    /**
     * {@link #create(String)} over what {@code found} holds. Under {@code auto}, a provider that
     * reports itself available but then fails to start (a GPU whose run-time compiler or memory
     * fails only at set-up), or whose availability check itself throws, is skipped like an
     * unavailable one, with the reason logged, so {@code auto} still ends on a backend that runs.
     */
    static KernelBackend create(String name, Discovery found) {
        String wanted = normalised(name);
        if (AUTO.equals(wanted)) {
            return createAuto(found);
        }
        for (KernelBackendProvider p : found.providers()) {
            if (p.name().equals(wanted)) {
                Optional<String> reason = unavailableReason(p);
                if (reason.isPresent()) {
                    throw new BackendUnavailableException("backend '" + wanted
                            + "' is unavailable: " + reason.get());
                }
                try {
                    return p.create();
                } catch (BackendUnavailableException e) {
                    throw e; // already says which backend and why
                } catch (RuntimeException | LinkageError e) {
                    throw new BackendUnavailableException("backend '" + wanted
                            + "' failed to start: " + oneLine(e), e);
                }
            }
        }
        throw new BackendUnavailableException(unknown(name, found));
    }

    private static KernelBackend createAuto(Discovery found) {
        List<String> skipped = new ArrayList<>();
        for (String failure : found.loadFailures()) {
            skipped.add("a provider failed to load: " + failure);
        }
        for (KernelBackendProvider p : found.providers()) {
            Optional<String> reason = unavailableReason(p);
            if (reason.isPresent()) {
                skipped.add(p.name() + " unavailable: " + reason.get());
                LOG.info("backend auto: skipping '{}': {}", p.name(), reason.get());
                continue;
            }
            KernelBackend backend;
            try {
                backend = p.create();
            } catch (RuntimeException | LinkageError e) {
                skipped.add(p.name() + " failed to start: " + oneLine(e));
                LOG.warn("backend auto: skipping '{}': it failed to start: {}", p.name(),
                        oneLine(e));
                continue;
            }
            if (REFERENCE.equals(p.name()) && !skipped.isEmpty()) {
                // The reference backend is plain Java on one thread: orders of magnitude slower
                // than the others. Ending on it is never what auto is for, so say why.
                LOG.warn("backend auto: using '{}', the slow plain-Java backend, because no"
                        + " faster one runs here ({})", p.name(), String.join("; ", skipped));
            } else if (!skipped.isEmpty()) {
                LOG.info("backend auto: using '{}' ({})", p.name(), String.join("; ", skipped));
            } else {
                LOG.debug("backend auto: using '{}'", p.name());
            }
            return backend;
        }
        throw new BackendUnavailableException("no kernel backend can run here ("
                + String.join("; ", skipped) + ")");
    }

    /**
     * The provider's own verdict, or, when asking throws (a third-party provider touching a
     * missing native library outside its own guard), that failure as the reason.
     */
    private static Optional<String> unavailableReason(KernelBackendProvider p) {
        try {
            return p.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("its availability check failed: " + oneLine(e));
        }
    }

    /**
     * Refuses a name that is neither {@code auto} nor a provider of this build, with the
     * message {@link #create} gives, without creating anything: for a caller that checks its
     * options before the work (the command line; a Spark job whose executors would each fail
     * on the name).
     *
     * @throws IllegalArgumentException naming the backend and the known ones
     */
    public static void requireKnown(String name) {
        requireKnown(name, discover(KernelBackends.class.getClassLoader()));
    }

    static void requireKnown(String name, Discovery found) {
        String wanted = normalised(name);
        if (!AUTO.equals(wanted) && !names(found.providers()).contains(wanted)) {
            throw new IllegalArgumentException(unknown(name, found));
        }
    }

    /** A backend name as given (null: auto), trimmed and lower-cased as providers name themselves. */
    private static String normalised(String name) {
        return name == null ? AUTO : name.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * The message for a name no provider has. A provider that failed to load has no name to
     * match, so every load failure is given: the backend asked for may be the broken one.
     */
    private static String unknown(String name, Discovery found) {
        String message = "unknown backend '" + name + "' (known: auto, "
                + String.join(", ", names(found.providers())) + ")";
        if (!found.loadFailures().isEmpty()) {
            message += "; " + found.loadFailures().size() + " backend provider"
                    + (found.loadFailures().size() == 1 ? "" : "s") + " failed to load: "
                    + String.join("; ", found.loadFailures());
        }
        return message;
    }

    /**
     * A load failure on one line: a {@link ServiceConfigurationError}'s own message (which
     * names the provider class) without the service interface it starts with, and its causes.
     */
    private static String loadFailure(Throwable e) {
        String text = oneLine(e);
        String prefix = ServiceConfigurationError.class.getSimpleName() + ": "
                + KernelBackendProvider.class.getName() + ": ";
        return text.startsWith(prefix) ? text.substring(prefix.length()) : text;
    }

    /**
     * {@code Type: message} of {@code t}, with its causes in parentheses (a
     * {@link ServiceConfigurationError} says only which class; its cause says why), on one line,
     * at most 500 characters.
     */
    static String oneLine(Throwable t) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 4; c = c.getCause(), depth++) {
            if (depth > 0) {
                text.append(" (caused by ");
            }
            text.append(c.getClass().getSimpleName());
            if (c.getMessage() != null) {
                text.append(": ").append(c.getMessage());
            }
        }
        text.append(")".repeat(depth - 1));
        String flat = text.toString().replaceAll("\\s+", " ").trim();
        return flat.length() <= 500 ? flat : flat.substring(0, 497) + "...";
    }
}
