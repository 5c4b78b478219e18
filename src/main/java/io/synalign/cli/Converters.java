package io.synalign.cli;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.kernels.KernelStorage;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters that validate option values while the command line is parsed, so that a bad
 * value is a usage error (exit 2) naming the option and the value, reported before any file is
 * read. picocli prefixes each message with {@code Invalid value for option '--x': }.
 */
final class Converters {

    private Converters() {
    }

    /** {@code auto} or a positive finite number: an RBF bandwidth or GP length scale. */
    static final class BandwidthConverter implements ITypeConverter<Bandwidth> {
        @Override
        public Bandwidth convert(String value) {
            try {
                return Bandwidth.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** One of auto, exact, tiled, rff, nystrom (any case). */
    static final class MethodConverter implements ITypeConverter<AlignmentMethod> {
        @Override
        public AlignmentMethod convert(String value) {
            try {
                return AlignmentMethod.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code auto} (null: the backend's choice), {@code fp32} or {@code fp16}. */
    static final class KernelStorageConverter implements ITypeConverter<KernelStorage> {
        @Override
        public KernelStorage convert(String value) {
            if ("auto".equalsIgnoreCase(value)) {
                return null;
            }
            try {
                return KernelStorage.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("unknown kernel storage '" + value
                        + "' (expected auto, fp32 or fp16)");
            }
        }
    }

    /** {@code per-label} or {@code global} (any case): the alignment scope. */
    static final class ScopeConverter implements ITypeConverter<LabelMode> {
        @Override
        public LabelMode convert(String value) {
            for (LabelMode mode : LabelMode.values()) {
                if (mode.cliName().equalsIgnoreCase(value.strip())) {
                    return mode;
                }
            }
            throw new TypeConversionException("unknown scope '" + value
                    + "' (expected per-label or global)");
        }
    }

    /** A memory size such as 512MB, 2GiB, 1g or 1073741824. */
    static final class ByteSizeConverter implements ITypeConverter<ByteSize> {
        @Override
        public ByteSize convert(String value) {
            try {
                return ByteSize.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** An integer {@code >= 1}. */
    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v = parseInt(value);
            if (v < 1) {
                throw new TypeConversionException("must be >= 1, got " + value);
            }
            return v;
        }
    }

    /** An integer {@code >= 0}. */
    static final class NonNegativeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v = parseInt(value);
            if (v < 0) {
                throw new TypeConversionException("must be >= 0, got " + value);
            }
            return v;
        }
    }

    /** 0 (off) or a number of folds {@code >= 2}: one fold would fit on no real row. */
    static final class FoldCount implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v = parseInt(value);
            if (v != 0 && v < 2) {
                throw new TypeConversionException("must be 0 (no check) or a number of folds"
                        + " >= 2, got " + value);
            }
            return v;
        }
    }

    /** A finite number {@code > 0}. */
    static final class PositiveDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseDouble(value);
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new TypeConversionException("must be a positive finite number, got " + value);
            }
            return v;
        }
    }

    /** A finite number {@code >= 0}. */
    static final class NonNegativeDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseDouble(value);
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new TypeConversionException("must be a finite number >= 0, got " + value);
            }
            return v;
        }
    }

    /** A number {@code >= 1}; infinity is allowed (it disables a cap). */
    static final class AtLeastOneDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = parseDouble(value);
            if (!(v >= 1)) {
                throw new TypeConversionException("must be >= 1, got " + value);
            }
            return v;
        }
    }

    private static int parseInt(String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not an integer");
        }
    }

    private static double parseDouble(String value) {
        try {
            return Double.parseDouble(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
    }
}
