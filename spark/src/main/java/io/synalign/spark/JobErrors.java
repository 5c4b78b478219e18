package io.synalign.spark;

import java.io.PrintWriter;
import org.apache.spark.sql.AnalysisException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The job's exit statuses and one-line error reports, the same policy as the {@code synalign}
 * CLI's (without depending on it): bad input (a usage error, an {@link IllegalArgumentException}
 * from an option or record check, a Spark {@link AnalysisException} such as a missing input
 * path) exits with {@link #BAD_INPUT} (2), anything else with {@link #FAILURE} (1). A check
 * that fails inside a Spark task reaches the driver wrapped in a {@code SparkException}, whose
 * message is the whole multi-line stage-failure report; the report names the cause instead.
 */
final class JobErrors {

    /** The job did what was asked. */
    static final int OK = 0;
    /** Something went wrong that is not the user's input: an I/O error, a bug, out of memory. */
    static final int FAILURE = 1;
    /** Bad input: a usage error, an invalid option value, or an unusable input. */
    static final int BAD_INPUT = 2;

    static final String PREFIX = "synalign-spark: error: ";
    private static final int MAX_LENGTH = 1_000;

    private JobErrors() {
    }

    /** A command line that reports every failure as one line on stderr and returns its status. */
    static CommandLine commandLine(SynAlignSparkJob job) {
        return configure(new CommandLine(job));
    }

    /** Sets the job's handlers of usage errors and of exceptions on {@code cl}. */
    static CommandLine configure(CommandLine cl) {
        cl.setParameterExceptionHandler(JobErrors::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> report(ex, cmd.getErr()));
        return cl;
    }

    /**
     * Runs {@code cl}: {@link CommandLine#execute}, and an {@link Error} (the driver out of
     * memory), which picocli passes to no handler, reported as one line with status 1 instead of
     * a stack trace.
     */
    static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (Error e) {
            return report(e, cl.getErr());
        }
    }

    /** A picocli usage error (bad or missing option value): one line, status 2. */
    static int usageError(ParameterException ex, String[] args) {
        PrintWriter err = ex.getCommandLine().getErr();
        err.println(PREFIX + oneLine(String.valueOf(ex.getMessage()))
                + " (see 'synalign-spark --help')");
        err.flush();
        return BAD_INPUT;
    }

    /** Prints the failure's one-line report and returns its exit status. */
    static int report(Throwable t, PrintWriter err) {
        Throwable bad = badInput(t);
        String text;
        if (bad != null) {
            text = bad.getMessage() == null ? bad.getClass().getSimpleName() : bad.getMessage();
        } else if (t instanceof NotTheInput) {
            text = "unexpected failure: " + t.getMessage();
        } else if (DataFrames.credentialsRefused(t)) {
            // Refused where no step of the job named its path and option (a summary's write,
            // a ticket that expired in a stage that read no input): said all the same, the
            // failure's own message (which names the path) and the innermost cause.
            String top = t.getClass().getSimpleName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage());
            String root = DataFrames.rootMessage(t);
            text = "unexpected failure: " + DataFrames.CREDENTIALS_REFUSED + top
                    + (t.getCause() == null || top.contains(root) ? "" : " (" + root + ")");
        } else if (DataFrames.clockSkewed(t)) {
            // S3's RequestTimeTooSkewed where no step named its path (a summary's write): the
            // machine's clock, said so, with the failure's own message.
            text = "unexpected failure: " + DataFrames.CLOCK_REFUSED + t.getClass().getSimpleName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage());
        } else if (t instanceof OutOfMemoryError) {
            text = "out of memory on the driver (" + t.getMessage() + "); give it more with"
                    + " spark-submit --driver-memory";
        } else {
            text = "unexpected " + t.getClass().getSimpleName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage());
        }
        err.println(PREFIX + oneLine(text));
        err.flush();
        return bad != null ? BAD_INPUT : FAILURE;
    }

    /**
     * The bad-input exception in {@code t}'s cause chain, or null when it is none; the chain
     * below a {@link NotTheInput} or a serializer's failure ({@link #serializers}) is not
     * searched (that failure was judged the job's own).
     */
    static Throwable badInput(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof NotTheInput || serializers(c)) {
                return null;
            }
            if (c instanceof IllegalArgumentException || c instanceof AnalysisException) {
                return c;
            }
        }
        return null;
    }

    /**
     * Whether {@code c} is the serializer's failure, not the input's: a Kryo exception, or any
     * exception whose top frame is Kryo's or chill's. Kryo 4 refuses an unregistered class
     * ({@code spark.kryo.registrationRequired}) with an {@link IllegalArgumentException} from
     * {@code Kryo.getRegistration}, and its field serializers wrap what a field's write throws
     * in a {@code KryoException}; a task failing so during the fit reached the driver as a
     * stage failure over that exception and exited 2, blaming the input (review32s). The
     * check reads the exception's class and its own stack, which Spark ships with a task's
     * failure. O(1).
     */
    static boolean serializers(Throwable c) {
        if (c.getClass().getName().startsWith(KRYO)) {
            return true;
        }
        return c instanceof IllegalArgumentException
                && (thrownBy(c, KRYO) || thrownBy(c, "com.twitter.chill."));
    }

    /** Whether {@code t} was thrown by code of the package {@code prefix} (its top frame). */
    static boolean thrownBy(Throwable t, String prefix) {
        StackTraceElement[] frames = t.getStackTrace();
        return frames.length > 0 && frames[0].getClassName().startsWith(prefix);
    }

    private static final String KRYO = "com.esotericsoftware.kryo.";

    /**
     * A failure while the job read an input that is not the input's fault (a cancelled stage,
     * a lost executor, the job's own serialization: {@link DataFrames#inputsFault}): exit
     * {@link #FAILURE} with its cause named, whatever the causes below it hold (Kryo 4 refuses
     * an unregistered class with an {@link IllegalArgumentException}, which would read as bad
     * input).
     */
    static final class NotTheInput extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotTheInput(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A URL's user information with a password ({@code s3a://KEY:SECRET@bucket}, as old S3A
     * and other connectors took credentials), after the scheme's {@code ://}.
     */
    private static final java.util.regex.Pattern URL_PASSWORD = java.util.regex.Pattern.compile(
            "(?<=://)[^/\\s@:]{0,256}:[^/\\s@]{0,1024}@");

    /**
     * A {@code name=value} whose name says it is a secret (a signed URL's {@code sig},
     * {@code X-Amz-Signature}, {@code X-Amz-Security-Token}, {@code X-Amz-Credential},
     * {@code X-Goog-Signature}, an {@code access_token}, a {@code fs.s3a.secret.key}, a
     * password): its value, up to a separator. Bounded repetitions: a message may be long, and
     * the report must not take quadratic time in a long word.
     */
    private static final java.util.regex.Pattern NAMED_SECRET = java.util.regex.Pattern.compile(
            "(?i)((?<![\\w.-])(?:sig|[\\w.-]{0,64}(?:secret|password|passwd|token|signature"
                    + "|credential)[\\w.-]{0,64})=)[^&\\s\"',;)\\]}]+");

    /**
     * {@code s} with secrets taken out: a URL's password ({@link #URL_PASSWORD}) and the value
     * of a secret-named parameter ({@link #NAMED_SECRET}), each replaced by
     * {@code <redacted>}. A store's or a login's refusal may quote the request's URL (an ABFS
     * SAS token, a presigned S3 URL) or the path as the user gave it, and the report goes to
     * stderr and the cluster's logs, where secrets must never reach. O(length).
     */
    static String redacted(String s) {
        String out = URL_PASSWORD.matcher(s).replaceAll("<redacted>@");
        return NAMED_SECRET.matcher(out).replaceAll("$1<redacted>");
    }

    /**
     * Collapses line breaks, takes secrets out ({@link #redacted}) and caps the length, so that
     * every report is one readable line with no secret in it.
     */
    static String oneLine(String s) {
        String line = redacted(s).replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
        return line.length() <= MAX_LENGTH ? line : line.substring(0, MAX_LENGTH) + " ...";
    }
}
