package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.io.InputException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run documents' format number: written first, absent read as 1, a newer one refused. */
class RunDocumentsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("rd", RunFiles.ALIGNMENT);

    @Test
    void stampedPutsTheFormatFirstAndKeepsEveryOtherKeyInOrder() throws Exception {
        JsonNode doc = JSON.readTree("{\"command\": \"align\", \"format\": 7, \"n_real\": 3}");
        JsonNode stamped = RunDocuments.stamped(doc);
        assertEquals("{\"format\":1,\"command\":\"align\",\"n_real\":3}", JSON.writeValueAsString(stamped));
        assertEquals(List.of("format", "command", "n_real"), fieldNames(stamped));
    }

    @Test
    void aDocumentWithoutAFormatOrOfFormatOneIsRead() throws Exception {
        JsonNode older = JSON.readTree("{\"command\": \"align\"}");
        assertSame(older, RunDocuments.requireReadable(FILE, older), "written before formats: 1");
        JsonNode one = JSON.readTree("{\"format\": 1, \"command\": \"align\"}");
        assertSame(one, RunDocuments.requireReadable(FILE, one));
    }

    @Test
    void aNewerFormatIsRefusedNamingTheFileAndBothFormats() throws Exception {
        InputException e = assertThrows(InputException.class, () -> RunDocuments.requireReadable(FILE,
                JSON.readTree("{\"format\": 2, \"held_out\": {\"failed\": \"why\", \"folds\": 5}}")));
        assertEquals(FILE + ": written by a newer SynAlign (format 2; this build reads format 1):"
                + " use that build or a newer one", e.getMessage());
    }

    @Test
    void aFormatThatIsNoFormatNumberIsRefused() throws Exception {
        for (String bad : List.of("0", "-1", "1.5", "\"2\"", "null", "99999999999")) {
            InputException e = assertThrows(InputException.class, () -> RunDocuments.requireReadable(FILE,
                    JSON.readTree("{\"format\": " + bad + "}")), bad);
            assertEquals(FILE + ": \"format\" is " + JSON.readTree(bad)
                    + ", not a format number (1 or more)", e.getMessage(), bad);
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
