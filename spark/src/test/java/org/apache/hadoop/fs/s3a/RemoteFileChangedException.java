package org.apache.hadoop.fs.s3a;

import org.apache.hadoop.fs.PathIOException;

/**
 * Test stand-in for S3A's class of this name (hadoop-aws: no dependency of the job's): its
 * change detection's refusal of an object whose ETag or version differs from the one the stream
 * opened. Judged by name in {@code DataFrames.fileChanged}. Test sources only.
 */
public class RemoteFileChangedException extends PathIOException {
    private static final long serialVersionUID = 1L;

    public RemoteFileChangedException(String path, String operation, String message) {
        super(path, message);
        setOperation(operation);
    }
}
