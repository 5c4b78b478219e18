package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The served model of {@code generation.json} ({@code servedModel}: a llama.cpp server answers
 * with its one model whatever {@code --model} says, and the journal keys named that model and
 * its weight fields), as HTML to stand beside the generator, which names {@code --model} only:
 * without it the page named a model that never answered. Everything taken from the document is
 * escaped ({@link Html#escape}): the id is whatever path or name the server reported.
 */
final class ServedModelNote {

    private ServedModelNote() {
    }

    /**
     * {@code ", answered by the served model <code>ID</code> (FIELD VALUE, ...; ...)"} for the
     * generation document {@code gen}, or the empty string where it records no served model (an
     * honest server, no journal, the offline baseline, a document from before the field).
     */
    static String html(JsonNode gen) {
        JsonNode served = gen.path("servedModel");
        if (!served.isObject() || !served.path("id").isTextual()) {
            return "";
        }
        List<String> weights = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = served.path("weights").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            weights.add(Html.escape(f.getKey()) + " " + Html.escape(f.getValue().asText()));
        }
        boolean fromRecord = "journal".equals(served.path("source").asText());
        return "<span id=\"served-model\">, answered by the served model <code>"
                + Html.escape(served.get("id").textValue()) + "</code> ("
                + (weights.isEmpty() ? "" : String.join(", ", weights) + "; ")
                + "the server answers with it whatever model is asked for, and the journal's keys name it"
                + (fromRecord ? "; taken from the journal's record, <code>served-models.json</code>: the server"
                        + " could not be reached when this run asked it" : "")
                + ")</span>";
    }
}
