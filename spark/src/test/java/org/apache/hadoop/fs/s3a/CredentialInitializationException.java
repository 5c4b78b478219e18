package org.apache.hadoop.fs.s3a;

/**
 * A stand-in, for the spark module's tests only, of S3A's class of this name (hadoop-aws is no
 * dependency of the job): the job's rule on a refused login knows S3A's credential failures by
 * class name ({@code DataFrames.credentialsRefused}). S3A's own extends the AWS SDK's
 * {@code SdkClientException}, a {@link RuntimeException}.
 */
public class CredentialInitializationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CredentialInitializationException(String message) {
        super(message);
    }
}
