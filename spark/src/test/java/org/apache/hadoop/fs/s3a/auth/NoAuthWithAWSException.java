package org.apache.hadoop.fs.s3a.auth;

import org.apache.hadoop.fs.s3a.CredentialInitializationException;

/**
 * A stand-in, for the spark module's tests only, of S3A's "No AWS Credentials provided by
 * ..." (see {@link CredentialInitializationException}), which S3A hands on as the cause of a
 * {@code java.nio.file.AccessDeniedException}.
 */
public class NoAuthWithAWSException extends CredentialInitializationException {
    private static final long serialVersionUID = 1L;

    public NoAuthWithAWSException(String message) {
        super(message);
    }
}
