package io.synalign.io;

import io.synalign.kernels.FloatMatrix;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link NarrowingCentre} for every input of a problem (the real rows and the synthetic
 * rows of an alignment, the rows of a selection): estimated from the real rows
 * ({@link CentreEstimate}), taken when any input file is float64, so float32 and float64 inputs
 * of one problem shift together. Says what it chose: an info line (shown with
 * {@code --verbose}) when it centres, a warning when float32 inputs lie where float32 cannot
 * hold their spread ({@link CentreEstimate#float32Warning}).
 *
 * <p>Cost: the file headers, and at most {@value CentreEstimate#MAX_SAMPLE} rows of the real
 * file, each one positional read.
 */
public final class InputCentring {

    private static final Logger LOG = LoggerFactory.getLogger(InputCentring.class);

    private InputCentring() {
    }

    /**
     * The centre for a problem whose real rows are the file {@code real}, with {@code others}
     * (synthetic files; may be empty) beside it.
     *
     * @throws InputException on a problem with a file (header, a non-finite sampled value)
     * @throws IOException on an I/O failure
     */
    public static NarrowingCentre forFiles(Path real, List<Path> others) throws IOException {
        CentreEstimate estimate;
        try (NpyRowSource rows = NpyRowSource.open(real)) {
            estimate = CentreEstimate.of(rows.rows(), rows.cols(), rows.bytesPerStoredValue() == 8,
                    rows::readExact);
        }
        List<Path> inputs = new ArrayList<>();
        inputs.add(real);
        inputs.addAll(others);
        return choose(estimate, inputs);
    }

    /**
     * The centre for a problem whose real rows are already float32 in memory (embedded by the
     * model), with the files {@code others} beside them: the rows count as neither float64 nor
     * a float32 input (their precision is the model's).
     */
    public static NarrowingCentre forRows(FloatMatrix real, List<Path> others)
            throws IOException {
        return choose(CentreEstimate.of(real), others);
    }

    /** The centre the estimate gives for {@code files} (dtypes from their headers), logged. */
    static NarrowingCentre choose(CentreEstimate estimate, List<Path> files) throws IOException {
        List<String> float64 = new ArrayList<>();
        List<String> float32 = new ArrayList<>();
        for (Path file : files) {
            int item = NpyReader.readHeader(file).requireFloatDtype(file).itemSize();
            (item == 8 ? float64 : float32).add(file.toString());
        }
        NarrowingCentre centre = estimate.narrowingCentre(!float64.isEmpty());
        if (!centre.isNone()) {
            LOG.info(String.format(Locale.ROOT, "%s: float64 rows %.3g from the origin and %.3g"
                    + " from their median: every input is read less that median (one float64"
                    + " point) before narrowing to float32", String.join(", ", float64),
                    estimate.distanceFromOrigin(), estimate.typicalDistance()));
        }
        String warning = estimate.float32Warning(float32);
        if (warning != null) {
            LOG.warn(warning);
        }
        return centre;
    }
}
