package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only log of completed LLM calls, so a run that is killed or crashes resumes without
 * losing or repeating completed work.
 *
 * <p>Layout: {@code <dir>/calls.jsonl}, one {@link JournalEntry} per line (JSON, UTF-8), and
 * {@code <dir>/journal.lock}. {@link #append} writes the whole line and forces it to disk
 * (fsync) before returning, so a call counts as done only once it is durable. The appends go
 * through a {@link FileOutputStream} and {@link java.io.FileDescriptor#sync()} rather than a
 * {@link FileChannel}: a FileChannel is interruptible, and an interrupt (a cancelled batch)
 * arriving during a write would close it for every other thread; the fsync is the same.
 * A process killed mid-write leaves at most one torn last line; {@link #open} ignores it and
 * truncates it away. Earlier lines that do not parse mean the file was damaged otherwise, and
 * open refuses with the line number rather than silently dropping work. A key has one line,
 * except a reply cut off at a recorded token budget and asked again by a run that grants the
 * request more ({@link JournalEntry#supersedes}): its later line takes the earlier one's place,
 * which stays in the file (append-only) and is what an older SynAlign, keeping a key's first
 * line, still reads.
 *
 * <p>{@code <dir>/served-models.json} ({@link #SERVED_FILE}) records, per backend, requested
 * model and server (its base URL in {@link ServerUrl#canonical} form, so that
 * {@code http://LocalHost:80/v1} finds what {@code http://localhost/v1} recorded), the model
 * identity that server last stated ({@link #identityFor}): keys
 * name a llama.cpp server's model by what it serves, which a run can only learn by asking it,
 * and a rerun with the server stopped must still find a finished run's entries. It is written
 * whole, to a temporary file then renamed over the old one, so a crash leaves the old record
 * or the new one; it holds base URLs (which carry no credentials) and identities built from
 * listings whose API key was masked, never a key.
 *
 * <p>One process at a time: open takes an exclusive {@link FileChannel#tryLock} on the lock file
 * (released by the OS if the process dies) and refuses with a message naming the directory if
 * another run holds it. Within the process, the journal is thread-safe.
 *
 * <p>A run that ends without appending anything (refused input found after the journal was
 * opened, a failure before the first call completed) leaves the directory as it found it:
 * close removes the files, and the directory, that this open created.
 *
 * <p>Cost: open reads the file once (O(size)); lookup is a hash-map get; append is one write
 * and one fsync (milliseconds on a disk, negligible next to an LLM call).
 */
public final class CallJournal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CallJournal.class);
    public static final String FILE = "calls.jsonl";
    public static final String LOCK_FILE = "journal.lock";
    /** The identities servers stated, per backend, requested model and server ({@link #identityFor}). */
    public static final String SERVED_FILE = "served-models.json";
    /**
     * The format of {@link #SERVED_FILE} this build writes and the newest it reads, under its
     * key {@code "v"} ({@link io.synalign.models.DocumentFormat}): raise it when a key's meaning
     * changes, so that an older build refuses the file rather than key by a misread identity.
     */
    static final int SERVED_FORMAT = 1;

    /**
     * Journal directories (real paths) open in this JVM. A second open in the same JVM must be
     * refused before it opens the lock file: on Linux, closing any descriptor of a file drops
     * every POSIX lock the process holds on it, so the refused open's cleanup would release the
     * first journal's lock and let another process in.
     */
    private static final Set<Path> OPEN_HERE = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final Path heldKey;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final FileOutputStream out;
    private final Map<String, JournalEntry> entries;
    /** What open created, in the order close removes it if nothing was appended. */
    private final java.util.List<Path> created;
    /** {@link #SERVED_FILE}'s records, in file order, as on disk or about to be. */
    private final Map<Scope, String> served;
    /**
     * What {@link #identityFor} last gave, per backend, model and server, and whether the server
     * stated it or the record stood in: the identity a {@link JournaledChatModel} keys its
     * entries by for its life, which a run's provenance names ({@link #servedIdentityInUse},
     * {@link #recordedIdentityInUse}) without asking the model again, whose answer may be
     * fresher than the one that keyed the entries.
     */
    private final Map<Scope, KeyedBy> keyedBy = new java.util.HashMap<>();

    /** An identity {@link #identityFor} gave, and how it was learnt. */
    private record KeyedBy(String identity, ModelIdentity.Source source, boolean fromRecord) {
    }
    /**
     * The GGUF entries cut off without a recorded budget ({@link JournalEntry#cutOffWithoutBudget})
     * that this run looked up, and whether each was asked again ({@link #noteCutOffWithoutBudget}),
     * told once, at {@link #close}.
     */
    private final Map<String, Boolean> withoutBudget = new ConcurrentHashMap<>();
    /** {@link #entries}' size when the journal was opened: what a resumed run could replay. */
    private final int heldAtOpen;
    /**
     * Requests a {@link JournaledChatModel} answered from this journal, and those it sent to its
     * model ({@link #noteReplayed}, {@link #noteSent}): a run says both, so that a journal that a
     * change of prompts or model bypassed is not bypassed in silence.
     */
    private final java.util.concurrent.atomic.AtomicLong replayed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    /** {@link #served} holds a record not yet written (it is, before the next append). */
    private boolean servedPending;
    private boolean appended;
    private boolean broken;
    private boolean closed;

    private CallJournal(Path directory, Path heldKey, FileChannel lockChannel, FileLock lock, FileOutputStream out,
                        Map<String, JournalEntry> entries, java.util.List<Path> created,
                        Map<Scope, String> served) {
        this.created = created;
        this.served = served;
        this.directory = directory;
        this.heldKey = heldKey;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.out = out;
        this.entries = entries;
        this.heldAtOpen = entries.size();
    }

    /**
     * Opens (creating it if needed) the journal in {@code directory} and loads its entries.
     *
     * @throws JournalException naming the directory when another process holds it, or the line
     *                               when a line before the last one is damaged
     * @throws UncheckedIOException  when the directory cannot be created or read
     */
    public static CallJournal open(Path directory) {
        if (directory == null) {
            throw new IllegalArgumentException("journal directory must not be null");
        }
        Path dir = directory.toAbsolutePath().normalize();
        FileChannel lockChannel = null;
        Path heldKey = null;
        java.util.List<Path> created = new java.util.ArrayList<>();
        try {
            boolean newDirectory = !Files.exists(dir);
            Files.createDirectories(dir);
            Path real = dir.toRealPath();
            if (!OPEN_HERE.add(real)) {
                throw new JournalException(inUse(dir));
            }
            heldKey = real;
            Path file = dir.resolve(FILE);
            if (!Files.exists(file)) {
                created.add(file);
            }
            if (!Files.exists(dir.resolve(LOCK_FILE))) {
                created.add(dir.resolve(LOCK_FILE));
            }
            if (newDirectory) {
                created.add(dir);
            }
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very JVM
            }
            if (lock == null) {
                throw new JournalException(inUse(dir));
            }
            Map<String, JournalEntry> entries = new ConcurrentHashMap<>();
            long validLength = load(file, entries);
            // Read before anything is changed: a newer build's record refuses the open.
            Map<Scope, String> served = loadServed(dir.resolve(SERVED_FILE));
            try (FileChannel fix = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                if (fix.size() > validLength) {
                    LOG.warn("Journal {}: dropping a torn last line ({} bytes) left by an interrupted run",
                            file, fix.size() - validLength);
                    fix.truncate(validLength);
                    fix.force(true);
                }
            }
            FileOutputStream out = new FileOutputStream(file.toFile(), true);
            LOG.info("Journal {}: {} completed calls", dir, entries.size());
            return new CallJournal(dir, heldKey, lockChannel, lock, out, entries, created, served);
        } catch (IOException e) {
            closeQuietly(lockChannel);
            release(heldKey);
            throw new UncheckedIOException("cannot open journal directory " + dir, e);
        } catch (RuntimeException e) {
            closeQuietly(lockChannel);
            release(heldKey);
            throw e;
        }
    }

    private static String inUse(Path dir) {
        return "journal directory " + dir + " is in use by another run (lock held on " + LOCK_FILE
                + "); wait for it to finish or use another directory";
    }

    private static void release(Path heldKey) {
        if (heldKey != null) {
            OPEN_HERE.remove(heldKey);
        }
    }

    /** Reads complete lines into {@code entries}; returns the byte length of the valid prefix. */
    private static long load(Path file, Map<String, JournalEntry> entries) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        long valid = 0;
        long offset = 0;
        int lineNo = 0;
        String pendingError = null;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                offset++;
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                lineNo++;
                if (pendingError != null) {
                    // A damaged line followed by more lines: not a torn tail.
                    throw new JournalException(pendingError + "; repair or remove that line, or"
                            + " use another journal directory");
                }
                JournalEntry e = parse(line.toString(StandardCharsets.UTF_8));
                if (e == null) {
                    pendingError = "journal " + file + " line " + lineNo + " is damaged (not a journal entry)";
                } else {
                    entries.merge(e.key(), e, (older, later) -> later.supersedes(older) ? later : older);
                    valid = offset;
                }
                line.reset();
            }
        }
        // Whatever follows `valid` is a torn or damaged tail (at most one line).
        return valid;
    }

    /**
     * {@link #SERVED_FILE}'s records, or none when it is absent. A damaged file (only a hand
     * edit makes one: it is replaced by rename) is set aside with a warning rather than stopping
     * the run: without it, a run whose server answers still replays and records anew.
     */
    private static Map<Scope, String> loadServed(Path file) {
        Map<Scope, String> served = new java.util.LinkedHashMap<>();
        if (!Files.exists(file)) {
            return served;
        }
        try {
            JsonNode root = Json.MAPPER.readTree(file.toFile());
            String newer = io.synalign.models.DocumentFormat.newer(
                    io.synalign.models.DocumentFormat.of(root, "v"), SERVED_FORMAT);
            if (newer != null) {
                throw new JournalException(file + ": " + newer);
            }
            JsonNode records = root == null ? null : root.get("served");
            if (records == null || !records.isArray()) {
                throw new IOException("no \"served\" list");
            }
            java.util.Set<Scope> clashing = new java.util.LinkedHashSet<>();
            for (JsonNode r : records) {
                String backend = text(r, "backend");
                String model = text(r, "model");
                String server = text(r, "server");
                String identity = text(r, "identity");
                if (backend == null || model == null || server == null || identity == null) {
                    throw new IOException("a record without backend, model, server and identity");
                }
                String before = served.put(Scope.of(backend, model, server), identity);
                if (before != null && !before.equals(identity)) {
                    clashing.add(Scope.of(backend, model, server));
                }
            }
            // Two records that name one server only since URLs are compared in their canonical
            // form (written by a version that told http://LocalHost/v1 from http://localhost/v1)
            // and disagree: the file's order does not say which is newer (a record was replaced
            // in place), and keying by the older would replay another model's replies. Neither
            // stands in: the run keys by --model, as with no record, until the server answers.
            for (Scope scope : clashing) {
                served.remove(scope);
                LOG.warn("Journal {}: {} records two models served for {} at {}; neither is used"
                        + " while the server cannot be reached", file.getParent(), SERVED_FILE,
                        scope.model(), scope.server());
            }
            return served;
        } catch (JournalException e) {
            throw e; // a newer build's record: not to be misread, nor overwritten
        } catch (IOException | RuntimeException e) {
            LOG.warn("Journal {}: ignoring {} ({}); entries keyed by what a server served are found only while"
                    + " it answers, until the file is written again", file.getParent(), file, e.getMessage());
            return new java.util.LinkedHashMap<>();
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    /**
     * What a {@link #SERVED_FILE} record is for: a model name asked of a backend at a server,
     * the server in {@link ServerUrl#canonical} form.
     */
    private record Scope(String backend, String model, String server) {

        static Scope of(String backend, String model, String server) {
            return new Scope(backend, model, ServerUrl.canonical(server));
        }
    }

    /**
     * The identity this journal's keys name the model by, for a model asked of {@code backend}
     * by the name {@code model}, given what the model said ({@link ChatModel#identify}):
     * <ul>
     *   <li>{@link ModelIdentity.Source#FIXED}: its identity, recorded nowhere;</li>
     *   <li>{@link ModelIdentity.Source#SERVED} (the server said): its identity, recorded for
     *       the backend, model and server when it differs from the record (or, with no record,
     *       from the name: an honest server, keyed by the name, leaves no record), so that a
     *       later run can find these entries without the server; a server restarted with other
     *       weights replaces the record;</li>
     *   <li>{@link ModelIdentity.Source#UNSAID} (the server could not be reached: stopped, or
     *       no reply within the timeout): the identity recorded for them, if any, else the
     *       name;</li>
     *   <li>{@link ModelIdentity.Source#UNCLEAR} (a live server that did not say: an error
     *       status, no model list, still loading): the name; the record does not stand in,
     *       since such a server may serve other weights now.</li>
     * </ul>
     * A new record is written at once when the journal holds entries, else with the first
     * append, so that a run that completes nothing leaves the directory as it found it. A record
     * that cannot be written is warned about and the run goes on: only a later offline rerun
     * loses by it.
     */
    public synchronized String identityFor(String backend, String model, ModelIdentity said) {
        if (said.source() == ModelIdentity.Source.FIXED) {
            return said.identity();
        }
        Scope scope = Scope.of(backend, model, said.server());
        if (said.source() == ModelIdentity.Source.UNCLEAR) {
            // A live server that did not say may serve other weights now: keyed by the record,
            // their replies would be stored under the old weights' keys. The name misses instead.
            keyedBy.put(scope, new KeyedBy(said.identity(), said.source(), false));
            return said.identity();
        }
        String recorded = served.get(scope);
        if (said.source() == ModelIdentity.Source.UNSAID) {
            if (recorded == null) {
                keyedBy.put(scope, new KeyedBy(said.identity(), said.source(), false));
                return said.identity();
            }
            keyedBy.put(scope, new KeyedBy(recorded, said.source(), true));
            LOG.info("Journal {}: keying by what {} served '{}' when this journal last recorded it ({})",
                    directory, said.server(), model, directory.resolve(SERVED_FILE));
            return recorded;
        }
        keyedBy.put(scope, new KeyedBy(said.identity(), said.source(), false));
        if (said.identity().equals(recorded) || recorded == null && said.identity().equals(model)) {
            return said.identity();
        }
        served.put(scope, said.identity());
        servedPending = true;
        if (!entries.isEmpty() && !closed && !broken) {
            writeServed();
        }
        return said.identity();
    }

    /**
     * The identity this journal's record gave the keys of {@code model} asked of {@code backend}
     * at {@code server} when {@link #identityFor} last keyed them in this open, because the
     * server could not be reached to say what it serves ({@link ModelIdentity.Source#UNSAID});
     * null when no record stood in then (the server said, or nothing was recorded). A run's provenance states it, so that
     * what keyed the replies is on record also when the server was not asked.
     */
    public synchronized String recordedIdentityInUse(String backend, String model, String server) {
        KeyedBy k = keyedBy.get(Scope.of(backend, model, server));
        return k != null && k.fromRecord() ? k.identity() : null;
    }

    /**
     * The identity the server at {@code server} stated for {@code model} asked of
     * {@code backend} when {@link #identityFor} last keyed it in this open
     * ({@link ModelIdentity.Source#SERVED}: the name of an honest server, or what a llama.cpp
     * server serves); null when it did not state one then (unreached, or unclear), or was not
     * asked. What the model says afterwards does not change it: a client whose server was
     * unreached asks again later ({@link OpenAiCompatibleChatModel#servedModel}), but the
     * entries were keyed by what the journal was given, and a run's provenance must name that.
     */
    public synchronized String servedIdentityInUse(String backend, String model, String server) {
        KeyedBy k = keyedBy.get(Scope.of(backend, model, server));
        return k != null && k.source() == ModelIdentity.Source.SERVED ? k.identity() : null;
    }

    /** Writes {@link #served} to {@link #SERVED_FILE}: a temporary file, forced, renamed over it. */
    private void writeServed() {
        servedPending = false;
        com.fasterxml.jackson.databind.node.ObjectNode root = Json.object();
        root.put("v", SERVED_FORMAT);
        com.fasterxml.jackson.databind.node.ArrayNode list = root.putArray("served");
        served.forEach((scope, identity) -> list.addObject().put("backend", scope.backend())
                .put("model", scope.model()).put("server", scope.server()).put("identity", identity));
        Path target = directory.resolve(SERVED_FILE);
        Path temp = directory.resolve(SERVED_FILE + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(
                        (Json.write(root) + "\n").getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            forceDirectory();
        } catch (IOException e) {
            deleteQuietly(temp);
            LOG.warn("Journal {}: cannot record what the server serves in {} ({}); a rerun while the server is"
                    + " down will not find this run's entries", directory, target, e.toString());
        }
    }

    /** Makes the rename durable where the platform allows forcing a directory (not Windows). */
    private void forceDirectory() {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("forcing journal directory {}: {}", directory, e.toString());
        }
    }

    private static JournalEntry parse(String line) {
        try {
            JsonNode n = Json.MAPPER.readTree(line);
            return n == null || !n.isObject() ? null : JournalEntry.fromJson(n);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public Path directory() {
        return directory;
    }

    /** The completed call with {@code key}, or {@code null}. */
    public JournalEntry lookup(String key) {
        return entries.get(key);
    }

    public int size() {
        return entries.size();
    }

    /**
     * Appends {@code entry} and forces it to disk; a key already present is kept as it was, unless
     * {@code entry} {@link JournalEntry#supersedes supersedes} its entry (a reply cut off at a
     * recorded budget, asked again with more room): then {@code entry} is appended too and takes
     * its place, here and when the journal is next opened (the later line wins).
     */
    public synchronized void append(JournalEntry entry) {
        if (closed || broken) {
            throw new IllegalStateException("journal " + directory + " is closed" + (broken
                    ? " (a write failed; completed calls before it are safe)" : ""));
        }
        JournalEntry present = entries.get(entry.key());
        if (present != null && !entry.supersedes(present)) {
            if ((present.cutOffAtKnownBudget() || present.cutOffWithoutBudget())
                    && JournalEntry.LENGTH.equals(entry.finishReason()) && !entry.cutOffAtKnownBudget()) {
                // A reply asked again for more room that came back without a known budget
                // cannot take the cut-off entry's place: said, since a resume asks it again.
                LOG.warn("journal {}: a reply asked again for entry {} was not journaled (it was"
                        + " cut off at a budget not known); a resumed run asks it again",
                        directory, entry.key());
            }
            return;
        }
        if (servedPending) {
            writeServed(); // before the entry: an entry on disk can always be found by its record
        }
        byte[] bytes = (Json.write(entry.toJson()) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            out.write(bytes);
            out.getFD().sync();
        } catch (IOException e) {
            // A partial line may now end the file. Refuse further appends, so it stays the last
            // line, which the next open truncates away. close() still releases the lock.
            broken = true;
            appended = true; // the file may hold a torn line: not removed as unused
            throw new UncheckedIOException("cannot write journal " + directory.resolve(FILE)
                    + "; the journal is closed, completed calls so far are safe", e);
        }
        entries.put(entry.key(), entry);
        appended = true;
    }

    /** The completed calls this journal held when it was opened (none: a new journal). */
    public int heldAtOpen() {
        return heldAtOpen;
    }

    /** Requests answered from this journal since it was opened (valid and invalid replies). */
    public long replayed() {
        return replayed.get();
    }

    /** Requests sent to the model since the journal was opened, because it held no usable reply. */
    public long sent() {
        return sent.get();
    }

    /** Counts a request answered from the journal ({@link #replayed}). */
    void noteReplayed() {
        replayed.incrementAndGet();
    }

    /** Counts a request sent to the model ({@link #sent}). */
    void noteSent() {
        sent.incrementAndGet();
    }

    /**
     * Notes that the entry under {@code key}, cut off without a recorded budget, was looked up
     * and asked again ({@code askedAgain}) or replayed; {@link #close} tells the counts once.
     */
    void noteCutOffWithoutBudget(String key, boolean askedAgain) {
        withoutBudget.put(key, askedAgain);
    }

    /**
     * The warning {@link #close} gives about the entries of {@link #noteCutOffWithoutBudget}, or
     * null when there were none: how many were asked again and how many replayed, and why.
     */
    String cutOffWithoutBudgetNote() {
        if (withoutBudget.isEmpty()) {
            return null;
        }
        long again = withoutBudget.values().stream().filter(b -> b).count();
        long kept = withoutBudget.size() - again;
        return "journal " + directory + ": " + withoutBudget.size() + " GGUF "
                + (withoutBudget.size() == 1 ? "reply was" : "replies were") + " journaled as cut off at"
                + " a token budget not recorded (by a SynAlign from before budgets were, which ran every GGUF"
                + " model at its default context: the training context capped at " + GgufChatModel.DEFAULT_CONTEXT
                + " tokens), so each was taken as cut off at that context's budget: " + again + " asked again,"
                + " this run's context giving them more room, and " + kept + " replayed as journaled, this"
                + " run's giving them no more";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        String note = cutOffWithoutBudgetNote();
        if (note != null) {
            LOG.warn(note);
        }
        closeQuietly(out);
        boolean unused = !appended;
        if (unused) {
            // Files first, while the lock is held; the directory after, only if it is empty.
            for (Path p : created) {
                if (!p.equals(directory)) {
                    deleteQuietly(p);
                }
            }
        }
        try {
            lock.release();
        } catch (IOException e) {
            LOG.debug("releasing journal lock: {}", e.toString());
        }
        closeQuietly(lockChannel);
        release(heldKey);
        if (unused && created.contains(directory)) {
            deleteQuietly(directory);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("removing unused journal path {}: {}", p, e.toString());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing: {}", e.toString());
        }
    }
}
