package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.data.RecordReader;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelRegistry;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help texts state the engine's real defaults, including those written out by hand. */
class HelpTextTest {

    private static final Pattern DEFAULT = Pattern.compile("Default: (\\S+?)\\.?$");

    private static String statedDefault(String command, String option) {
        CommandLine sub = SynAlignCommand.newCommandLine().getSubcommands().get(command);
        String description = String.join(" ", sub.getCommandSpec().findOption(option).description());
        String rendered = description.replace("${DEFAULT-VALUE}",
                sub.getCommandSpec().findOption(option).defaultValueString());
        Matcher m = DEFAULT.matcher(rendered);
        assertTrue(m.find(), rendered);
        return m.group(1);
    }

    @Test
    void alignDefaults() {
        AlignmentConfig d = AlignmentConfig.defaults();
        assertEquals(d.tolerance(), Double.parseDouble(statedDefault("align", "--tolerance")));
        assertEquals(d.maxWeightRatio(), Double.parseDouble(statedDefault("align", "--max-weight-ratio")));
        assertEquals(d.features(), Integer.parseInt(statedDefault("align", "--features")));
        assertEquals(d.maxIterations(), Integer.parseInt(statedDefault("align", "--iterations")));
        assertEquals(d.memoryBudgetBytes(), ByteSize.parse(statedDefault("align", "--memory-budget")).bytes());
        assertEquals(d.seed(), Long.parseLong(statedDefault("align", "--seed")));
        assertEquals("auto", statedDefault("align", "--bandwidth"));
    }

    @Test
    void selectDefaults() {
        SelectionConfig d = SelectionConfig.defaults();
        assertEquals(d.noise(), Double.parseDouble(statedDefault("select", "--noise")));
        assertEquals(d.groupSize(), Integer.parseInt(statedDefault("select", "--group-size")));
        assertEquals(d.seed(), Long.parseLong(statedDefault("select", "--seed")));
        assertEquals("auto", statedDefault("select", "--length-scale"));
    }

    @Test
    void embeddingDefaults() {
        for (String command : List.of("embed", "align", "evaluate")) {
            assertEquals(EncoderOptions.DEFAULT_BATCH_SIZE,
                    Integer.parseInt(statedDefault(command, "--batch-size")));
            assertEquals(EncoderOptions.DEFAULT_MAX_LENGTH,
                    Integer.parseInt(statedDefault(command, "--max-length")));
            assertEquals(ModelRegistry.DEFAULT_MODEL, statedDefault(command, "--encoder"));
            assertEquals(RecordReader.DEFAULT_MAX_LINE_BYTES,
                    ByteSize.parse(statedDefault(command, "--max-line-size")).bytes());
            assertEquals("text", statedDefault(command, "--text-field"));
            assertEquals("cpu", statedDefault(command, "--device"));
        }
        assertEquals("label", statedDefault("align", "--label-field"));
    }

    @Test
    void generateAndRunShareTheEmbeddingOptionsUnderTheNameEncoder() {
        CommandLine root = SynAlignCommand.newCommandLine();
        var embed = root.getSubcommands().get("embed").getCommandSpec();
        for (String command : List.of("generate", "run")) {
            assertEquals(ModelRegistry.DEFAULT_MODEL, statedDefault(command, "--encoder"));
            assertEquals(EncoderOptions.DEFAULT_BATCH_SIZE,
                    Integer.parseInt(statedDefault(command, "--batch-size")));
            assertEquals(EncoderOptions.DEFAULT_MAX_LENGTH,
                    Integer.parseInt(statedDefault(command, "--max-length")));
            assertEquals("cpu", statedDefault(command, "--device"));
            var spec = root.getSubcommands().get(command).getCommandSpec();
            for (String name : List.of("--encoder", "--batch-size", "--max-length", "--device",
                    "--cache-dir", "--no-cache")) {
                assertEquals(List.of(embed.findOption(name).description()),
                        List.of(spec.findOption(name).description()), command + " " + name);
            }
            assertTrue(String.join(" ", spec.findOption("--model").description()).contains("LLM"),
                    command + ": --model names the LLM");
        }
    }

    @Test
    void embedHasTheSharedVerbosityOptionsButNoKernelBackend() {
        CommandLine root = SynAlignCommand.newCommandLine();
        var embed = root.getSubcommands().get("embed").getCommandSpec();
        var align = root.getSubcommands().get("align").getCommandSpec();
        for (String name : List.of("-q", "--quiet", "-v", "--verbose")) {
            assertEquals(List.of(align.findOption(name).description()),
                    List.of(embed.findOption(name).description()), name + ": one definition");
        }
        assertEquals(null, embed.findOption("--backend"), "embed runs no kernel");
    }

    @Test
    void usageStartsWithTheSynopsisOnce() {
        String help = SynAlignCommand.newCommandLine().getSubcommands().get("align").getUsageMessage();
        assertTrue(help.startsWith("Usage: synalign align --real-embeddings R.npy"), help);
        assertFalse(help.contains("Usage: Usage:"), help);
    }

    @Test
    void topLevelHelpListsEveryCommandOnceAndNoHelpPrintsWarnings() {
        picocli.CommandLine cl = SynAlignCommand.newCommandLine();
        String help = cl.getUsageMessage();
        for (String command : cl.getSubcommands().keySet()) {
            int first = help.indexOf("\n  " + command + " ");
            assertTrue(first >= 0, command + " listed: " + help);
            assertEquals(-1, help.indexOf("\n  " + command + " ", first + 1), command + " listed once");
        }
        assertEquals(cl.getSubcommands().keySet(), SynAlignCommand.SUMMARIES.keySet().stream()
                .collect(java.util.stream.Collectors.toSet()), "every command has a summary");
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            for (picocli.CommandLine sub : cl.getSubcommands().values()) {
                sub.getUsageMessage();
            }
        } finally {
            System.setErr(stderr);
        }
        assertEquals("", captured.toString(), "picocli warnings while rendering help");
    }

    @Test
    void unknownCommandsGetTheListAndOnlyCloseSuggestions() {
        Cli.Run frob = Cli.run(cl -> { }, "frobnicate");
        assertEquals(2, frob.status());
        assertEquals("synalign: error: unknown command 'frobnicate'; the commands are demo, generate,"
                + " align, run, evaluate, report, negatives, beir, filter, test, embed, select (see 'synalign --help')",
                frob.errLines().get(0));
        Cli.Run typo = Cli.run(cl -> { }, "evalute");
        assertTrue(typo.err().contains("did you mean evaluate?"), typo.err());
        assertEquals(1, SynAlignCommand.editDistance("evalute", "evaluate"));
        assertEquals(3, SynAlignCommand.editDistance("kitten", "sitting"));
    }

    /**
     * One vocabulary: an option name shared by commands is a flag everywhere or takes a value
     * everywhere (the old --per-label was a flag in align and a count in generate); --encoder is
     * the sentence encoder wherever it appears, with one description; --model is the LLM only;
     * every help lists each option once.
     */
    @Test
    void everyOptionNameMeansOneThingAcrossCommands() {
        CommandLine root = SynAlignCommand.newCommandLine();
        java.util.Map<String, String> arityOf = new java.util.HashMap<>();
        java.util.Map<String, String> firstCommand = new java.util.HashMap<>();
        java.util.Set<String> withEncoder = new java.util.TreeSet<>();
        java.util.Set<String> withModel = new java.util.TreeSet<>();
        for (var e : root.getSubcommands().entrySet()) {
            var spec = e.getValue().getCommandSpec();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (var option : spec.options()) {
                for (String name : option.names()) {
                    assertTrue(seen.add(name), e.getKey() + " declares " + name + " twice");
                    String arity = option.arity().max() == 0 ? "flag" : "value";
                    String before = arityOf.putIfAbsent(name, arity);
                    firstCommand.putIfAbsent(name, e.getKey());
                    assertTrue(before == null || before.equals(arity), name + " is a " + arity
                            + " in " + e.getKey() + " but a " + before + " in "
                            + firstCommand.get(name));
                }
            }
            if (spec.findOption("--encoder") != null) {
                withEncoder.add(e.getKey());
                assertTrue(String.join(" ", spec.findOption("--encoder").description())
                        .startsWith("Sentence encoder"), e.getKey());
            }
            if (spec.findOption("--model") != null) {
                withModel.add(e.getKey());
                assertTrue(String.join(" ", spec.findOption("--model").description())
                        .contains("LLM"), e.getKey() + ": --model names the LLM");
            }
            String help = e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (var option : spec.options()) {
                if (option.hidden()) {
                    continue;
                }
                String longest = option.longestName();
                Matcher listed = Pattern.compile("(?m)^ {2,6}(-\\w, )?(--[\\w-]+, )?" + Pattern.quote(longest)
                        + "[=\\s]").matcher(help);
                int count = 0;
                while (listed.find()) {
                    count++;
                }
                assertEquals(1, count, e.getKey() + " --help lists " + longest + " " + count
                        + " times");
            }
        }
        assertEquals(java.util.Set.of("align", "embed", "evaluate", "filter", "generate", "negatives", "run", "test"), withEncoder);
        assertEquals(java.util.Set.of("generate", "run"), withModel);
    }

    @Test
    void optionsOfEarlierReleasesNameWhatReplacedThem() {
        String[][] cases = {
            {"align --model minilm", "unknown option '--model'; the sentence encoder is --encoder in every command"},
            {"embed --model minilm", "the sentence encoder is --encoder"},
            {"align --global", "the alignment scope is --scope global"},
            {"align --per-label", "the alignment scope is --scope per-label"},
            {"generate --per-label 5", "synthetic rows per label is --synthetic-per-label N"},
            {"run --total 9", "the number of synthetic rows in all is --synthetic-rows N"},
        };
        for (String[] c : cases) {
            Cli.Run r = Cli.run(cl -> { }, c[0].split(" "));
            assertEquals(2, r.status(), c[0]);
            assertEquals(1, r.errLines().size(), r.err());
            assertTrue(r.err().contains(c[1]), c[0] + ": " + r.err());
            assertFalse(r.err().contains("did you mean"), r.err());
        }
    }
}
