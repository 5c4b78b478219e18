package io.synalign.cli;

import io.synalign.engine.labelled.HeldOutResult;
import io.synalign.io.AtomicOutputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The held-out check of {@code --holdout-folds K} ({@code align}, {@code run}), run after the
 * main fit's outputs are written, so that a failure in it cannot cost them.
 *
 * <p>Why: the check costs K more fits per label and runs after the fit; run before the outputs
 * were written (they were written together with its figures), an exception in it, an
 * out-of-memory error its heap guard did not foresee, or a Ctrl-C lost the weights that had
 * been paid for. Now, in order: the main outputs are staged and committed exactly as without
 * the check (every document that will carry the check's figures, {@code --summary} and
 * {@code alignment.json}, with {@code held_out} null); then the check runs; then each such
 * document is rewritten atomically, on its own, with {@code held_out} added (a failed rewrite
 * leaves the version without it, never half a file). A document whose target is a stream or a
 * device ({@code --summary /dev/stdout}) is written into, not replaced, so it is written once,
 * after the check, with or without its figures.
 *
 * <p>If the check fails, the outputs stay as written, and each document is rewritten (atomically,
 * on its own, as after a check that succeeds) with {@code held_out} saying that the check was
 * asked for and failed, and why ({@link HeldOutFailed}): left null, it read as an alignment run
 * without the check, and the report advised asking for one. {@link HeldOutCheckFailure} names
 * the outputs and why the check failed (one line, exit status 1: the input was accepted and the
 * main work done; what failed is the program's own extra step, the check's bad inputs being
 * refused up front with 2). A document whose rewrite fails keeps {@code held_out} null, and the
 * line then says so.
 */
final class HeldOutAfterOutputs {

    /**
     * A document that records the check: {@code body} writes it with the check's record (its
     * figures, or its failure), or with {@code held_out} null when given null.
     */
    record Document(Path target, Function<HeldOutRecord, AtomicOutputs.Body> body) {
    }

    /** The check itself, run after the outputs are committed. */
    @FunctionalInterface
    interface Check {
        HeldOutResult run() throws Exception;
    }

    private final boolean checking;
    private final List<Document> documents = new ArrayList<>();

    /** @param checking whether a check will run after the outputs are committed */
    HeldOutAfterOutputs(boolean checking) {
        this.checking = checking;
    }

    /**
     * Stages {@code document} among the main outputs, with {@code held_out} null; with a check
     * to come, one whose target is a stream or a device is left for after it.
     */
    void stage(AtomicOutputs outputs, Document document) throws IOException {
        documents.add(document);
        if (!checking || !AtomicOutputs.isSpecial(document.target())) {
            outputs.stage(document.target(), document.body().apply(null));
        }
    }

    /**
     * Runs {@code check} of {@code folds} folds once the main outputs ({@code written}, for the
     * failure's message) are committed, prints its line, and rewrites every staged document
     * with its figures.
     *
     * @throws HeldOutCheckFailure when the check fails (the outputs are then as committed, each
     *     document with {@code held_out} saying so where it could be rewritten)
     */
    void run(Check check, int folds, List<String> written, PrintWriter stdout)
            throws IOException {
        HeldOutResult result;
        try {
            result = check.run();
        } catch (Exception | Error e) {
            throw failed(e, folds, written);
        }
        HeldOutSummary summary = HeldOutSummary.of(result, PeakMemory.residentBytes());
        summary.print(stdout);
        stdout.flush();
        List<String> rewritten = new ArrayList<>();
        for (Document d : documents) {
            AtomicOutputs.writeAtomically(d.target(), d.body().apply(summary));
            rewritten.add(d.target().toString());
        }
        if (!rewritten.isEmpty()) {
            stdout.println("added held_out to " + HeldOutCheckFailure.join(rewritten));
        }
        stdout.flush();
    }

    /**
     * The failure of the check, {@code e}, recorded in every document as {@link HeldOutFailed}:
     * each rewritten on its own (a stream or device, left for after the check, written once),
     * so that one rewrite failing leaves the others recorded.
     */
    private HeldOutCheckFailure failed(Throwable e, int folds, List<String> written) {
        // The line stderr gives after the outputs' names; verbose so that it does not send the
        // reader of a document to a --verbose that would not change the document.
        HeldOutFailed record = new HeldOutFailed(CliErrors.message(e, true), folds);
        List<String> recorded = new ArrayList<>();
        List<Throwable> suppressed = new ArrayList<>();
        for (Document d : documents) {
            try {
                AtomicOutputs.writeAtomically(d.target(), d.body().apply(record));
                recorded.add(d.target().toString());
            } catch (IOException | RuntimeException | Error w) {
                suppressed.add(w);
            }
        }
        HeldOutCheckFailure failure = new HeldOutCheckFailure(written, recorded, e);
        suppressed.forEach(failure::addSuppressed);
        return failure;
    }
}
