package com.amazonaws;

/**
 * A test-only stand-in, under its name, for the AWS SDK v1's {@code SdkClientException} (the
 * SDK is no dependency of the job, which knows the class by name only). The real class extends
 * {@code AmazonClientException}, a {@link RuntimeException}.
 */
public class SdkClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SdkClientException(String message) {
        super(message);
    }
}
