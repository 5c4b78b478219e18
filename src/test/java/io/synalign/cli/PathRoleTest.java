package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The registry of inputs and outputs is built from the {@link PathRole} declarations: every path
 * option of every command declares its role, and for every command, every pair of paths that
 * would let one file replace another (an output over an input, over another output, over a
 * directory, over a file the command reads from or writes into a directory) is refused before
 * any work, naming both options. The pairs are derived from the declarations, so a path option
 * added later is covered without a new test.
 */
class PathRoleTest {

    @TempDir
    Path dir;

    /** Every subcommand's spec, from the real command line (mixins included). */
    private static Map<String, CommandLine> commands() {
        return SynAlignCommand.newCommandLine().getSubcommands();
    }

    @Test
    void everyPathOptionOfEveryCommandDeclaresItsRole() {
        int paths = 0;
        for (Map.Entry<String, CommandLine> c : commands().entrySet()) {
            for (OptionSpec o : c.getValue().getCommandSpec().options()) {
                Class<?> type = o.type();
                boolean listOfPaths = java.util.Collection.class.isAssignableFrom(type)
                        && java.util.Arrays.stream(o.auxiliaryTypes()).anyMatch(Path.class::isAssignableFrom);
                if (Path.class.isAssignableFrom(type) || java.io.File.class.isAssignableFrom(type)
                        || (type.isArray() && Path.class.isAssignableFrom(type.getComponentType()))
                        || listOfPaths) {
                    assertNotNull(OutputTargets.role(o), c.getKey() + " " + o.longestName()
                            + " names a path but declares no @PathRole");
                    paths++;
                }
            }
        }
        assertTrue(paths >= 30, "the commands' path options were found: " + paths);
    }

    /** One path a command reads or writes: an option's value, or a file in an option's directory. */
    private record Target(OptionSpec option, String file) {
        String label() {
            return file == null ? option.longestName() : option.longestName() + " (" + file + ")";
        }

        PathRole.Kind kind() {
            return OutputTargets.role(option).value();
        }

        boolean writes() {
            return switch (kind()) {
                case OUTPUT -> true;
                case DIRECTORY, RUN_DIRECTORY -> file != null;
                default -> false;
            };
        }
    }

    private static List<Target> targets(CommandSpec spec) {
        List<Target> out = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            PathRole role = OutputTargets.role(o);
            if (role == null) {
                continue;
            }
            if (role.value() != PathRole.Kind.INPUT_DIRECTORY) {
                out.add(new Target(o, null)); // the directory itself may not be a file output
            }
            for (String f : role.files()) {
                out.add(new Target(o, f));
            }
        }
        return out;
    }

    @Test
    void everyCollisionTheDeclarationsAllowIsRefusedNamingBothOptions() throws IOException {
        int pairs = 0;
        List<String> commandsWithPairs = new ArrayList<>();
        for (String name : commands().keySet()) {
            List<Target> targets = targets(commands().get(name).getCommandSpec());
            int before = pairs;
            for (Target w : targets) {
                if (!w.writes()) {
                    continue;
                }
                for (Target x : targets) {
                    if (x == w || x.option() == w.option()
                            || (w.file() != null && x.file() != null && !w.file().equals(x.file()))) {
                        continue; // one option's own files, or two directories' differently named files
                    }
                    CommandSpec spec = commands().get(name).getCommandSpec(); // fresh values
                    for (OptionSpec o : spec.options()) {
                        if (OutputTargets.role(o) != null) {
                            o.setValue(null);
                        }
                    }
                    Path case_ = Files.createDirectories(dir.resolve(name + "-" + pairs));
                    Path shared = collide(spec, w, x, case_);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> OutputTargets.declared(spec),
                            name + ": " + w.label() + " and " + x.label() + " both " + shared);
                    assertTrue(e.getMessage().contains(w.label()) && e.getMessage().contains(x.label()),
                            name + ": " + e.getMessage());
                    pairs++;
                }
            }
            if (pairs > before) {
                commandsWithPairs.add(name);
            }
        }
        assertEquals(List.of("align", "beir", "embed", "evaluate", "filter", "generate", "negatives", "report", "run", "select", "test"),
                commandsWithPairs.stream().sorted().toList());
        assertTrue(pairs > 100, "pairs tried: " + pairs);
    }

    /** Sets {@code w}'s and {@code x}'s options so that both name one path; returns it. */
    private static Path collide(CommandSpec spec, Target w, Target x, Path caseDir) throws IOException {
        Path shared;
        if (w.file() != null || x.file() != null) {
            Path d = Files.createDirectories(caseDir.resolve("d"));
            shared = d.resolve(w.file() != null ? w.file() : x.file());
            for (Target t : List.of(w, x)) {
                set(option(spec, t), t.file() != null ? d : shared);
            }
        } else {
            shared = caseDir.resolve(x.kind() == PathRole.Kind.INPUT ? "in.jsonl" : "p");
            set(option(spec, w), shared);
            set(option(spec, x), shared);
        }
        if (x.kind() == PathRole.Kind.INPUT || x.kind() == PathRole.Kind.INPUT_DIRECTORY) {
            Files.write(shared, new byte[] {'x'}); // an input exists
        }
        return shared;
    }

    /** Sets a path option, or a list-of-paths option to that one path. */
    private static void set(OptionSpec o, Path p) {
        o.setValue(java.util.Collection.class.isAssignableFrom(o.type()) ? new ArrayList<>(List.of(p)) : p);
    }

    private static OptionSpec option(CommandSpec spec, Target t) {
        return spec.findOption(t.option().longestName());
    }

    @Test
    void declarationsWithoutCollisionsPassAndDefaultOutputsCanJoin() throws IOException {
        CommandSpec align = commands().get("align").getCommandSpec();
        Path real = Files.writeString(dir.resolve("real.jsonl"), "{}\n");
        align.findOption("--real").setValue(real);
        align.findOption("--out").setValue(dir.resolve("w.jsonl"));
        align.findOption("--run-dir").setValue(dir.resolve("runs/one")); // created later
        OutputTargets t = OutputTargets.declared(align);
        assertFalse(Files.exists(dir.resolve("runs")), "checking creates nothing");
        // An output added after the declarations is still checked against the inputs...
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.add("--extra", real));
        assertEquals("--extra " + real + " would overwrite the input given with --real", e.getMessage());
        // ...and an input added later against the outputs.
        e = assertThrows(IllegalArgumentException.class,
                () -> t.input("--late", dir.resolve("w.jsonl")));
        assertEquals("--out " + dir.resolve("w.jsonl") + " would overwrite the input given with --late",
                e.getMessage());
    }
}
