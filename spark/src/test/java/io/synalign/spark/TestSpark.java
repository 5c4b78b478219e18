package io.synalign.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session for all tests of the module (starting one costs seconds). */
final class TestSpark {

    private static SparkSession session;

    private TestSpark() {
    }

    static synchronized SparkSession session() {
        // Stopped: by restart(), or by a test that stopped the context; start another.
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().master("local[2]").appName("synalign-spark-test")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
        }
        return session;
    }

    /**
     * Stops the session, so that the next {@link #session} starts a fresh {@code SparkContext}
     * (a new application id, RDD ids from 0 again): for tests of what a second context in one
     * JVM sees. Costs the seconds of a start.
     */
    static synchronized void restart() {
        if (session != null) {
            session.stop();
            session = null;
        }
    }

    static JavaSparkContext context() {
        return JavaSparkContext.fromSparkContext(session().sparkContext());
    }
}
