package com.amazonaws;

/**
 * A test-only stand-in, under its name, for the AWS SDK v1's {@code AmazonServiceException}: a
 * service's error answer, which in v1 extends {@link SdkClientException} (so a check by
 * superclass for a client failure finds it). Hadoop 3.3's S3A puts it (an
 * {@code AmazonS3Exception}) below the {@link java.io.EOFException} of its 416.
 */
public class AmazonServiceException extends SdkClientException {
    private static final long serialVersionUID = 1L;

    public AmazonServiceException(String message) {
        super(message);
    }
}
