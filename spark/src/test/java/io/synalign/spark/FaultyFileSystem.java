package io.synalign.spark;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;

/**
 * The local file system under the scheme {@value #SCHEME}, whose {@code open} inside a Spark task
 * fails as the file's name asks: {@code cancel-*} cancels every job of the active context (as a
 * user's or a scheduler's cancellation does) and then reads on, {@code storage-*} throws an
 * {@link IOException} that is the storage's, not the file's, {@code denied-*} throws
 * {@link AccessDeniedException} (a file that may not be read: the tests run as root, for whom
 * {@code chmod 000} denies nothing); as HDFS or a Hadoop file system answers, {@code gone-*}
 * throws {@code PathNotFoundException}, {@code isdir-*} {@code PathIsDirectoryException},
 * {@code remote-*} a {@code RemoteException} naming {@code FileNotFoundException}, and
 * {@code safemode-*} one naming the NameNode's {@code SafeModeException} (the storage's, not the
 * file's). A {@code late-} file is read as it is while Spark infers its schema, and fails only
 * in the reads after that (the job's checks and its fit), as a file changed between the two:
 * {@code late-gone-*} throws {@link java.io.FileNotFoundException} (deleted), {@code late-cut-*}
 * cuts the file to its first half at the first such read (truncated in place, so that its length
 * and a second read say so too; a gzip then ends early), {@code late-short-*} opens a stream
 * that ends (-1) at the file's half while the file stays whole (as S3A's read answers -1 for a
 * connection that ended the response early), {@code late-rewrite-*} does the same and writes
 * the file again in place, whole (a file replaced under the job: its modification time is the
 * late read's), {@code late-storage-*}
 * throws the storage's {@link IOException}, {@code late-s3eof-*} and {@code late-s3channel-*}
 * open a stream whose reads fail as S3A reports a connection that broke ({@link #refusal}),
 * {@code late-s3range-*} one whose reads fail with S3A's 416 (the object shrank).
 * A {@code short-} file's every stream ends at its half, in tasks and on the driver alike (a
 * store that cuts every response short), its status giving the whole length.
 * Outside a task (the driver's listing and checks) it is the local file system. A {@code refuse-KIND-WHEN-} file is refused as a store or a secured
 * cluster refuses it ({@link #refusal}), WHEN being {@code open} (a task's open), {@code read}
 * (a task's read of the opened stream), {@code list} (the driver's listing and status of the
 * path) or {@code write} (a directory or a file made under the path, as Spark's committer and
 * tasks write an output). Installed on a session by {@link #install}.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {

    static final String SCHEME = "synalign-faulty";
    private static final URI NAME = URI.create(SCHEME + ":///");

    /** Makes {@code conf} open {@value #SCHEME} paths with this class (never cached). */
    static void install(Configuration conf) {
        conf.set("fs." + SCHEME + ".impl", FaultyFileSystem.class.getName());
        conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    }

    /** Undoes {@link #install}. */
    static void uninstall(Configuration conf) {
        conf.unset("fs." + SCHEME + ".impl");
        conf.unset("fs." + SCHEME + ".impl.disable.cache");
    }

    /** {@code file} under this file system's scheme. */
    static String path(java.nio.file.Path file) {
        return SCHEME + "://" + file.toAbsolutePath();
    }

    @Override
    public URI getUri() {
        return NAME;
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public void initialize(URI uri, Configuration conf) throws IOException {
        super.initialize(NAME, conf);
    }

    /**
     * What a store or a secured cluster throws for a {@code refuse-KIND-...} file, as its client
     * hands it on: {@code s3denied} S3A's 403 ({@link AccessDeniedException}), {@code s3nocreds}
     * S3A's missing credentials (an {@link AccessDeniedException} over
     * {@code NoAuthWithAWSException}), {@code gcs403} a store's 403 left as a plain
     * {@link IOException} (as the GCS connector reports an HTTP error it does not translate),
     * {@code hdfsdenied} HDFS's "Permission denied" ({@code AccessControlException}),
     * {@code kinit} Hadoop's Kerberos login failure ({@code KerberosAuthException} over JAAS's
     * {@code LoginException}), {@code gss} an RPC connection without a Kerberos ticket (an
     * {@link IOException} over SASL's "GSS initiate failed" over {@code GSSException}),
     * {@code sasl} {@code SaslRpcClient}'s "Client cannot authenticate via:[TOKEN, KERBEROS]"
     * ({@code AccessControlException}), {@code simple} the NameNode's "SIMPLE authentication is
     * not enabled" left in a {@code RemoteException}; {@code s3badkey} S3A's 403 for a key S3
     * does not know ({@code AccessDeniedException} ending ":InvalidAccessKeyId"), {@code s3eof}
     * S3A's connection broken mid-response (an {@code EOFException} over the SDK's
     * {@code SdkClientException}), {@code s3channel} S3A's {@code HttpChannelEOFException},
     * {@code reset} a connection reset as S3A hands it on (a {@code SocketException} over the
     * SDK's failure); {@code s3skew} S3's 403 for the machine's clock ({@code AccessDeniedException}
     * ending ":RequestTimeTooSkewed"), {@code s3range} S3A's 416 (its
     * {@code RangeNotSatisfiableEOFException}). Null for another name.
     */
    static IOException refusal(Path f) {
        String name = f.getName();
        if (!name.startsWith("refuse-")) {
            return null;
        }
        String kind = name.split("-")[1];
        String where = f.toUri().getPath();
        switch (kind) {
            case "s3denied":
                return new AccessDeniedException(where, null, "open " + where + ": software.amazon"
                        + ".awssdk.services.s3.model.S3Exception: Access Denied (Service: S3,"
                        + " Status Code: 403, Request ID: TEST)");
            case "s3nocreds": {
                AccessDeniedException e = new AccessDeniedException(where, null,
                        "org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException: No AWS"
                                + " Credentials provided by TemporaryAWSCredentialsProvider");
                e.initCause(new org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException("No AWS"
                        + " Credentials provided by TemporaryAWSCredentialsProvider"));
                return e;
            }
            case "s3badkey":
                // S3A's 403 for a key S3 does not know: the error code after the message
                // (S3AUtils.translateException: message + ":" + errorCode).
                return new AccessDeniedException(where, null, "open s3a://bucket" + where
                        + ": software.amazon.awssdk.services.s3.model.S3Exception: The AWS Access"
                        + " Key Id you provided does not exist in our records. (Service: S3,"
                        + " Status Code: 403, Request ID: TEST):InvalidAccessKeyId");
            case "s3eof": {
                // S3A's translation of a connection that broke mid-response: an EOFException
                // over the SDK's client-side failure.
                String sdk = "Data read has a different length than the expected:"
                        + " dataLength=1024; expectedLength=4096; includeSkipped=true";
                java.io.EOFException e = new java.io.EOFException("read on s3a://bucket" + where
                        + ": software.amazon.awssdk.core.exception.SdkClientException: " + sdk);
                e.initCause(new software.amazon.awssdk.core.exception.SdkClientException(sdk));
                return e;
            }
            case "s3skew":
                return new AccessDeniedException(where, null, "open s3a://bucket" + where
                        + ": software.amazon.awssdk.services.s3.model.S3Exception: The difference"
                        + " between the request time and the current time is too large."
                        + " (Service: S3, Status Code: 403, Request ID: TEST)"
                        + ":RequestTimeTooSkewed");
            case "s3range":
                return new org.apache.hadoop.fs.s3a.RangeNotSatisfiableEOFException("read s3a://"
                        + "bucket" + where + " at 4096: software.amazon.awssdk.services.s3.model"
                        + ".S3Exception: The requested range is not satisfiable (Service: S3,"
                        + " Status Code: 416, Request ID: TEST)", null);
            case "s3channel":
                // S3A's prefetching stream: a block's response ended before its range.
                return new org.apache.hadoop.fs.s3a.HttpChannelEOFException(where,
                        "Unexpected end of stream: buffer[65536], readSize = 65536,"
                                + " numRemainingBytes = 40960", null);
            case "reset":
                // A connection reset as S3A hands it on (ErrorTranslation.maybeExtractIOException:
                // the innermost IOException's class, over the SDK's failure).
                return (IOException) new java.net.SocketException("read on s3a://bucket" + where
                        + ": software.amazon.awssdk.core.exception.SdkClientException: Unable to"
                        + " execute HTTP request: Connection reset: Connection reset")
                        .initCause(new software.amazon.awssdk.core.exception.SdkClientException(
                                "Unable to execute HTTP request: Connection reset"));
            case "gcs403":
                return new IOException("Error reading '" + where + "'", new IOException(
                        "403 Forbidden GET https://storage.googleapis.com/test/" + name
                                + " etl@test.iam.gserviceaccount.com does not have"
                                + " storage.objects.get access"));
            case "hdfsdenied":
                return new org.apache.hadoop.security.AccessControlException("Permission"
                        + " denied: user=etl, access=READ, inode=\"" + where
                        + "\":hdfs:supergroup:-rw-------");
            case "kinit":
                return new org.apache.hadoop.security.KerberosAuthException("Login failure for"
                        + " user: etl@TEST from keytab /etc/etl.keytab",
                        new javax.security.auth.login.LoginException("Unable to obtain password"
                                + " from user"));
            case "gss":
                return new IOException("DestHost:destPort nn:8020 , LocalHost:localPort test:0."
                        + " Failed on local exception: java.io.IOException:"
                        + " javax.security.sasl.SaslException: GSS initiate failed",
                        new javax.security.sasl.SaslException("GSS initiate failed",
                                new org.ietf.jgss.GSSException(org.ietf.jgss.GSSException.NO_CRED,
                                        -1, "No valid credentials provided (Mechanism level:"
                                                + " Failed to find any Kerberos tgt)")));
            case "sasl":
                return new IOException("DestHost:destPort nn:8020 , LocalHost:localPort test:0."
                        + " Failed on local exception: java.io.IOException: org.apache.hadoop"
                        + ".security.AccessControlException: Client cannot authenticate via:"
                        + "[TOKEN, KERBEROS]", new org.apache.hadoop.security
                                .AccessControlException("Client cannot authenticate via:[TOKEN,"
                                        + " KERBEROS]"));
            case "simple":
                return new org.apache.hadoop.ipc.RemoteException(
                        "org.apache.hadoop.security.AccessControlException",
                        "SIMPLE authentication is not enabled.  Available:[TOKEN, KERBEROS]");
            default:
                throw new IllegalArgumentException("no refusal named '" + kind + "' in " + name);
        }
    }

    /** The refusal of a {@code refuse-KIND-WHEN-} file whose WHEN is {@code when}, or null. */
    private static IOException refusal(Path f, String when) {
        String[] parts = f.getName().split("-");
        return parts.length > 2 && parts[2].equals(when) ? refusal(f) : null;
    }

    /**
     * The refusal of a write under a {@code refuse-KIND-write-} directory, or null: any element
     * of {@code f} so named (a leading dot taken off: the job's hidden staging directory is
     * {@code .NAME.synalign-UUID.tmp}), on the driver (the committer's directories) or in a
     * task (a part file).
     */
    private static IOException writeRefusal(Path f) {
        for (Path p = f; p != null; p = p.getParent()) {
            String name = p.getName().startsWith(".") ? p.getName().substring(1) : p.getName();
            String[] parts = name.split("-");
            if (name.startsWith("refuse-") && parts.length > 2 && parts[2].equals("write")) {
                return refusal(new Path(p.getParent(), name));
            }
        }
        return null;
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        IOException refused = writeRefusal(f);
        if (refused != null) {
            throw refused;
        }
        return super.mkdirs(f);
    }

    @Override
    public boolean mkdirs(Path f, org.apache.hadoop.fs.permission.FsPermission permission)
            throws IOException {
        IOException refused = writeRefusal(f);
        if (refused != null) {
            throw refused;
        }
        return super.mkdirs(f, permission);
    }

    @Override
    public org.apache.hadoop.fs.FSDataOutputStream create(Path f,
            org.apache.hadoop.fs.permission.FsPermission permission, boolean overwrite,
            int bufferSize, short replication, long blockSize,
            org.apache.hadoop.util.Progressable progress) throws IOException {
        IOException refused = writeRefusal(f);
        if (refused != null) {
            throw refused;
        }
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize,
                progress);
    }

    @Override
    public org.apache.hadoop.fs.FSDataOutputStream create(Path f, boolean overwrite,
            int bufferSize, short replication, long blockSize,
            org.apache.hadoop.util.Progressable progress) throws IOException {
        IOException refused = writeRefusal(f);
        if (refused != null) {
            throw refused;
        }
        return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public org.apache.hadoop.fs.FileStatus getFileStatus(Path f) throws IOException {
        IOException refused = TaskContext.get() == null ? refusal(f, "list") : null;
        if (refused != null) {
            throw refused;
        }
        return super.getFileStatus(f);
    }

    /** As {@link #getFileStatus}: the local file system answers it without a status call. */
    @Override
    public boolean exists(Path f) throws IOException {
        IOException refused = TaskContext.get() == null ? refusal(f, "list") : null;
        if (refused != null) {
            throw refused;
        }
        return super.exists(f);
    }

    @Override
    public org.apache.hadoop.fs.FileStatus[] listStatus(Path f) throws IOException {
        IOException refused = TaskContext.get() == null ? refusal(f, "list") : null;
        if (refused != null) {
            throw refused;
        }
        return super.listStatus(f);
    }

    /** A stream that refuses every read with {@code refused} (it opened, then failed). */
    private static final class RefusedReads extends org.apache.hadoop.fs.FSInputStream {
        private final IOException refused;

        RefusedReads(IOException refused) {
            this.refused = refused;
        }

        @Override
        public int read() throws IOException {
            throw refused;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            throw refused;
        }

        @Override
        public void seek(long pos) {
        }

        @Override
        public long getPos() {
            return 0;
        }

        @Override
        public boolean seekToNewSource(long targetPos) {
            return false;
        }
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        TaskContext task = TaskContext.get();
        String name = f.getName();
        if (task != null && refusal(f, "open") != null) {
            throw refusal(f, "open");
        } else if (task != null && refusal(f, "read") != null) {
            return new FSDataInputStream(new RefusedReads(refusal(f, "read")));
        }
        if (task != null && name.startsWith("cancel-")) {
            // Queued before this task's completion, so the scheduler fails the job first.
            SparkContext.getOrCreate().cancelAllJobs();
        } else if (task != null && name.startsWith("storage-")) {
            throw new IOException("test: connection reset by peer while reading a block of " + f);
        } else if (task != null && name.startsWith("denied-")) {
            throw new AccessDeniedException(f.toString(), null, "Permission denied");
        } else if (task != null && name.startsWith("gone-")) {
            throw new org.apache.hadoop.fs.PathNotFoundException(f.toString());
        } else if (task != null && name.startsWith("isdir-")) {
            throw new org.apache.hadoop.fs.PathIsDirectoryException(f.toString());
        } else if (task != null && name.startsWith("remote-")) {
            throw new org.apache.hadoop.ipc.RemoteException("java.io.FileNotFoundException",
                    "File does not exist: " + f.toUri().getPath());
        } else if (task != null && name.startsWith("safemode-")) {
            throw new org.apache.hadoop.ipc.RemoteException(
                    "org.apache.hadoop.hdfs.server.namenode.SafeModeException",
                    "Cannot open " + f.toUri().getPath() + ". Name node is in safe mode.");
        } else if (task != null && name.startsWith("late-") && !inferringSchema()) {
            if (name.startsWith("late-gone-")) {
                throw new java.io.FileNotFoundException("File " + f + " does not exist");
            } else if (name.startsWith("late-storage-")) {
                throw new IOException("test: connection reset by peer while reading a block of "
                        + f);
            } else if (name.startsWith("late-s3eof-") || name.startsWith("late-s3channel-")
                    || name.startsWith("late-s3range-")) {
                // The connection broke under the job's read: the stream opens, every read fails
                // as S3A reports it.
                return new FSDataInputStream(new RefusedReads(refusal(new Path(f.getParent(),
                        "refuse-" + name.split("-")[1] + "-read-" + name))));
            } else if (name.startsWith("late-cut-")) {
                // Cut in place, once: a second read (the job's check of the length) finds it
                // cut as the store would.
                java.nio.file.Path file = pathToFile(f).toPath();
                synchronized (CUT) {
                    if (CUT.add(file.toAbsolutePath().toString())) {
                        byte[] whole = java.nio.file.Files.readAllBytes(file);
                        java.nio.file.Files.write(file,
                                java.util.Arrays.copyOf(whole, whole.length / 2));
                    }
                }
            } else if (name.startsWith("late-short-")) {
                return halfOf(f, bufferSize);
            } else if (name.startsWith("late-rewrite-")) {
                // Written again (the same bytes, a new modification time) while the read ends at
                // the half: a file replaced under the job whose second read is whole.
                FSDataInputStream half = halfOf(f, bufferSize);
                java.nio.file.Path file = pathToFile(f).toPath();
                java.nio.file.Files.write(file, java.nio.file.Files.readAllBytes(file));
                java.nio.file.Files.setLastModifiedTime(file,
                        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
                return half;
            }
        }
        if (name.startsWith("short-")) {
            return halfOf(f, bufferSize);
        }
        return super.open(f, bufferSize);
    }

    /** The files {@code late-cut-} has cut (this JVM's). */
    private static final java.util.Set<String> CUT = new java.util.HashSet<>();

    /**
     * A stream of {@code f}'s first half that then ends (-1), {@code f} left whole: S3A's read
     * of a connection that ended its response early.
     */
    private FSDataInputStream halfOf(Path f, int bufferSize) throws IOException {
        byte[] whole = java.nio.file.Files.readAllBytes(pathToFile(f).toPath());
        java.nio.file.Path half = java.nio.file.Files.createTempFile("short", ".part");
        half.toFile().deleteOnExit();
        java.nio.file.Files.write(half, java.util.Arrays.copyOf(whole, whole.length / 2));
        // No scheme: this file system refuses another's (file:) paths.
        return super.open(new Path(half.toAbsolutePath().toString()), bufferSize);
    }

    /**
     * Whether this task is Spark's schema inference of a JSON source: its partition function
     * is {@code JsonInferSchema}'s (a lambda of that class on the task's stack).
     */
    private static boolean inferringSchema() {
        for (StackTraceElement frame : Thread.currentThread().getStackTrace()) {
            if (frame.getClassName().contains("JsonInferSchema")) {
                return true;
            }
        }
        return false;
    }
}
