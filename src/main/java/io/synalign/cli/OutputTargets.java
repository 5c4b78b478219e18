package io.synalign.cli;

import io.synalign.io.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The registry of a command's inputs and outputs, checked before any computation so that a long
 * run never ends in "directory does not exist" or with a lost file: the parent directory of an
 * output must exist and be writable, the path must not be a directory, no two options may name
 * the same file, and no output may overwrite an input (or a file of an input directory, or a
 * file the command writes into a directory). Built from the options' {@link PathRole}
 * declarations by {@link #declared}, which {@link CliCommand} calls before every command runs;
 * a command adds only what no option names (a default output path).
 */
final class OutputTargets {

    /** One path option as given. */
    private record Declared(String option, PathRole role, Path path) {
    }

    /**
     * The registry of {@code spec}'s path options as parsed (options not given are skipped):
     * run directories first (checked with {@link RunDirOption#checkRunDir}; outputs may lie
     * directly in one the command creates), then inputs and the files of input directories,
     * outputs, written directories and the files written into them, and last the run-directory
     * files.
     *
     * @throws IllegalArgumentException naming both options when two paths collide
     * @throws InputException naming the path when an output cannot be written
     */
    static OutputTargets declared(CommandSpec spec) {
        List<Declared> given = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            PathRole role = role(o);
            if (role != null && o.getValue() instanceof Path p) {
                given.add(new Declared(o.longestName(), role, p));
            } else if (role != null && o.getValue() instanceof java.util.Collection<?> paths) {
                for (Object p : paths) { // a list option: each of its paths
                    if (p instanceof Path path) {
                        given.add(new Declared(o.longestName(), role, path));
                    }
                }
            }
        }
        OutputTargets t = new OutputTargets();
        for (Declared d : of(given, PathRole.Kind.RUN_DIRECTORY)) {
            RunDirOption.checkRunDir(d.path());
            t.runDir(d.path());
        }
        for (Declared d : of(given, PathRole.Kind.INPUT)) {
            t.input(d.option(), d.path());
        }
        for (Declared d : of(given, PathRole.Kind.INPUT_DIRECTORY)) {
            for (String f : d.role().files()) {
                t.input(d.option() + " (" + f + ")", d.path().resolve(f));
            }
        }
        for (Declared d : of(given, PathRole.Kind.OUTPUT)) {
            t.add(d.option(), d.path());
        }
        for (Declared d : of(given, PathRole.Kind.DIRECTORY)) {
            t.directory(d.option(), d.path());
            t.filesIn(d);
        }
        for (Declared d : of(given, PathRole.Kind.RUN_DIRECTORY)) {
            t.directory(d.option(), d.path());
            t.filesIn(d);
        }
        return t;
    }

    /**
     * Whether an output names this process's standard output ({@code /dev/stdout},
     * {@code /dev/fd/1}, {@code /proc/self/fd/1}, or a link to one): the command's own lines then
     * go to stderr, or they would end up in the data a pipe or a redirect receives.
     */
    boolean writesStandardOutput() {
        return standardOutput;
    }

    /** The {@link PathRole} of an option declared on an annotated field, else null. */
    static PathRole role(OptionSpec o) {
        return o.userObject() instanceof java.lang.reflect.AnnotatedElement e
                ? e.getAnnotation(PathRole.class) : null;
    }

    private static List<Declared> of(List<Declared> given, PathRole.Kind kind) {
        return given.stream().filter(d -> d.role().value() == kind).toList();
    }

    /**
     * The files the command writes into a directory, claimed like outputs so that no other
     * option names one of them. For a directory that does not exist yet they are only reserved
     * (no file-system checks: the command creates the directory), but an output named inside it
     * still collides: {@code --sampled-out nd/weighted.jsonl --run-dir nd} used to pass when
     * {@code nd} was missing, and the run directory's copy replaced the sample.
     */
    private void filesIn(Declared d) {
        boolean exists = Files.isDirectory(d.path());
        for (String f : d.role().files()) {
            String option = d.option() + " (" + f + ")";
            if (exists) {
                add(option, d.path().resolve(f));
            } else {
                reserve(option, d.path().resolve(f));
            }
        }
    }

    private final Map<Path, String> inputs = new LinkedHashMap<>();
    private final Map<Path, String> outputs = new LinkedHashMap<>();
    private final Map<Path, String> directories = new LinkedHashMap<>();
    private final java.util.Set<Path> created = new java.util.HashSet<>();
    /** Whether an output names this process's standard output (--out /dev/stdout). */
    private boolean standardOutput;

    /**
     * Registers the run directory, which the command creates (with missing parents) before it
     * writes: an output placed directly in it passes although it does not exist yet. Register it
     * before those outputs; {@code null} is skipped. The directory itself is checked on its own
     * ({@link RunDirOption#checkRunDir}).
     */
    OutputTargets runDir(Path dir) {
        if (dir != null) {
            created.add(dir.toAbsolutePath().normalize());
        }
        return this;
    }

    /**
     * Registers an input file, so that no output may replace it ({@code null} is skipped).
     *
     * @throws IllegalArgumentException when an output registered before names the same file
     */
    OutputTargets input(String option, Path file) {
        if (file == null) {
            return this;
        }
        Path abs = file.toAbsolutePath().normalize();
        for (Map.Entry<Path, String> out : outputs.entrySet()) {
            if (sameFile(abs, out.getKey())) {
                throw new IllegalArgumentException(out.getValue() + " " + file + " would overwrite"
                        + " the input given with " + option);
            }
        }
        inputs.put(abs, option);
        return this;
    }

    /**
     * Checks one output; {@code null} (an option not given) is skipped.
     *
     * @param option the option that named it, for messages, e.g. {@code --out}
     * @throws InputException naming the path when it cannot be written
     * @throws IllegalArgumentException when another option already names the same file
     */
    OutputTargets add(String option, Path target) {
        if (target == null) {
            return this;
        }
        Path abs = reserve(option, target);
        standardOutput |= io.synalign.io.AtomicOutputs.standardStream(abs) == 1;
        if (Files.isDirectory(abs)) {
            throw new InputException(target, option + " names a directory; give a file name");
        }
        Path dir = abs.getParent();
        Path shown = target.getParent() == null ? Path.of(".") : target.getParent();
        if (Files.isSymbolicLink(abs)) {
            // The output replaces the file the link points to (AtomicOutputs): its directory is
            // the one that must exist, or a dangling link failed after all the work.
            Path written;
            try {
                written = io.synalign.io.AtomicOutputs.throughLinks(abs).toAbsolutePath()
                        .normalize();
            } catch (java.io.IOException e) {
                throw new InputException(target, option + ": " + e.getMessage());
            }
            dir = written.getParent();
            shown = dir == null ? Path.of(".") : dir;
        }
        try {
            Path written = io.synalign.io.AtomicOutputs.writtenPath(abs);
            if (io.synalign.io.AtomicOutputs.isSpecial(written)) {
                // A device or pipe (/dev/null): written into at the end, never replaced, so its
                // directory need not be writable; the file itself must be.
                if (!Files.isWritable(written)) {
                    throw new InputException(target, option + " names a device or pipe that is"
                            + " not writable");
                }
                return this;
            }
        } catch (java.io.IOException e) {
            throw new InputException(target, option + ": " + e.getMessage());
        }
        if (dir != null && created.contains(dir) && !Files.exists(dir)) {
            return this; // the run directory, created before anything is written
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new InputException(target, "output directory " + shown + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new InputException(target, "output directory " + shown + " is not writable");
        }
        return this;
    }

    /**
     * Claims {@code target} for {@code option}: no other output, no input and no directory may
     * be the same path. No file-system checks.
     *
     * @return the target, absolute and normalised
     */
    private Path reserve(String option, Path target) {
        Path abs = target.toAbsolutePath().normalize();
        String previous = outputs.putIfAbsent(abs, option);
        if (previous != null) {
            throw new IllegalArgumentException(previous + " and " + option + " name the same file "
                    + target);
        }
        for (Map.Entry<Path, String> in : inputs.entrySet()) {
            if (sameFile(abs, in.getKey())) {
                throw new IllegalArgumentException(option + " " + target + " would overwrite the"
                        + " input given with " + in.getValue());
            }
        }
        for (Map.Entry<Path, String> d : directories.entrySet()) {
            if (sameFile(abs, d.getKey())) {
                throw new IllegalArgumentException(d.getValue() + " and " + option
                        + " name the same path " + target);
            }
        }
        return abs;
    }

    /**
     * Checks a directory the command writes into (a journal, a cache); {@code null} is skipped.
     * An existing path must be a directory, and no file output may have the same path.
     *
     * @throws InputException when the path is an existing file
     * @throws IllegalArgumentException when a file output has the same path
     */
    OutputTargets directory(String option, Path dir) {
        if (dir == null) {
            return this;
        }
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new InputException(dir, option + " names a file, not a directory");
        }
        if (!Files.exists(abs)) {
            // Created with its parents when first written: a file on the way would fail then,
            // after the work, as an I/O error ("Not a directory") with exit 1.
            Path ancestor = RunDirOption.existingAncestor(abs);
            if (ancestor != null && !Files.isDirectory(ancestor)) {
                throw new InputException(dir, option + " cannot be created: " + ancestor
                        + " is a file, not a directory");
            }
        }
        for (Map.Entry<Path, String> out : outputs.entrySet()) {
            if (sameFile(abs, out.getKey())) {
                throw new IllegalArgumentException(out.getValue() + " and " + option
                        + " name the same path " + dir);
            }
        }
        directories.put(abs, option);
        return this;
    }

    /** Equal paths, or two existing paths that reach one file (links, different spellings). */
    private static boolean sameFile(Path a, Path b) {
        return io.synalign.io.SamePath.sameFile(a, b);
    }
}
