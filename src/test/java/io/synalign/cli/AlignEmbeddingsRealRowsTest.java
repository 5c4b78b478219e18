package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.io.NpyFixtures;
import io.synalign.pipeline.ReferenceFingerprint;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embeddings form of align records the real rows it was fitted to ({@code real_rows}, kind
 * {@code embeddings}), as it records texts in the text form (was: no record at all): the
 * fingerprint of the values as the file holds them, before any centring, in any row order and
 * whatever the dtype or byte order.
 */
class AlignEmbeddingsRealRowsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int M = 11;
    private static final int N = 23;
    private static final int D = 5;

    @TempDir
    Path dir;

    private JsonNode align(String real) throws IOException {
        Cli.Run run = Cli.run(cl -> { }, "align", "--real-embeddings", dir + "/" + real,
                "--synthetic-embeddings", dir + "/s.npy", "--out", dir + "/w.npy", "--summary",
                dir + "/summary.json", "--backend", "reference", "--method", "exact", "--quiet");
        assertEquals(0, run.status(), run::toString);
        return JSON.readTree(dir.resolve("summary.json").toFile()).path("real_rows");
    }

    @Test
    void theRealEmbeddingsAreRecordedByTheirValues() throws IOException {
        // Far from the origin, float32-exact values in a float64 file: the fit reads them less
        // a centre; the record is of the values as the file holds them.
        double[] flat = NpyFixtures.gaussian(M * D, 4, 0.5);
        for (int i = 0; i < flat.length; i++) {
            flat[i] = (float) (flat[i] + 1000);
        }
        double[][] rows = new double[M][D];
        double[] reversed = new double[M * D];
        for (int i = 0; i < M; i++) {
            System.arraycopy(flat, i * D, rows[i], 0, D);
            System.arraycopy(flat, i * D, reversed, (M - 1 - i) * D, D);
        }
        NpyFixtures.write(dir.resolve("r64.npy"), NpyFixtures.file(NpyFixtures.dict(">f8", false,
                "(" + M + ", " + D + ")"), NpyFixtures.data(flat, 8, ByteOrder.BIG_ENDIAN)));
        NpyFixtures.write(dir.resolve("r32-reversed.npy"),
                NpyFixtures.float32Matrix(M, D, reversed));
        NpyFixtures.write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(N, D,
                NpyFixtures.gaussian(N * D, 5, 0.5)));

        JsonNode record = align("r64.npy");
        assertEquals("embeddings", record.path("kind").asText(), record::toString);
        assertEquals(M, record.path("count").asInt());
        assertEquals(ReferenceFingerprint.embeddingSet(rows), record.path("sha256").asText());
        assertTrue(record.path("about").asText().startsWith("the real embeddings the weights"
                + " were fitted to"), record::toString);
        assertEquals(record, align("r32-reversed.npy"), "a float32 copy in reverse order");

        flat[7] = Math.nextUp(flat[7]);
        NpyFixtures.write(dir.resolve("r64-changed.npy"), NpyFixtures.file(NpyFixtures.dict(
                "<f8", false, "(" + M + ", " + D + ")"),
                NpyFixtures.data(flat, 8, ByteOrder.LITTLE_ENDIAN)));
        assertNotEquals(record.path("sha256"), align("r64-changed.npy").path("sha256"),
                "one value one ulp away");
    }
}
