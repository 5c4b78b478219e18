package org.apache.hadoop.fs.s3a;

import java.io.EOFException;

/**
 * A test-only stand-in, under its name, for S3A's {@code HttpChannelEOFException} (hadoop-aws
 * is no dependency of the job): the {@link EOFException} S3A throws when the HTTP channel
 * closed under a read (the client's {@code NoHttpResponseException}, OpenSSL's stream-closed
 * error, a prefetched block's response that ended early). The job knows it by name only.
 */
public class HttpChannelEOFException extends EOFException {
    private static final long serialVersionUID = 1L;

    public HttpChannelEOFException(String path, String error, Throwable cause) {
        super(error);
        initCause(cause);
    }
}
