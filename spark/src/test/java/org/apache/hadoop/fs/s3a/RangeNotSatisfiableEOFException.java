package org.apache.hadoop.fs.s3a;

import java.io.EOFException;

/**
 * Test stand-in for S3A's class of this name (Hadoop 3.4, hadoop-aws: no dependency of the
 * job's): S3's 416 on a read, the range past the object's end ({@code ErrorTranslation}).
 * Judged by name in {@code DataFrames.fileChanged}. Test sources only.
 */
public class RangeNotSatisfiableEOFException extends EOFException {
    private static final long serialVersionUID = 1L;

    public RangeNotSatisfiableEOFException(String operation, Exception cause) {
        super(operation);
        initCause(cause);
    }
}
