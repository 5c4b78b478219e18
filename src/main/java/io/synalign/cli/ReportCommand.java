package io.synalign.cli;

import io.synalign.io.AtomicOutputs;
import io.synalign.io.SafeText;
import io.synalign.pipeline.RunFiles;
import io.synalign.report.ReportPage;
import io.synalign.report.RunArtefacts;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign report --run DIR [--out FILE]}: reads the artefacts that {@code align
 * --run-dir}, {@code evaluate} and {@code generate} left in a run directory ({@link RunFiles})
 * and writes one self-contained HTML page ({@link ReportPage}: inline SVG and CSS, no scripts,
 * nothing fetched), atomically. Absent artefacts become "not run" notes; a directory with none
 * of them, or an unusable artefact, is bad input (exit 2).
 */
@Command(name = "report", sortOptions = false, mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Write a self-contained HTML report (inline SVG, no network) of a run"
                + " directory: weight histograms per label, MMD^2 before/after alignment, a PCA"
                + " projection of real vs synthetic embeddings, the evaluation table, generation"
                + " coverage and the settings."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error)",
            "2:bad input (usage, missing or empty run directory, unusable artefact)"})
final class ReportCommand extends CliCommand {

    @PathRole(value = PathRole.Kind.INPUT_DIRECTORY, files = {RunFiles.ALIGNMENT, RunFiles.WEIGHTED, RunFiles.REAL_EMBEDDINGS,
            RunFiles.SYNTHETIC_EMBEDDINGS, RunFiles.LABELS, RunFiles.EVALUATION, RunFiles.GENERATION,
            RunFiles.TEST})
    @Option(names = "--run", required = true, paramLabel = "DIR",
            description = "The run directory (written by 'align --run-dir', 'evaluate',"
                    + " 'generate', 'test', 'run --run-dir').")
    Path run;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", paramLabel = "FILE",
            description = "Where to write the HTML (/dev/stdout for standard output)."
                    + " Default: DIR/" + RunFiles.REPORT + ".")
    Path out;

    @Option(names = {"-v", "--verbose"}, description = "Print the stack trace of an error.")
    boolean verbose;

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        if (out != null && out.toString().equals("-")) {
            // Not a file named "-" in the working directory, which is what it used to write.
            throw new IllegalArgumentException("--out -: give a file name; for standard output"
                    + " give --out /dev/stdout");
        }
        RunArtefacts artefacts = RunArtefacts.load(run);
        Path target = out != null ? out : run.resolve(RunFiles.REPORT);
        // The run's artefacts (declared on --run) and the real file that alignment.json names
        // are the report's inputs: no output may replace one.
        paths.input("--run (the --real of " + RunFiles.ALIGNMENT + ")",
                RunArtefacts.realFile(run, artefacts.alignment()));
        if (out == null) {
            paths.add("--run (" + RunFiles.REPORT + ")", target);
        }
        for (String finding : artefacts.provenance().all()) {
            // Findings quote paths from the run's documents: no control character reaches the
            // terminal (an ESC sequence recoloured it, a newline forged a note).
            err.println("synalign: note: " + SafeText.forTerminal(finding));
        }
        err.flush();
        byte[] html = new ReportPage(artefacts).html().getBytes(StandardCharsets.UTF_8);
        boolean special = AtomicOutputs.isSpecial(target);
        AtomicOutputs.writeAtomically(target, o -> o.write(html));
        // A device or pipe may be what the caller reads as the page (its standard output is
        // covered by CliCommand for every command; a pipe of another name, /proc/self/fd/N,
        // too): a line after the page there would end up in the HTML.
        PrintWriter note = special ? err : stdout;
        note.println("wrote " + target);
        note.flush();
        return ExitCodes.OK;
    }

    @Override
    boolean verbose() {
        return verbose;
    }
}
