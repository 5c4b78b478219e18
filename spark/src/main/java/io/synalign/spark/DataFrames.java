package io.synalign.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Reads and writes the job's DataFrames: Parquet or JSON Lines, chosen by {@code --format} or,
 * for {@code auto}, by the path's name ({@code .parquet} is Parquet; {@code .jsonl},
 * {@code .json}, {@code .jsonl.gz}, {@code .json.gz} are JSON Lines). Spark writes a directory
 * of part files at the output path.
 */
final class DataFrames {

    private DataFrames() {
    }

    /** {@code parquet} or {@code json} (Spark's JSON Lines source) for a path and a format. */
    static String format(String path, String format) {
        String f = format.toLowerCase(Locale.ROOT);
        switch (f) {
            case "parquet":
                return "parquet";
            case "jsonl":
            case "json":
                return "json";
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("unknown format '" + format
                        + "' (expected auto, parquet or jsonl)");
        }
        String name = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (name.endsWith(".parquet")) {
            return "parquet";
        }
        for (String ending : List.of(".jsonl", ".json", ".jsonl.gz", ".json.gz")) {
            if (name.endsWith(ending)) {
                return "json";
            }
        }
        throw new IllegalArgumentException("cannot tell the format of '" + path
                + "' from its name (expected .parquet, .jsonl or .json); give --format");
    }

    /**
     * The records at {@code path} in a stable order: files by name, rows in file order, however
     * the files are split into partitions. Spark's own scan orders the splits of several files by
     * size, largest first (to pack partitions), so a directory of part files would come in an
     * order set by file sizes and {@code spark.sql.files.maxPartitionBytes}; the job numbers rows
     * by position, so its results would depend on them. A directory (or glob) of several files
     * is therefore read file by file, with the schema inferred once over all of them, and the
     * reads concatenated ({@code SparkContext.union} keeps the order). Every file becomes at
     * least one partition.
     */
    static Dataset<Row> read(SparkSession spark, String path, String format) {
        return read(spark, null, path, format);
    }

    /**
     * {@link #read(SparkSession, String, String)}, naming {@code option} when the path does not
     * exist (Spark's own message names neither the option nor the side).
     */
    static Dataset<Row> read(SparkSession spark, String option, String path, String format) {
        return read(spark, option, path, format, null);
    }

    /**
     * {@link #read(SparkSession, String, String)}, naming {@code option} in every refusal: a path
     * that does not exist, a file that cannot be read in the format (a JSON Lines file read as
     * Parquet, a {@code .gz} that is not gzip: exit 1 with a page of Spark's stack frames
     * before), no records at all, labels that are arrays or objects. JSON Lines are read strictly
     * (no single-quoted strings, as the CLI reads them).
     *
     * @param labelField the label field, or null
     */
    static Dataset<Row> read(SparkSession spark, String option, String path, String format,
            String labelField) {
        return read(spark, option, path, format, labelField, false, null);
    }

    /**
     * {@link #read(SparkSession, String, String, String, String)}; JSON Lines are read as text
     * and parsed line by line ({@link JsonLines#withLines}), so that every line is checked as
     * one JSON object (a top-level array was read as several records).
     *
     * @param keepLines whether JSON Lines records keep their line as read, in the last column
     *     {@link JsonLines#LINE} (for an output that writes each record as it came)
     * @param parsedFields for JSON Lines, the only fields parsed from each line (the others
     *     are null in every record, their columns kept for the schema's checks and messages;
     *     the records keep their lines, which messages about a record show), or null for all
     */
    static Dataset<Row> read(SparkSession spark, String option, String path, String format,
            String labelField, boolean keepLines, Set<String> parsedFields) {
        String f = format(path, format);
        String what = option == null ? path : option + " " + path;
        // A file modified after this instant changed under the read (ShortReads).
        long began = System.currentTimeMillis();
        Dataset<Row> all;
        try {
            all = reader(spark, f).load(path);
            if (labelField != null) {
                scalarLabels(what, all, labelField);
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) { // Scala's AnalysisException, checked in Java's eyes
            if (option != null && e instanceof org.apache.spark.sql.AnalysisException
                    && String.valueOf(e.getMessage()).contains("PATH_NOT_FOUND")) {
                throw new IllegalArgumentException(option + " " + path + ": no such file or"
                        + " directory", e);
            }
            if (option != null && e instanceof org.apache.spark.sql.AnalysisException a
                    && "UNABLE_TO_INFER_SCHEMA".equals(a.getCondition())) {
                // A directory with no file of data (empty, or only subdirectories): Spark's
                // message named neither the option nor the path (review32s).
                throw new IllegalArgumentException(what + ": no records (no file with data"
                        + " there: " + JobErrors.oneLine(String.valueOf(e.getMessage())) + ")",
                        e);
            }
            if (option != null && f.equals("json")
                    && String.valueOf(e.getMessage()).contains("COLUMN_ALREADY_EXISTS")) {
                // Two fields of one name: a duplicate key in a line (which the job's rule
                // refuses), or names that differ in case only (Spark's columns ignore case).
                throw duplicateColumn(spark, what, option, path, e);
            }
            if (option != null && !(e instanceof org.apache.spark.sql.AnalysisException)) {
                // Schema inference reads the files, but a failure there is the input's only
                // when it says so (inputsFault): a cancelled stage, a lost executor or the
                // job's own serialization is no reason to send the user to a good file.
                throw judged(spark.sparkContext().hadoopConfiguration(), what, f, null, began, e,
                        e);
            }
            throw e;
        }
        if (option != null && (all.schema().isEmpty() || all.isEmpty())) {
            throw new IllegalArgumentException(what + ": no records");
        }
        String[] files = all.inputFiles();
        Arrays.sort(files);
        boolean glob = path.matches(".*[*?\\[{].*");
        if (f.equals("json")) {
            String named = option == null ? "input" : option;
            FirstBadLine.ifSparkFoundOne(spark, named, all, files);
            // Spark's inferred schema, its fields read from each line as text (file by file,
            // in name order, as below).
            Dataset<Row> lines = JsonLines.withLines(spark, named, path, files, all.schema(),
                    glob || !directory(spark, path) ? null : path, parsedFields);
            if (!keepLines && parsedFields == null) {
                lines = lines.drop(JsonLines.LINE);
            }
            return JsonLines.inFileOrder(spark, lines, files);
        }
        if (files.length <= 1) {
            return all;
        }
        List<JavaRDD<Row>> parts = new ArrayList<>(files.length);
        for (String file : files) {
            DataFrameReader reader = reader(spark, f).schema(all.schema());
            if (!glob) {
                reader = reader.option("basePath", path); // keeps partition columns (k=v dirs)
            }
            parts.add(reader.load(file).javaRDD());
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        @SuppressWarnings("unchecked")
        JavaRDD<Row>[] inOrder = parts.toArray(new JavaRDD[0]);
        return spark.createDataFrame(sc.union(inOrder), all.schema());
    }

    /**
     * Spark's refusal of an inferred schema with two columns of one name, as the refusal of the
     * first bad line when a line is at fault (a duplicate key, nested ones too), else Spark's
     * message naming the input.
     */
    private static IllegalArgumentException duplicateColumn(SparkSession spark, String what,
            String option, String path, Exception e) {
        try {
            IllegalArgumentException first = FirstBadLine.in(spark, option,
                    FirstBadLine.files(spark, path));
            if (first != null) {
                first.initCause(e);
                return first;
            }
        } catch (java.io.IOException | RuntimeException scan) {
            e.addSuppressed(scan);
        }
        return new IllegalArgumentException(what + ": " + JobErrors.oneLine(
                String.valueOf(e.getMessage())), e);
    }

    /**
     * Spark's error conditions that name a fault of the file read: every
     * {@code FAILED_READ_FILE} but {@code NO_HINT} (which wraps whatever reading threw, and is
     * judged by its cause), malformed records, a path that does not exist, a schema that
     * cannot be inferred. {@code SparkThrowable.getCondition()}; Spark 4.1.3's
     * {@code error-conditions.json}.
     */
    private static final Set<String> INPUT_CONDITIONS = Set.of(
            "FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER", "FAILED_READ_FILE.FILE_NOT_EXIST",
            "FAILED_READ_FILE.PARQUET_COLUMN_DATA_TYPE_MISMATCH",
            "FAILED_READ_FILE.UNSUPPORTED_FILE_SYSTEM", "PATH_NOT_FOUND", "UNABLE_TO_INFER_SCHEMA",
            "MALFORMED_CHARACTER_CODING", "CANNOT_PARSE_JSON_FIELD", "INVALID_JSON_ROOT_FIELD");

    /**
     * Hadoop's codecs: an {@link java.io.IOException} they throw themselves is about the bytes
     * they decode ("not a gzip file", "gzip stream CRC failure" from
     * {@code BuiltInGzipDecompressor}); the storage's failures come from the stream below them.
     */
    private static final String COMPRESSION = "org.apache.hadoop.io.compress.";

    /** Parquet's file reader: a plain {@link RuntimeException} it throws is about the file. */
    private static final String PARQUET_READER = "org.apache.parquet.hadoop.";

    /**
     * The classes a Hadoop {@code RemoteException} names when the file is at fault: not there,
     * or not to be read by this user (HDFS's NameNode answers so; the client usually unwraps
     * them, but not on every path).
     */
    private static final Set<String> REMOTE_INPUT_FAULTS = Set.of(
            "java.io.FileNotFoundException", "org.apache.hadoop.fs.PathNotFoundException",
            "org.apache.hadoop.security.AccessControlException",
            "org.apache.hadoop.fs.PathAccessDeniedException",
            "org.apache.hadoop.fs.PathIsDirectoryException");

    /**
     * Classes, by name (their libraries are not the job's dependencies), whose presence in a
     * cause chain says the file system refused the job's credentials, not the file: S3A's
     * {@code CredentialInitializationException} and its {@code NoAuthWithAWSException} ("No AWS
     * Credentials provided by ...", which S3A hands on inside a
     * {@link java.nio.file.AccessDeniedException}), and ABFS's
     * {@code TokenAccessProviderException} (an OAuth token that could not be had). A superclass
     * of that name counts too.
     */
    private static final Set<String> CREDENTIAL_CLASSES = Set.of(
            "org.apache.hadoop.fs.s3a.CredentialInitializationException",
            "org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException",
            "org.apache.hadoop.fs.azurebfs.contracts.exceptions.TokenAccessProviderException");

    /**
     * Hadoop's messages, in an {@code AccessControlException} (or a {@code RemoteException}
     * naming one), of an RPC connection that could not authenticate, as opposed to a file's
     * permissions ("Permission denied: user=etl, access=READ, inode=..."):
     * {@code SaslRpcClient}'s "Client cannot authenticate via:[TOKEN, KERBEROS]", the server's
     * "SIMPLE authentication is not enabled. Available:[TOKEN, KERBEROS]", the client's
     * "Server asks us to fall back to SIMPLE auth, but this client is configured to only allow
     * secure connections".
     */
    private static final java.util.regex.Pattern AUTHENTICATION = java.util.regex.Pattern
            .compile("(?i)cannot authenticate|authentication is not enabled"
                    + "|authentication is required|fall back to simple auth");

    /**
     * Whether an {@code AccessControlException}'s message is about authentication: one of
     * {@link #AUTHENTICATION}'s phrases, in a message that is not a file's refused permission
     * (HDFS's all begin "Permission denied", and name the file's path, which may hold any
     * phrase).
     */
    private static boolean authentication(String message) {
        return message != null && !message.startsWith("Permission denied")
                && AUTHENTICATION.matcher(message).find();
    }

    /**
     * Whether some link of {@code e}'s cause chain says the job's own login or credentials were
     * refused: an environment fault (exit 1, "the job's credentials were refused"), never the
     * input's, even where a refusal class that {@link #inputsFault} takes for the file's carries
     * it. A JAAS {@link javax.security.auth.login.LoginException} (a Kerberos login from a keytab
     * or a ticket cache), a {@link org.ietf.jgss.GSSException} ("No valid credentials provided
     * (Mechanism level: Failed to find any Kerberos tgt)"), a
     * {@link javax.security.sasl.SaslException} ("GSS initiate failed": Hadoop's RPC and Spark's
     * own connections authenticate by SASL), Hadoop's {@code KerberosAuthException},
     * {@code AuthorizationException} (a user not allowed to connect or to impersonate, not a
     * file's permission) and hadoop-auth's {@code AuthenticationException} (WebHDFS's SPNEGO),
     * an {@code AccessControlException} or a {@code RemoteException} naming one whose message is
     * about authentication ({@link #AUTHENTICATION}), or one of {@link #CREDENTIAL_CLASSES}.
     * Judged by class first, message second; a file's refused permission (HDFS's "Permission
     * denied", S3A's 403 as {@code AccessDeniedException} with no credentials class below it)
     * is not this. O(chain length x class depth).
     */
    static boolean credentialsRefused(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof javax.security.auth.login.LoginException
                    || c instanceof org.ietf.jgss.GSSException
                    || c instanceof javax.security.sasl.SaslException
                    || c instanceof org.apache.hadoop.security.KerberosAuthException
                    || c instanceof org.apache.hadoop.security.authorize.AuthorizationException
                    || c instanceof org.apache.hadoop.security.authentication.client
                            .AuthenticationException) {
                return true;
            }
            if (c instanceof org.apache.hadoop.security.AccessControlException
                    && authentication(c.getMessage())) {
                return true;
            }
            if (c instanceof org.apache.hadoop.ipc.RemoteException remote
                    && (remote.getClassName().equals(
                            "org.apache.hadoop.security.authorize.AuthorizationException")
                            || remote.getClassName().equals(
                                    "org.apache.hadoop.security.AccessControlException")
                                    && authentication(remote.getMessage()))) {
                return true;
            }
            if (named(c, CREDENTIAL_CLASSES) || storeSays(c, WRONG_KEY)) {
                return true;
            }
        }
        return false;
    }

    /**
     * S3's error codes that refuse the request's credentials, not the object: an access key
     * the service does not know ({@code InvalidAccessKeyId}, 403), a signature made with the
     * wrong secret ({@code SignatureDoesNotMatch}, 403), a session token that has expired or is
     * not one ({@code ExpiredToken}, {@code InvalidToken}, 400). S3's "Error responses" list;
     * {@code AccessDenied} (a policy refusing this object) is not among them. S3A hands a 401
     * or 403 on as {@link java.nio.file.AccessDeniedException}{@code (path, null, message)}
     * and a 400 as its {@code AWSBadRequestException}, the message ending in {@code ":" +}
     * the error code ({@code S3AUtils.translateException}); the v1 SDK's message says
     * {@code "Error Code: CODE;"}. Matched only so (after a colon at the message's end, or
     * after "Error Code: "), so a path that holds such a word is no match.
     */
    private static final java.util.regex.Pattern WRONG_KEY = s3Codes(
            "InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken");

    /**
     * S3's {@code RequestTimeTooSkewed} (403): the request's time, the machine's clock, is more
     * than 15 minutes from S3's. Neither the object's nor the key's fault: the clock of the
     * driver or of an executor (helper spark35; it was exit 2 as a denied object).
     */
    private static final java.util.regex.Pattern CLOCK_SKEWED = s3Codes("RequestTimeTooSkewed");

    /**
     * S3's {@code InvalidRange} (416) as the SDK says it: a read's range starts past the
     * object's end, so the object is shorter now than when the job listed it.
     */
    private static final java.util.regex.Pattern INVALID_RANGE = java.util.regex.Pattern.compile(
            "Status Code: 416\\b|(?::|Error Code: ?)InvalidRange(?:\\s*$|[;)])");

    /**
     * S3 error codes ({@code codes}, an alternation) where S3A and the v1 SDK place them:
     * after a colon at the message's end ({@code S3AUtils.translateException}: message + ":" +
     * error code) or after "Error Code: " (the v1 SDK's text), so that a path holding such a
     * word is no match.
     */
    private static java.util.regex.Pattern s3Codes(String codes) {
        return java.util.regex.Pattern.compile("(?::|Error Code: ?)(?:" + codes
                + ")(?:\\s*$|[;)])");
    }

    /**
     * Whether {@code c} is a store's answer carrying one of {@code codes}' error codes
     * ({@link #s3Codes}): an {@link java.nio.file.AccessDeniedException} (S3A's 403), or an
     * exception of S3A or of the AWS SDK (by package: neither is a dependency), whose message
     * matches. A plain {@link java.io.IOException} naming one is not judged so: nothing says
     * which store's code it is.
     */
    private static boolean storeSays(Throwable c, java.util.regex.Pattern codes) {
        String type = c.getClass().getName();
        return (c instanceof java.nio.file.AccessDeniedException
                || type.startsWith("org.apache.hadoop.fs.s3a.")
                || type.startsWith("software.amazon.awssdk.") || type.startsWith("com.amazonaws."))
                && c.getMessage() != null && codes.matcher(c.getMessage()).find();
    }

    /**
     * Whether some link of {@code e}'s cause chain is S3's {@code RequestTimeTooSkewed}
     * ({@link #CLOCK_SKEWED}): the machine's clock, an environment fault (exit 1, naming the
     * clock). O(chain length).
     */
    static boolean clockSkewed(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (storeSays(c, CLOCK_SKEWED)) {
                return true;
            }
        }
        return false;
    }

    /** How a report says that the store refused the machine's clock. */
    static final String CLOCK_REFUSED = "the store refused this machine's clock (S3's"
            + " RequestTimeTooSkewed: more than 15 minutes from the store's time; set the clock"
            + " of the driver and the executors right, e.g. by NTP): ";

    /**
     * S3A's classes, by name, that say the object changed under the read: its 416
     * ({@code RangeNotSatisfiableEOFException}, Hadoop 3.4: a range past the object's end) and
     * its change detection's {@code RemoteFileChangedException} (the object's ETag or version
     * differs from the one the stream opened).
     */
    private static final Set<String> CHANGED_CLASSES = Set.of(
            "org.apache.hadoop.fs.s3a.RangeNotSatisfiableEOFException",
            "org.apache.hadoop.fs.s3a.RemoteFileChangedException");

    /**
     * Whether {@code e}'s cause chain says the file changed while the job read it: one of
     * {@link #CHANGED_CLASSES}, or an {@link java.io.EOFException} over one of the SDK's service
     * answers ({@link #SDK_SERVICE_CLASSES}) that is S3's 416 ({@link #INVALID_RANGE}: Hadoop
     * 3.3's form of the same). S3 objects are written whole and never change in place: a range
     * past the end means another object was put at the key, shorter, after the job listed it.
     * The input's fault (exit 2, as a file deleted or cut after inference is): rerunning on an
     * input that someone rewrites during the job reads whichever version it meets. O(chain
     * length x class depth).
     */
    static boolean fileChanged(Throwable e) {
        boolean belowEof = false;
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (named(c, CHANGED_CLASSES) || belowEof && named(c, SDK_SERVICE_CLASSES)
                    && c.getMessage() != null && INVALID_RANGE.matcher(c.getMessage()).find()) {
                return true;
            }
            belowEof |= c instanceof java.io.EOFException;
        }
        return false;
    }

    /**
     * Whether {@code c}'s class or one of its superclasses is one of {@code names}: the classes
     * judged by name here belong to libraries (S3A, the AWS SDK, ABFS) that are not the job's
     * dependencies, so no {@code instanceof} can name them. O(class depth).
     */
    private static boolean named(Throwable c, Set<String> names) {
        return classNamed(c, k -> names.contains(k.getName()));
    }

    /** Whether {@code c}'s class or one of its superclasses passes {@code test}. */
    private static boolean classNamed(Throwable c, java.util.function.Predicate<Class<?>> test) {
        for (Class<?> k = c.getClass(); k != null; k = k.getSuperclass()) {
            if (test.test(k)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Classes, by name (superclasses too), that say the connection to the store broke while a
     * file was read: S3A's {@code HttpChannelEOFException} (its {@code ErrorTranslation} makes
     * one of the HTTP client's {@code NoHttpResponseException} and of OpenSSL's stream-closed
     * error, and its prefetching stream of a response that ended before the range it asked for).
     */
    private static final Set<String> CONNECTION_CLASSES = Set.of(
            "org.apache.hadoop.fs.s3a.HttpChannelEOFException");

    /**
     * The HTTP client's exceptions (Apache HttpClient 4 and 5, also as the AWS SDK shades them
     * under {@code software.amazon.awssdk.thirdparty.}), by simple name: a response body that
     * ended before its {@code Content-Length} or its last chunk ("Premature end of
     * Content-Length delimited message body (expected: 4096; received: 1024)"), a server that
     * did not answer.
     */
    private static final Set<String> HTTP_CONNECTION_NAMES = Set.of(
            "ConnectionClosedException", "NoHttpResponseException",
            "MalformedChunkCodingException", "TruncatedChunkException");

    /**
     * The AWS SDK's client-side failures (v1 and v2), by name: below an
     * {@link java.io.EOFException}, S3A's translation of a connection that broke
     * ({@code S3AUtils.translateException}: a non-service SDK failure whose text is the XML
     * parser's "Failed to sanitize XML document destined for handler class" or the v2 SDK's
     * "Data read has a different length than the expected" becomes
     * {@code new EOFException(message).initCause(sdkException)}). A service's answer (an
     * {@code AwsServiceException}, which S3A's 416 puts below its
     * {@code RangeNotSatisfiableEOFException}: the object became shorter) is none of these.
     */
    private static final Set<String> SDK_CLIENT_CLASSES = Set.of(
            "software.amazon.awssdk.core.exception.SdkClientException",
            "com.amazonaws.SdkClientException");

    /**
     * The AWS SDK's service answers (v1 and v2), by name: no client failure even where one of
     * {@link #SDK_CLIENT_CLASSES} is among their superclasses. The v1 SDK's
     * {@code AmazonServiceException} (and so {@code AmazonS3Exception}) extends its
     * {@code SdkClientException}, and S3A of Hadoop 3.3 makes its 416 (the object shrank under
     * the read: the file's change, exit 2) {@code new EOFException(message).initCause(ase)}:
     * without this a shrunken object read as a broken connection (helper review34a).
     */
    private static final Set<String> SDK_SERVICE_CLASSES = Set.of(
            "software.amazon.awssdk.core.exception.SdkServiceException",
            "com.amazonaws.AmazonServiceException");

    /**
     * Whether {@code c} is one of the SDK's client-side failures ({@link #SDK_CLIENT_CLASSES},
     * by its class or a superclass) and none of its service answers
     * ({@link #SDK_SERVICE_CLASSES}). O(class depth).
     */
    private static boolean sdkClientFailure(Throwable c) {
        return named(c, SDK_CLIENT_CLASSES) && !named(c, SDK_SERVICE_CLASSES);
    }

    /**
     * What the HTTP layers say, in a plain {@link java.io.IOException} at the bottom of a
     * chain, of a connection closed under a read: Apache HttpClient's "Attempted read from
     * closed stream.", the JDK's HTTP client's "Premature EOF", OpenSSL's {@code WFOPENSSL0035}
     * (stream closed; S3A matches it by message too, its class varying), and the SDK's two
     * texts above, where its exception did not come with them.
     */
    private static final java.util.regex.Pattern CONNECTION_TEXT = java.util.regex.Pattern
            .compile("Attempted read (?:from|on) closed stream|Premature EOF|WFOPENSSL0035"
                    + "|Premature end of (?:Content-Length delimited message body|chunk coded"
                    + " message body)|Failed to sanitize XML document destined for handler class"
                    + "|Data read has a different length than the expected");

    /**
     * Whether {@code e}'s cause chain says the connection to the store failed while a file was
     * read, so that an end of data or a refusal of the file's above it is no sign of the file:
     * some link is a {@link java.net.SocketException} ("Connection reset"), a
     * {@link java.net.SocketTimeoutException}, a {@link javax.net.ssl.SSLException}, one of
     * {@link #CONNECTION_CLASSES} or {@link #HTTP_CONNECTION_NAMES}, or an
     * {@link java.io.EOFException} with one of {@link #SDK_CLIENT_CLASSES} below it (not a
     * service's answer, {@link #SDK_SERVICE_CLASSES}); or the
     * innermost link, a plain {@code IOException} or {@code EOFException}, says so in words
     * ({@link #CONNECTION_TEXT}: only there, where no path is quoted, and not in a message of
     * Spark's or S3A's, which name the file). A truly cut gzip has none of these: the JDK's
     * {@code GZIPInputStream} ends with "Unexpected end of ZLIB input stream", Hadoop's codecs
     * with "Unexpected end of input stream", each an {@code EOFException} over nothing. The
     * S3A input stream's own frames on an {@code EOFException} are no sign: its
     * {@code readFully} throws one for a file shorter than asked (a cut Parquet file), its
     * {@code reopen} one for S3's 416 (the object shrank under the read). O(chain length x
     * class depth).
     */
    static boolean connectionBroken(Throwable e) {
        boolean belowEof = false;
        Throwable root = e;
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            root = c;
            if (c instanceof java.net.SocketException
                    || c instanceof java.net.SocketTimeoutException
                    || c instanceof javax.net.ssl.SSLException) {
                return true;
            }
            if (classNamed(c, k -> CONNECTION_CLASSES.contains(k.getName())
                    || HTTP_CONNECTION_NAMES.contains(k.getSimpleName())
                            && k.getName().contains(".http."))) {
                return true;
            }
            if (belowEof && sdkClientFailure(c)) {
                return true;
            }
            belowEof |= c instanceof java.io.EOFException;
        }
        return (root.getClass() == java.io.IOException.class
                || root.getClass() == java.io.EOFException.class)
                && root.getMessage() != null && CONNECTION_TEXT.matcher(root.getMessage()).find();
    }

    /**
     * Whether {@code e}, thrown while Spark inferred an input's schema, is evidently the
     * input's fault (exit 2, "cannot be read as ..."): some link of its cause chain is
     * <ul>
     *   <li>a file that does not exist or may not be read: {@link java.io.FileNotFoundException},
     *       NIO's {@code NoSuchFileException} and {@code AccessDeniedException}, Hadoop's
     *       {@code AccessControlException}, {@code PathNotFoundException},
     *       {@code PathAccessDeniedException}, {@code PathPermissionException} and
     *       {@code PathIsDirectoryException} (a directory where a file was read), or a
     *       {@code RemoteException} naming one of those ({@link #REMOTE_INPUT_FAULTS});</li>
     *   <li>bytes that are not what the format says: Jackson's {@code JsonProcessingException},
     *       a {@link java.nio.charset.CharacterCodingException}, Parquet's decoding and record
     *       exceptions and a plain {@link RuntimeException} thrown by its file reader ("is not
     *       a Parquet file"), Hadoop's {@code ChecksumException};</li>
     *   <li>a compressed file that is not gzip or is cut short: a
     *       {@link java.util.zip.ZipException} or {@link java.util.zip.DataFormatException}, an
     *       {@link java.io.IOException} thrown by Hadoop's codecs ({@link #COMPRESSION}), an
     *       {@link java.io.EOFException};</li>
     *   <li>one of Spark's conditions in {@link #INPUT_CONDITIONS};</li>
     *   <li>a file that changed while the job read it ({@link #fileChanged}: S3's 416, S3A's
     *       change detection).</li>
     * </ul>
     * Anything else (a cancelled job or stage, a lost executor, a task or record the job could
     * not serialize, a JVM error, an I/O failure of the storage rather than of the file's bytes,
     * a refusal of the job's login or credentials ({@link #credentialsRefused}) or of the
     * machine's clock ({@link #clockSkewed}), which are asked first and override the list, a plain {@link java.io.IOException} whose message
     * holds an HTTP 403: a store's 403 may be a quota or a billing refusal as well as the
     * file's permission) is not: the job reports it as its own failure, exit 1, its cause
     * named. Before, the rule was negative (every failure but serialization and JVM errors was
     * the input's), so a lost executor or a cancelled stage during schema inference sent the
     * user to a good input file. O(chain length).
     */
    static boolean inputsFault(Throwable e) {
        if (credentialsRefused(e) || clockSkewed(e) || connectionBroken(e)) {
            // A login or credentials refusal is the environment's, whatever refusal class
            // carries it (S3A's AccessDeniedException, Hadoop's AccessControlException); so is
            // a refused clock (a 403 too), and a connection that failed, whatever end of data
            // it left (S3A's EOFException) or condition Spark put over it
            // (CANNOT_READ_FILE_FOOTER wraps any footer failure).
            return false;
        }
        if (fileChanged(e)) {
            // S3A's RemoteFileChangedException is a plain PathIOException to the list below.
            return true;
        }
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof org.apache.spark.SparkThrowable s
                    && s.getCondition() != null && (INPUT_CONDITIONS.contains(s.getCondition())
                            || s.getCondition().startsWith("MALFORMED_RECORD_IN_PARSING"))) {
                return true;
            }
            if (c instanceof java.io.FileNotFoundException
                    || c instanceof java.nio.file.NoSuchFileException
                    || c instanceof java.nio.file.AccessDeniedException
                    || c instanceof java.nio.charset.CharacterCodingException
                    || c instanceof java.util.zip.ZipException
                    || c instanceof java.io.EOFException
                    || c instanceof com.fasterxml.jackson.core.JsonProcessingException
                    || c instanceof org.apache.hadoop.fs.ChecksumException
                    || c instanceof org.apache.hadoop.security.AccessControlException
                    || c instanceof org.apache.hadoop.fs.PathNotFoundException
                    || c instanceof org.apache.hadoop.fs.PathAccessDeniedException
                    || c instanceof org.apache.hadoop.fs.PathPermissionException
                    || c instanceof org.apache.hadoop.fs.PathIsDirectoryException) {
                return true;
            }
            // A server's refusal not unwrapped into its own class (Hadoop's RPC or WebHDFS):
            // judged by the class it names (review32s).
            if (c instanceof org.apache.hadoop.ipc.RemoteException remote
                    && REMOTE_INPUT_FAULTS.contains(remote.getClassName())) {
                return true;
            }
            String type = c.getClass().getName();
            if (type.equals("org.apache.parquet.io.ParquetDecodingException")
                    || type.equals("org.apache.parquet.io.InvalidRecordException")
                    || c instanceof java.util.zip.DataFormatException
                    || c instanceof java.io.IOException && JobErrors.thrownBy(c, COMPRESSION)
                    // Parquet's reader refuses a file that is not Parquet ("is not a Parquet
                    // file. Expected magic number at tail", a footer outside the file) with a
                    // plain RuntimeException; inference wraps it in CANNOT_READ_FILE_FOOTER, a
                    // task of the job in FAILED_READ_FILE.NO_HINT (late32).
                    || c.getClass() == RuntimeException.class
                            && JobErrors.thrownBy(c, PARQUET_READER)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code c} is Spark's failure to read a file (condition FAILED_READ_FILE...). */
    static boolean failedRead(Throwable c) {
        return c instanceof org.apache.spark.SparkThrowable s && s.getCondition() != null
                && s.getCondition().startsWith("FAILED_READ_FILE");
    }

    /**
     * A failure to read an input file after its schema was inferred, as the job reports it:
     * null when {@code failure} holds no Spark read failure ({@code FAILED_READ_FILE.*}), or was
     * judged already (a bad-input cause, a {@link JobErrors.NotTheInput}, a serializer's
     * failure). A file deleted or cut short between Spark's schema inference and the reads
     * after it (the job's checks, its fit), or a part file of a directory that inference never
     * opened (Parquet reads one footer), fails in a task, where {@link #read} does not judge it:
     * it was exit 1, "unexpected SparkException", the file named only inside Spark's message
     * (review32s). Judged now as {@link #read} judges inference's failures
     * ({@link #inputsFault} on the read failure and its causes): the file's fault is an
     * {@link IllegalArgumentException} (exit 2), anything else a {@link JobErrors.NotTheInput}
     * (exit 1), each naming the option whose input holds the file (its path, then the file's
     * when the input is a directory or glob), or the file as Spark gives it when no input holds
     * it, and the innermost cause. An input holds the file as given (qualified: Spark's listing
     * keeps the input's form, links and all) or else resolved ({@link #resolved}: a file Spark
     * names by a link's target or a mount point's, as a metadata log of absolute paths does).
     *
     * @param inputs option to path, in the order to match (the first input holding the file
     *     names it)
     * @param format the job's {@code --format}
     * @param began when the job began reading its inputs (epoch ms): a failing file modified
     *     later changed under the job ({@link ShortReads#check}); {@link Long#MAX_VALUE} when
     *     not known
     */
    static RuntimeException lateReadFailure(org.apache.hadoop.conf.Configuration conf,
            Throwable failure, Map<String, String> inputs, String format, long began) {
        if (JobErrors.badInput(failure) != null) {
            return null;
        }
        org.apache.spark.SparkThrowable read = null;
        for (Throwable c = failure; c != null && read == null;
                c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof JobErrors.NotTheInput || JobErrors.serializers(c)) {
                return null;
            }
            if (failedRead(c)) {
                read = (org.apache.spark.SparkThrowable) c;
            }
        }
        if (read == null) {
            return null;
        }
        Throwable readFailure = (Throwable) read;
        String given = read.getMessageParameters() == null ? null
                : read.getMessageParameters().get("path");
        org.apache.hadoop.fs.Path file = given == null ? null : sparksPath(given);
        String what = given == null ? "an input file" : String.valueOf(file);
        String f = null;
        // As given first; then, when no input holds the file so, each side resolved (links,
        // mount points): local look-ups only, never the (perhaps failing) remote store's.
        for (int pass = 0; file != null && f == null && pass < 2; pass++) {
            for (Map.Entry<String, String> input : inputs.entrySet()) {
                int holds = holds(conf, input.getValue(), file, pass == 1);
                if (holds != 0) {
                    what = input.getKey() + " " + input.getValue()
                            + (holds == 1 ? "" : ": file " + file);
                    try {
                        f = format(input.getValue(), format);
                    } catch (IllegalArgumentException unknown) {
                        f = ""; // read all the same (--format named it): say no format
                    }
                    break;
                }
            }
        }
        return judged(conf, what, f == null || f.isEmpty() ? null : f, file, began,
                readFailure, failure);
    }

    /**
     * A read failure as the job reports it, judged by {@link #inputsFault} on {@code cause}:
     * the file's fault an {@link IllegalArgumentException} (exit 2, "cannot be read as ...",
     * or "changed while the job read it" for S3's 416, {@link #fileChanged}), anything else a
     * {@link JobErrors.NotTheInput} (exit 1); each names {@code what} and the innermost cause,
     * over {@code failure} as it was thrown. A verdict of the file's that rests on an end of
     * data (an {@link java.io.EOFException}: a cut gzip, a cut Parquet file) is checked against
     * the file's length first ({@link ShortReads#check}): S3A's {@code read} answers -1 for an
     * end of data its connection met (and for a 416), so a stream the store cut short reads
     * as a cut file; one whose bytes are fewer than the file system's length, or whose file
     * reads whole on a second read, is the connection's (exit 1, "the read ended at byte X of
     * Y"), unless the file was modified after {@code began}: then the two reads saw two files,
     * and it changed under the job (exit 2, "changed while the job read it"). That costs one
     * more read of the failing file, on the driver, only then.
     *
     * @param format the input's format, or null when it is not known (then not said)
     * @param file the file that failed, or null to take it from Spark's read failure in
     *     {@code cause} (none: no length check)
     * @param began when the job began reading (epoch ms), or {@link Long#MAX_VALUE}
     */
    private static RuntimeException judged(org.apache.hadoop.conf.Configuration conf,
            String what, String format, org.apache.hadoop.fs.Path file, long began,
            Throwable cause, Throwable failure) {
        if (inputsFault(cause)) {
            if (fileChanged(cause)) {
                return changed(what, "the store's object is shorter now than where the read"
                        + " was, or not the one the read opened", cause, failure);
            }
            org.apache.hadoop.fs.Path failed = file != null ? file : failedFile(cause);
            ShortReads.Finding second = failed == null || !endOfData(cause) ? null
                    : ShortReads.check(conf, failed, began);
            if (second == null) {
                return new IllegalArgumentException(what + ": cannot be read"
                        + (format == null ? "" : " as "
                                + (format.equals("json") ? "JSON Lines" : format))
                        + ": " + rootMessage(cause), failure);
            }
            if (second.changed()) {
                return changed(what, JobErrors.oneLine(second.line()), cause, failure);
            }
            return new JobErrors.NotTheInput(what + ": reading it failed, and not for anything"
                    + " in it: its connection failed: " + JobErrors.oneLine(second.line()) + " ("
                    + rootMessage(cause) + ")", failure);
        }
        return new JobErrors.NotTheInput(what + ": reading it failed, and not for anything in"
                + " it: " + (credentialsRefused(cause) ? CREDENTIALS_REFUSED
                        : clockSkewed(cause) ? CLOCK_REFUSED
                        : connectionBroken(cause) ? "its connection failed: " : "")
                + rootMessage(cause), failure);
    }

    /**
     * An input that changed while the job read it (exit 2), {@code how} saying how that is
     * known: S3's 416 or S3A's change detection ({@link #fileChanged}), or a file modified after
     * the job began whose second read differs from the first ({@link ShortReads#check}).
     */
    private static IllegalArgumentException changed(String what, String how, Throwable cause,
            Throwable failure) {
        return new IllegalArgumentException(what + ": changed while the job read it (" + how
                + "; do not replace an input while the job runs): " + rootMessage(cause),
                failure);
    }

    /** Whether some link of {@code e}'s cause chain is an {@link java.io.EOFException}. */
    private static boolean endOfData(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.io.EOFException) {
                return true;
            }
        }
        return false;
    }

    /** The file of the first Spark read failure in {@code e}'s chain, or null. */
    private static org.apache.hadoop.fs.Path failedFile(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (failedRead(c)) {
                Map<String, String> parameters = ((org.apache.spark.SparkThrowable) c)
                        .getMessageParameters();
                String given = parameters == null ? null : parameters.get("path");
                return given == null ? null : sparksPath(given);
            }
        }
        return null;
    }

    /** How a report says that the job's login or credentials were refused. */
    static final String CREDENTIALS_REFUSED = "the job's credentials were refused: ";

    /**
     * A refusal of the job's credentials ({@link #credentialsRefused}) while the job used
     * {@code what} (an output, listed, written or renamed into place) as the job reports it:
     * a {@link JobErrors.NotTheInput} (exit 1) naming {@code what} and the innermost cause, over
     * {@code failure}; null when {@code failure} is no such refusal (left to its own report).
     *
     * @param what the option and its path, as the user gave them (the report redacts it)
     * @param doing what the job did there ("writing it failed"), or null
     */
    static JobErrors.NotTheInput refusedCredentials(String what, String doing,
            Throwable failure) {
        if (JobErrors.badInput(failure) != null || !credentialsRefused(failure)) {
            return null;
        }
        return new JobErrors.NotTheInput(what + ": " + (doing == null ? "" : doing + ": ")
                + CREDENTIALS_REFUSED + rootMessage(failure), failure);
    }

    /**
     * A store's refusal while the job used the output {@code what} (looked up, written or
     * renamed into place), as the job reports it; null when {@code failure} is none (left to
     * its own report). The job's credentials ({@link #refusedCredentials}) or the machine's
     * clock ({@link #clockSkewed}) refused: a {@link JobErrors.NotTheInput} (exit 1). The path
     * itself refused (a bucket policy's {@code AccessDenied}, HDFS's "Permission denied":
     * {@link #accessDenied}): an {@link IllegalArgumentException} (exit 2, as a refused input
     * is: the user named a path the job may not write), "WHAT: DOING: access denied: ROOT".
     * Each names the option and its path as the user gave them, not the hidden staging
     * directory, and the innermost cause.
     *
     * @param doing what the job did there ("writing it failed")
     */
    static RuntimeException outputRefused(String what, String doing, Throwable failure) {
        RuntimeException refused = refusedCredentials(what, doing, failure);
        if (refused != null || JobErrors.badInput(failure) != null) {
            return refused;
        }
        if (clockSkewed(failure)) {
            return new JobErrors.NotTheInput(what + ": " + doing + ": " + CLOCK_REFUSED
                    + rootMessage(failure), failure);
        }
        if (accessDenied(failure)) {
            return new IllegalArgumentException(what + ": " + doing + ": access denied: "
                    + rootMessage(failure), failure);
        }
        return null;
    }

    /**
     * Whether some link of {@code e}'s cause chain refuses the path itself, not the job's
     * credentials (the caller asks {@link #credentialsRefused} and {@link #clockSkewed} first):
     * NIO's {@link java.nio.file.AccessDeniedException} (S3A's 403 {@code AccessDenied}, the
     * local file system), Hadoop's {@code AccessControlException} (HDFS's "Permission denied"),
     * {@code PathAccessDeniedException}, {@code PathPermissionException}, or a
     * {@code RemoteException} naming one of the first two. O(chain length).
     */
    static boolean accessDenied(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.nio.file.AccessDeniedException
                    || c instanceof org.apache.hadoop.security.AccessControlException
                    || c instanceof org.apache.hadoop.fs.PathAccessDeniedException
                    || c instanceof org.apache.hadoop.fs.PathPermissionException
                    || c instanceof org.apache.hadoop.ipc.RemoteException remote
                            && Set.of("org.apache.hadoop.security.AccessControlException",
                                    "org.apache.hadoop.fs.PathAccessDeniedException")
                                    .contains(remote.getClassName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The file of a {@code FAILED_READ_FILE} condition: Spark gives a task's file URL-encoded
     * ({@code PartitionedFile.urlEncodedPath}: a space is {@code %20}), a footer's as the path
     * itself.
     */
    private static org.apache.hadoop.fs.Path sparksPath(String given) {
        try {
            return new org.apache.hadoop.fs.Path(new java.net.URI(given));
        } catch (java.net.URISyntaxException | IllegalArgumentException notEncoded) {
            return new org.apache.hadoop.fs.Path(given);
        }
    }

    /**
     * Whether the input at {@code path} (a file, a directory or a glob) holds {@code file}: 1
     * when it is that file, 2 when the file is under it or matches its glob, 0 when not (or
     * when the input's file system cannot be reached to qualify it). Paths are compared fully
     * qualified, so {@code /a} and {@code file:///a} are one, and Hadoop's {@code Path}
     * normalises {@code ./}, {@code ..}, repeated and trailing slashes, and qualifies a relative
     * path against the file system's working directory (as Spark's listing does).
     *
     * @param resolve whether both sides are compared resolved ({@link #resolved}): a file
     *     Spark names by its target, where the input was given through a symbolic link or a
     *     mount point (a {@code viewfs://} mount), or the other way round
     */
    private static int holds(org.apache.hadoop.conf.Configuration conf, String path,
            org.apache.hadoop.fs.Path file, boolean resolve) {
        org.apache.hadoop.fs.Path in;
        org.apache.hadoop.fs.Path f;
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            in = p.getFileSystem(conf).makeQualified(p);
            f = file.getFileSystem(conf).makeQualified(file);
        } catch (java.io.IOException | RuntimeException e) {
            // RuntimeException too: a scheme whose class is not on the driver's class path
            // (Hadoop's own defaults name S3A's) fails in Configuration.getClass, and the
            // failure being reported must not be lost to this look-up.
            return 0;
        }
        if (resolve) {
            in = resolved(conf, in);
            f = resolved(conf, f);
            if (in == null || f == null) {
                return 0;
            }
        }
        String input = key(in);
        if (key(f).equals(input)) {
            return 1;
        }
        boolean glob = path.matches(".*[*?\\[{].*");
        for (org.apache.hadoop.fs.Path p = f.getParent(); p != null; p = p.getParent()) {
            if (key(p).equals(input)) {
                return 2;
            }
        }
        if (glob) {
            for (org.apache.hadoop.fs.Path p = f; p != null; p = p.getParent()) {
                try {
                    if (org.apache.hadoop.fs.GlobPattern.compile(input).matcher(key(p))
                            .matches()) {
                        return 2;
                    }
                } catch (RuntimeException badGlob) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /** How many mount tables deep {@link #resolved} follows a mount point's target. */
    private static final int MOUNT_DEPTH = 8;

    /**
     * {@code qualified} resolved without asking a remote store: on a {@code viewfs://} file
     * system (or one that overloads a scheme with a mount table) the longest mount point holding
     * it is replaced by its one target, from the client's own mount table (no call to the
     * target), and that target resolved in turn; on the local file system (or one built on it)
     * the NIO real path of its nearest ancestor that exists (symbolic links resolved; a failing
     * file may be gone, and a glob's pattern exists nowhere), the rest of the path kept as it
     * is. Any other file system's path is kept as it is: HDFS (links are off in Hadoop's
     * {@code FileSystem} API) and the object stores have no links, and their
     * {@code resolvePath} is a remote status call per path element that a failing cluster or
     * store may retry for minutes (HDFS's connection retries, S3A's retry policy, a SASL
     * relogin's back-off), after a failure and once per input. A mount with several targets
     * (nfly, merge) is kept as it is. Null when the file system cannot be had. Costs no network
     * call; a local look-up per missing path element.
     */
    private static org.apache.hadoop.fs.Path resolved(org.apache.hadoop.conf.Configuration conf,
            org.apache.hadoop.fs.Path qualified) {
        org.apache.hadoop.fs.Path p = qualified;
        for (int depth = 0; depth < MOUNT_DEPTH; depth++) {
            org.apache.hadoop.fs.FileSystem fs;
            try {
                fs = p.getFileSystem(conf);
            } catch (java.io.IOException | RuntimeException unreachable) {
                return null;
            }
            if (fs instanceof org.apache.hadoop.fs.viewfs.ViewFileSystem view) {
                org.apache.hadoop.fs.Path target = mounted(view, p);
                if (target == null) {
                    return p;
                }
                try {
                    p = target.getFileSystem(conf).makeQualified(target);
                } catch (java.io.IOException | RuntimeException unreachable) {
                    return null;
                }
                continue;
            }
            return fs instanceof org.apache.hadoop.fs.LocalFileSystem
                    || fs instanceof org.apache.hadoop.fs.RawLocalFileSystem
                    ? realLocal(fs, p) : p;
        }
        return p;
    }

    /**
     * {@code p} on the target of the longest mount point of {@code view}'s mount table that
     * holds it, or null when none does or that mount has more than one target. The table is
     * the client's (its configuration): no call to any file system.
     */
    private static org.apache.hadoop.fs.Path mounted(
            org.apache.hadoop.fs.viewfs.ViewFileSystem view, org.apache.hadoop.fs.Path p) {
        String path = p.toUri().getPath();
        String best = null;
        java.net.URI[] targets = null;
        for (org.apache.hadoop.fs.viewfs.ViewFileSystem.MountPoint m : view.getMountPoints()) {
            String on = m.getMountedOnPath().toUri().getPath();
            String prefix = on.endsWith("/") ? on : on + "/";
            if ((path.equals(on) || path.startsWith(prefix))
                    && (best == null || on.length() > best.length())) {
                best = on;
                targets = m.getTargetFileSystemURIs();
            }
        }
        if (best == null || targets == null || targets.length != 1) {
            return null;
        }
        String prefix = best.endsWith("/") ? best : best + "/";
        String rest = path.equals(best) ? "" : path.substring(prefix.length());
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(targets[0]);
        return rest.isEmpty() ? target : new org.apache.hadoop.fs.Path(target, rest);
    }

    /**
     * {@code p} (on the local file system {@code fs}) with the symbolic links of its nearest
     * existing ancestor resolved, the missing rest kept as it is; null when no ancestor can be
     * resolved.
     */
    private static org.apache.hadoop.fs.Path realLocal(org.apache.hadoop.fs.FileSystem fs,
            org.apache.hadoop.fs.Path p) {
        java.util.ArrayDeque<String> rest = new java.util.ArrayDeque<>();
        for (org.apache.hadoop.fs.Path at = p; at != null; at = at.getParent()) {
            try {
                org.apache.hadoop.fs.Path r = realPath(fs, at);
                for (String name : rest) {
                    r = new org.apache.hadoop.fs.Path(r, name);
                }
                return r;
            } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException gone) {
                // A missing file, or a link whose target is gone: kept as a name.
                if (at.getParent() != null) {
                    rest.push(at.getName());
                }
            } catch (java.io.IOException | RuntimeException unreadable) {
                return null;
            }
        }
        return null;
    }

    /** The NIO real path of {@code p} on the local file system {@code fs}, qualified. */
    private static org.apache.hadoop.fs.Path realPath(org.apache.hadoop.fs.FileSystem fs,
            org.apache.hadoop.fs.Path p) throws java.io.IOException {
        java.io.File local = fs instanceof org.apache.hadoop.fs.LocalFileSystem l
                ? l.pathToFile(p) : ((org.apache.hadoop.fs.RawLocalFileSystem) fs).pathToFile(p);
        java.nio.file.Path real = local.toPath().toRealPath();
        return fs.makeQualified(new org.apache.hadoop.fs.Path(real.toUri().getPath()));
    }

    /** A qualified path as one string: scheme, authority when there is one, path. */
    private static String key(org.apache.hadoop.fs.Path p) {
        java.net.URI u = p.toUri();
        String authority = u.getAuthority() == null ? "" : u.getAuthority();
        return u.getScheme() + "://" + authority + u.getPath().replaceAll("/+$", "");
    }

    /** Whether {@code path} is a directory (its partition columns come from its k=v folders). */
    private static boolean directory(SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration())
                    .getFileStatus(p).isDirectory();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(path + ": " + e.getMessage(), e);
        }
    }

    /** A reader of format {@code f}: JSON strictly (no single-quoted strings or names). */
    private static DataFrameReader reader(SparkSession spark, String f) {
        DataFrameReader r = spark.read().format(f);
        return f.equals("json") ? r.option("allowSingleQuotes", "false") : r;
    }

    /**
     * Refuses a {@code labelField} whose values are arrays or objects, as the CLI refuses them
     * (they formed groups named {@code ArraySeq(a)}).
     */
    private static void scalarLabels(String what, Dataset<Row> all, String labelField) {
        org.apache.spark.sql.types.StructType schema = all.schema();
        int at = java.util.Arrays.asList(schema.fieldNames()).indexOf(labelField);
        if (at < 0) {
            return;
        }
        org.apache.spark.sql.types.DataType type = schema.fields()[at].dataType();
        if (type instanceof org.apache.spark.sql.types.ArrayType
                || type instanceof org.apache.spark.sql.types.StructType
                || type instanceof org.apache.spark.sql.types.MapType) {
            throw new IllegalArgumentException(what + ": label field '" + labelField + "' holds "
                    + type.simpleString() + " values; labels must be strings, numbers or booleans");
        }
    }

    /** The innermost message of {@code t}'s cause chain, one line. */
    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getClass().getSimpleName() + ": " + root.getMessage();
        return JobErrors.oneLine(m);
    }

    /**
     * The rows spread over at least {@code partitions} partitions in their order: a file under
     * the reader's split size (128 MB by default) is one partition, so without this one task
     * would embed every row while the other cores idle. Each row is numbered
     * ({@code zipWithIndex}) and sent to the partition of its index range, sorted by index
     * within it, so the rows keep their global order (which numbers them for the learner).
     * Rows already in that many partitions or more are returned as they are.
     */
    static Dataset<Row> spread(SparkSession spark, Dataset<Row> rows, int partitions) {
        JavaRDD<Row> rdd = rows.javaRDD();
        if (rdd.getNumPartitions() >= partitions) {
            return rows;
        }
        JavaPairRDD<Long, Row> numbered = rdd.zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
        long n = numbered.count();
        if (n == 0) {
            return rows;
        }
        JavaRDD<Row> ordered = numbered.repartitionAndSortWithinPartitions(
                new IndexRanges(n, partitions)).values();
        return spark.createDataFrame(ordered, rows.schema());
    }

    /** Row index to partition: equal contiguous ranges of [0, n). */
    private static final class IndexRanges extends org.apache.spark.Partitioner {
        private static final long serialVersionUID = 1L;
        private final long n;
        private final int partitions;

        IndexRanges(long n, int partitions) {
            this.n = n;
            this.partitions = partitions;
        }

        @Override
        public int numPartitions() {
            return partitions;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.min(partitions - 1, (Long) key * partitions / n);
        }
    }

    /**
     * Writes {@code rows}; JSON Lines keep their null fields ({@code "note": null} was dropped
     * from the records the job passes through).
     */
    static void write(Dataset<Row> rows, String path, String format) {
        rows.write().mode(SaveMode.ErrorIfExists).format(format(path, format))
                .option("ignoreNullFields", "false").save(path);
    }

    /** Writes JSON Lines records already written out, one per line, as Spark writes text. */
    static void writeLines(SparkSession spark, JavaRDD<String> lines, String path) {
        spark.createDataset(lines.rdd(), org.apache.spark.sql.Encoders.STRING()).write()
                .mode(SaveMode.ErrorIfExists).text(path);
    }
}
