package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.sql.errors.QueryExecutionErrors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DataFrames#lateReadFailure}'s second pass (the file and the inputs compared resolved)
 * asks no remote store anything: it runs after a read failed, often because the store or the
 * cluster failed, and HDFS's connection retries, S3A's retry policy or a SASL relogin's back-off
 * can hold each status call for minutes, once per path element and per input. Only the local
 * file system's links and a mount table's own entries are resolved. No Spark session: the
 * failure is built as Spark's tasks raise it; {@link RemoteStoreStandIn} counts the calls.
 */
class LateReadRemoteStoreTest {

    private static final String STORE = RemoteStoreStandIn.SCHEME + "://store";

    @BeforeEach
    void reset() {
        RemoteStoreStandIn.CALLS.set(0);
    }

    private static RuntimeException late(Configuration conf, String sparksPath,
            Map<String, String> inputs) {
        SparkException stage = new SparkException("Job aborted due to stage failure",
                QueryExecutionErrors.fileNotExistError(sparksPath,
                        new FileNotFoundException("gone")));
        return DataFrames.lateReadFailure(conf, stage, inputs, "jsonl", Long.MAX_VALUE);
    }

    private static Map<String, String> inputs(String real) {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("--synthetic", STORE + "/a/b/c/synthetic.jsonl");
        inputs.put("--real", real);
        return inputs;
    }

    /** A file no input holds, on a store: named as Spark gives it, the store not asked. */
    @Test
    void aFileNoInputHoldsOnAStoreIsNamedWithoutAskingTheStore() {
        Configuration conf = RemoteStoreStandIn.install(new Configuration());
        RuntimeException late = late(conf, STORE + "/other/d/e/part-1.jsonl",
                inputs(STORE + "/data/x/y"));
        assertTrue(late instanceof IllegalArgumentException, String.valueOf(late));
        assertEquals(STORE + "/other/d/e/part-1.jsonl: cannot be read: FileNotFoundException:"
                + " gone", late.getMessage());
        assertEquals(0, RemoteStoreStandIn.CALLS.get(), "calls to the store after the failure");
    }

    /**
     * An input on a {@code viewfs://} mount of a store, and the file named on the store (and
     * the other way round): matched by the client's mount table, the store not asked.
     */
    @Test
    void aMountOfAStoreIsResolvedByItsTableAlone() {
        Configuration conf = RemoteStoreStandIn.install(new Configuration());
        conf.set("fs.viewfs.mounttable.m33.link./data", STORE + "/real");
        conf.set("fs.viewfs.mounttable.m33.link./data2", STORE + "/deep");
        conf.setBoolean("fs.viewfs.impl.disable.cache", true);
        RuntimeException late = late(conf, STORE + "/real/k=1/part-1.jsonl",
                inputs("viewfs://m33/data"));
        assertTrue(late instanceof IllegalArgumentException, String.valueOf(late));
        assertEquals("--real viewfs://m33/data: file " + STORE + "/real/k=1/part-1.jsonl: cannot"
                + " be read as JSON Lines: FileNotFoundException: gone", late.getMessage());
        late = late(conf, "viewfs://m33/data/part-2.jsonl", inputs(STORE + "/real"));
        assertEquals("--real " + STORE + "/real: file viewfs://m33/data/part-2.jsonl: cannot be"
                + " read as JSON Lines: FileNotFoundException: gone", late.getMessage());
        // /data2 is a mount of its own, not a path under /data.
        late = late(conf, STORE + "/deep/part-3.jsonl", inputs("viewfs://m33/data2"));
        assertEquals("--real viewfs://m33/data2: file " + STORE + "/deep/part-3.jsonl: cannot be"
                + " read as JSON Lines: FileNotFoundException: gone", late.getMessage());
        late = late(conf, STORE + "/real2/part-4.jsonl", inputs("viewfs://m33/data"));
        assertEquals(STORE + "/real2/part-4.jsonl: cannot be read: FileNotFoundException: gone",
                late.getMessage());
        assertEquals(0, RemoteStoreStandIn.CALLS.get(), "calls to the store after the failure");
    }
}
