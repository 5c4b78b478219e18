package software.amazon.awssdk.core.exception;

/**
 * A test-only stand-in, under its name, for the AWS SDK v2's {@code SdkClientException} (a
 * failure on the client's side: the connection, the response's parsing; the SDK is no
 * dependency of the job), which S3A puts below the {@link java.io.EOFException} it makes of a
 * connection that broke. The real class extends {@code SdkException}, a
 * {@link RuntimeException}; the job knows it by name only.
 */
public class SdkClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SdkClientException(String message) {
        super(message);
    }
}
