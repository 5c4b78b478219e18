package io.synalign.examples;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordReader;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.engine.ProgressListener;
import io.synalign.models.ModelSpec;
import io.synalign.models.OnnxSentenceEncoder;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Aligns a labelled JSONL file of synthetic texts to a labelled JSONL file of real ones, per
 * label, with the bundled MiniLM encoder (it ships in a Maven artifact: nothing is downloaded),
 * and writes every synthetic record with its weight in {@code synalign_weight}.
 *
 * <p>Usage: {@code AlignLabelledJsonl REAL.jsonl SYNTHETIC.jsonl OUT.jsonl} (records with the
 * fields {@code text} and {@code label}).
 */
public final class AlignLabelledJsonl {

    private AlignLabelledJsonl() {
    }

    /** Reads both files, aligns per label, writes the weighted synthetic records to out. */
    public static TextAlignment.Result align(Path realFile, Path syntheticFile, Path out)
            throws IOException {
        List<Record> real = RecordReader.read(realFile);
        List<Record> synthetic = RecordReader.read(syntheticFile);
        TextFields.LabelledTexts r = TextFields.labelled(realFile, real, "text", "label");
        TextFields.LabelledTexts s = TextFields.labelled(syntheticFile, synthetic, "text", "label");

        TextAlignment alignment = new TextAlignment(TextAlignment.Options.defaults());
        TextAlignment.Result result;
        try (SentenceEncoder encoder = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
            result = alignment.align(encoder, new TextAlignment.Texts(r.texts(), r.labels()),
                    new TextAlignment.Texts(s.texts(), s.labels()), ProgressListener.NONE);
        }
        List<Record> weighted = TextAlignment.weightedRecords(synthetic,
                result.alignment().weights());
        try (OutputStream o = Files.newOutputStream(out)) {
            RecordWriter.write(o, RecordFormat.of(out), weighted);
        }
        return result;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: AlignLabelledJsonl REAL.jsonl SYNTHETIC.jsonl OUT.jsonl");
            System.exit(2);
        }
        TextAlignment.Result result = align(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
        result.alignment().labels().forEach(l -> System.out.printf(Locale.ROOT,
                "%s: %d real, %d synthetic, weight share %.3f%n", l.label(), l.nReal(),
                l.nSynthetic(), l.weightShare()));
        System.out.println("wrote " + args[2]);
    }
}
