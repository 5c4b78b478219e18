package io.synalign.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.demo.WordNetRetrievalData;
import io.synalign.demo.WordNetSupersenseData;
import io.synalign.io.AtomicOutputs;
import io.synalign.pipeline.RunFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign demo}: the whole pipeline, offline, on data that ships in a Maven dependency.
 *
 * <p>Data: WordNet 3.1 noun glosses labelled by supersense ({@link WordNetSupersenseData}),
 * {@code --real-per-label} few-shot real rows and a disjoint test set per label. Then, each step
 * run as the documented subcommand with its artefacts in the run directory {@code --out}:
 * {@code generate} (the offline EDA baseline, or the OpenAI-compatible LLM named by
 * {@code SYNALIGN_LLM_URL} / {@code SYNALIGN_LLM_MODEL}, key in the variable named by
 * {@code SYNALIGN_LLM_API_KEY_ENV}), {@code align} (per-label MMD weights and a weighted
 * sample), {@code evaluate} (student classifiers on frozen embeddings: real only, real +
 * uniform synthetic, real + aligned synthetic) and {@code report} (report.html). The first
 * failing step's exit status is the demo's.
 */
@Command(name = "demo", sortOptions = false, mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Run the whole pipeline offline on WordNet glosses labelled by supersense:"
                + " generate (offline EDA baseline, or the LLM named by SYNALIGN_LLM_URL and"
                + " SYNALIGN_LLM_MODEL), align, evaluate and report.",
            "With --task retrieval: glosses as passages and their words as queries; generate"
                + " queries (offline query baseline, or the LLM), align them to the real"
                + " queries, evaluate retrievers, report."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure", "2:bad input (option value)"})
final class DemoCommand extends CliCommand {

    /** Environment variables that switch the generator from the offline baseline to an LLM. */
    static final String LLM_URL_ENV = "SYNALIGN_LLM_URL";
    static final String LLM_MODEL_ENV = "SYNALIGN_LLM_MODEL";
    static final String LLM_KEY_ENV = "SYNALIGN_LLM_API_KEY_ENV";

    /** The file that marks a directory as the demo's, to be cleaned and reused by the next. */
    static final String MARKER = ".synalign-demo";

    /** The process environment; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    @PathRole(PathRole.Kind.DIRECTORY)
    @Option(names = "--out", paramLabel = "DIR",
            description = "Run directory for data, artefacts and report.html: a new or empty"
                    + " directory, or one an earlier demo wrote (marked by " + MARKER + "), whose"
                    + " files are replaced. Default: ${DEFAULT-VALUE}.")
    Path out = Path.of("synalign-demo");

    @Option(names = "--seed", paramLabel = "S", description = "Seed of every step. Default: ${DEFAULT-VALUE}.")
    long seed = 7;

    @Option(names = "--task", paramLabel = "classification|retrieval",
            description = "classification: glosses labelled by supersense, a classifier student;"
                    + " retrieval: glosses as passages and their words as queries, a retriever"
                    + " student. Default: ${DEFAULT-VALUE}.")
    String task = EvaluateCommand.CLASSIFICATION;

    @Option(names = "--labels", split = ",", paramLabel = "noun.X",
            description = "WordNet noun supersenses used as labels. Default: ${DEFAULT-VALUE}.")
    List<String> labels = new ArrayList<>(WordNetSupersenseData.DEFAULT_SUPERSENSES);

    @Option(names = "--real-per-label", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Few-shot real rows per label. Default: ${DEFAULT-VALUE}.")
    int realPerLabel = 8;

    @Option(names = "--test-per-label", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Test rows per label. Default: ${DEFAULT-VALUE}.")
    int testPerLabel = 40;

    @Option(names = "--synthetic-per-label", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Synthetic rows generated per label. Default: ${DEFAULT-VALUE}.")
    int syntheticPerLabel = 64;

    @Option(names = "--classifier", paramLabel = "logreg|mlp",
            description = "Student model. Default: ${DEFAULT-VALUE}.")
    String classifier = "logreg";

    @Option(names = "--repeats", paramLabel = "R", converter = Converters.PositiveInt.class,
            description = "Seeded repeats of each evaluation. Default: ${DEFAULT-VALUE}.")
    int repeats = 3;

    @PathRole(PathRole.Kind.DIRECTORY)
    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Embedding cache directory.")
    Path cacheDir;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        return run(stdout, err);
    }

    @Override
    boolean verbose() {
        return false;
    }

    /** Options of the classification demo, refused by the retrieval demo. */
    static final List<String> CLASSIFICATION_ONLY = List.of("--real-per-label", "--test-per-label",
            "--synthetic-per-label", "--classifier");
    /** The retrieval demo's sizes: corpus passages, real and test queries, target passages. */
    static final int RETRIEVAL_CORPUS = 600;
    static final int RETRIEVAL_REAL = 60;
    static final int RETRIEVAL_TEST = 150;
    static final int RETRIEVAL_TARGETS = 150;
    static final int RETRIEVAL_PER_PASSAGE = 3;

    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        if (task.equals(EvaluateCommand.RETRIEVAL)) {
            for (String option : CLASSIFICATION_ONLY) {
                if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                    throw new IllegalArgumentException(option + " does not apply to --task retrieval");
                }
            }
            checkOut();
            return runRetrieval(stdout, err);
        }
        if (!task.equals(EvaluateCommand.CLASSIFICATION)) {
            throw new IllegalArgumentException("--task " + task + ": give classification or retrieval");
        }
        long start = System.nanoTime();
        // Every value a later step would refuse is checked here, before any data is drawn or any
        // file of an earlier run deleted: 'evaluate' refused --classifier svm only after
        // generate and align had run.
        EvaluateCommand.classifierKind(classifier);
        if (labels.size() < 2) {
            // evaluate would refuse a single label, after generate and align had run
            throw new IllegalArgumentException("--labels " + String.join(",", labels)
                    + ": a classifier needs at least 2 supersenses, got " + labels.size());
        }
        checkOut();
        WordNetSupersenseData.Split split = WordNetSupersenseData.draw(labels, realPerLabel, testPerLabel, seed);
        prepareOut();
        Path real = out.resolve("real.jsonl");
        Path test = out.resolve("test.jsonl");
        Path synthetic = out.resolve("synthetic.jsonl");
        // align --run-dir writes RunFiles.WEIGHTED itself; --out is a second copy under its own name
        Path weighted = out.resolve(RunFiles.WEIGHTED);
        Path alignOut = out.resolve("synthetic-weighted.jsonl");
        Path aligned = out.resolve("aligned.jsonl");
        writeExamples(real, split.real());
        writeExamples(test, split.test());
        stdout.printf(java.util.Locale.ROOT,
                "demo data: WordNet 3.1 noun glosses by supersense, %d labels, %d real (few-shot)"
                + " and %d test rows -> %s%n", labels.size(), split.real().size(), split.test().size(), out);
        stdout.flush();

        List<String> generate = new ArrayList<>(List.of("generate", "--real", real.toString(),
                "--out", synthetic.toString(), "--synthetic-per-label", Integer.toString(syntheticPerLabel),
                "--seed", Long.toString(seed), "--run-dir", out.toString()));
        addLlm(generate);
        List<List<String>> steps = List.of(
                withCommon(generate),
                withCommon(new ArrayList<>(List.of("align", "--real", real.toString(),
                        "--synthetic", synthetic.toString(), "--out", alignOut.toString(),
                        "--sampled-out", aligned.toString(),
                        "--seed", Long.toString(seed), "--run-dir", out.toString()))),
                withCommon(new ArrayList<>(List.of("evaluate", "--train", real.toString(),
                        "--synthetic", synthetic.toString(), "--weighted", weighted.toString(),
                        "--test", test.toString(), "--classifier", classifier,
                        "--repeats", Integer.toString(repeats), "--seed", Long.toString(seed),
                        "--run-dir", out.toString()))),
                new ArrayList<>(List.of("report", "--run", out.toString())));
        return runSteps(steps, start, stdout, err);
    }

    /** Runs the steps in order, stopping at the first failure. */
    private int runSteps(List<List<String>> steps, long start, PrintWriter stdout, PrintWriter err) {
        for (List<String> step : steps) {
            stdout.println();
            stdout.println("== synalign " + String.join(" ", step));
            stdout.flush();
            int status = subcommandLine().execute(step.toArray(String[]::new));
            if (status != ExitCodes.OK) {
                err.println("synalign demo: step '" + step.get(0) + "' failed with exit status " + status);
                err.flush();
                return status;
            }
        }
        stdout.println();
        stdout.printf(java.util.Locale.ROOT, "demo finished in %.0f s; report: %s%n",
                (System.nanoTime() - start) / 1e9,
                out.resolve("report.html").toAbsolutePath());
        stdout.flush();
        return ExitCodes.OK;
    }

    /** The LLM of SYNALIGN_LLM_URL (with its model, key variable and a journal), else offline. */
    private void addLlm(List<String> generate) {
        String url = environment.get(LLM_URL_ENV);
        if (url != null && !url.isBlank()) {
            generate.addAll(List.of("--llm", url.strip()));
            String model = environment.get(LLM_MODEL_ENV);
            if (model != null && !model.isBlank()) {
                generate.addAll(List.of("--model", model.strip()));
            }
            String keyEnv = environment.get(LLM_KEY_ENV);
            if (keyEnv != null && !keyEnv.isBlank()) {
                generate.addAll(List.of("--api-key-env", keyEnv.strip()));
            }
            generate.addAll(List.of("--journal", out.resolve("journal").toString()));
        } else {
            generate.addAll(List.of("--llm", GenerationOptions.OFFLINE));
        }
    }

    /**
     * The retrieval demo: WordNet glosses as passages, their words as queries
     * ({@link WordNetRetrievalData}); generate queries (offline baseline unless an LLM is named),
     * align them to the real queries, evaluate retrievers, report.
     */
    private int runRetrieval(PrintWriter stdout, PrintWriter err) throws Exception {
        long start = System.nanoTime();
        WordNetRetrievalData.Split split = WordNetRetrievalData.draw(labels, RETRIEVAL_CORPUS,
                RETRIEVAL_REAL, RETRIEVAL_TEST, seed);
        prepareOut();
        Path corpus = out.resolve("corpus.jsonl");
        Path real = out.resolve("real.jsonl");
        Path test = out.resolve("test.jsonl");
        Path synthetic = out.resolve("synthetic.jsonl");
        Path alignOut = out.resolve("synthetic-weighted.jsonl");
        Path aligned = out.resolve("aligned.jsonl");
        List<Record> passages = new ArrayList<>();
        for (WordNetRetrievalData.Passage p : split.corpus()) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("_id", p.id());
            node.put("title", "");
            node.put("text", p.text());
            passages.add(Record.of(node, passages.size() + 1));
        }
        writeRecords(corpus, passages);
        writeRecords(real, queryRows(split.real()));
        writeRecords(test, queryRows(split.test()));
        stdout.printf(java.util.Locale.ROOT,
                "demo data: WordNet 3.1 noun glosses as %d passages, their words as queries:"
                + " %d real (few-shot) and %d test queries -> %s%n", split.corpus().size(),
                split.real().size(), split.test().size(), out);
        stdout.flush();
        List<String> generate = new ArrayList<>(List.of("generate", "--task", "retrieval", "--corpus",
                corpus.toString(), "--real", real.toString(), "--out", synthetic.toString(),
                "--passages", Integer.toString(RETRIEVAL_TARGETS), "--per-passage",
                Integer.toString(RETRIEVAL_PER_PASSAGE), "--seed", Long.toString(seed), "--run-dir",
                out.toString()));
        addLlm(generate);
        List<List<String>> steps = List.of(
                withCommon(generate),
                withCommon(new ArrayList<>(List.of("align", "--real", real.toString(),
                        "--synthetic", synthetic.toString(), "--out", alignOut.toString(),
                        "--sampled-out", aligned.toString(), "--scope", "global",
                        "--seed", Long.toString(seed), "--run-dir", out.toString()))),
                withCommon(new ArrayList<>(List.of("evaluate", "--task", "retrieval", "--corpus",
                        corpus.toString(), "--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--aligned", aligned.toString(), "--test", test.toString(),
                        "--repeats", Integer.toString(repeats), "--seed", Long.toString(seed),
                        "--run-dir", out.toString()))),
                new ArrayList<>(List.of("report", "--run", out.toString())));
        return runSteps(steps, start, stdout, err);
    }

    private static List<Record> queryRows(List<WordNetRetrievalData.Passage> passages) {
        List<Record> rows = new ArrayList<>();
        for (WordNetRetrievalData.Passage p : passages) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("text", p.query());
            node.put(io.synalign.retrieval.QueryRows.CORPUS_ID, p.id());
            rows.add(Record.of(node, rows.size() + 1));
        }
        return rows;
    }

    private static void writeRecords(Path file, List<Record> records) throws Exception {
        AtomicOutputs.writeAtomically(file, o -> RecordWriter.write(o,
                new RecordFormat.Kind(RecordFormat.JSONL, false), records));
    }

    /**
     * Refuses an {@code --out} that holds files the demo did not write: it deletes and replaces
     * files under fixed names there (real.jsonl, test.jsonl, report.html, every run artefact),
     * which in a directory of the user's own are the user's data. Accepted: a missing or empty
     * directory, or one with the {@link #MARKER} an earlier demo wrote. A demo directory of a
     * version before the marker is refused too: its files cannot be told from the user's.
     */
    private void checkOut() throws java.io.IOException {
        if (!Files.isDirectory(out) || Files.exists(out.resolve(MARKER))) {
            return; // missing (a file there is refused by the option checks), or the demo's own
        }
        try (java.util.stream.Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException(out + ": --out holds files the demo did not"
                        + " write (no " + MARKER + " marker); give a new or empty --out, or delete"
                        + " this directory if an earlier demo wrote it");
            }
        }
    }

    /**
     * Creates {@code --out} with its {@link #MARKER} (first, so that a demo that fails part-way
     * still leaves a directory the next demo may clean) and removes an earlier demo's files.
     */
    private void prepareOut() throws Exception {
        Files.createDirectories(out);
        Path marker = out.resolve(MARKER);
        if (!Files.exists(marker)) {
            AtomicOutputs.writeAtomically(marker, o -> o.write(("This directory was written by"
                    + " 'synalign demo'; a later demo with this --out deletes and replaces its"
                    + " files.\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        removePreviousRun();
    }

    /**
     * Deletes what an earlier demo left in {@code --out} under the names this run writes. A step
     * that fails stops the demo, and the files of the steps after it would otherwise stay from
     * the earlier run (perhaps of other labels or seeds): its report.html would describe that
     * run, and a later {@code synalign report --run DIR} would mix its evaluation.json with this
     * run's alignment. The LLM call journal is kept: it is keyed by request, never mixes runs,
     * and saves calls.
     */
    private void removePreviousRun() throws java.io.IOException {
        // Every run artefact, not a list of those the demo writes: a test.json from an earlier
        // 'synalign test --run-dir' here put another run's labels in the new report.
        List<String> names = new ArrayList<>(List.of("corpus.jsonl", "real.jsonl", "test.jsonl",
                "synthetic.jsonl", "synthetic-weighted.jsonl", "aligned.jsonl", RunFiles.REPORT));
        names.addAll(RunFiles.ARTEFACTS);
        for (String name : names) {
            Files.deleteIfExists(out.resolve(name));
        }
    }

    /** Options every embedding step shares: the cache and quietness. */
    private List<String> withCommon(List<String> args) {
        if (cacheDir != null) {
            args.addAll(List.of("--cache-dir", cacheDir.toString()));
        }
        if (quiet) {
            args.add("-q");
        }
        return args;
    }

    /** A fresh command line writing to this command's streams, with the same error handling. */
    private CommandLine subcommandLine() {
        CommandLine cl = SynAlignCommand.newCommandLine();
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        // generate reads the API key (and the default cache directory) from this environment
        GenerateCommand generate = (GenerateCommand) cl.getSubcommands().get("generate").getCommand();
        generate.environment = environment;
        // the demo has no --llm: an unreachable server's error names the variable that gave it
        generate.llmSource = LLM_URL_ENV;
        return cl;
    }

    private static void writeExamples(Path file, List<WordNetSupersenseData.Example> examples) throws Exception {
        List<Record> records = new ArrayList<>(examples.size());
        long line = 1;
        for (WordNetSupersenseData.Example e : examples) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("text", e.text());
            node.put("label", e.label());
            node.put("id", e.synsetId());
            records.add(Record.of(node, line++));
        }
        writeRecords(file, records);
    }
}
