package io.synalign.models;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The format number of a JSON document that one SynAlign build writes and another may read
 * later: a run directory's documents ({@code io.synalign.pipeline.RunDocuments}) and a call
 * journal's {@code served-models.json}. A build reads its own format and every older one;
 * the number goes up when a key's meaning changes in a way an older reader would misread (not
 * for a key added, which older readers skip). Without it, an older build took a newer
 * document's changed key as what it used to mean, in silence: review 24 saw an older
 * {@code report} read a failed held-out check's {@code {"failed": ..., "folds": K}} as a check
 * that "could check no fit", the reason lost. A document without the key was written before
 * formats were numbered: format 1.
 */
public final class DocumentFormat {

    private DocumentFormat() {
    }

    /**
     * The format number {@code document} records under {@code key}: 1 when the key is absent
     * (written before formats were numbered).
     *
     * @throws IllegalArgumentException when the key holds anything but an integer from 1
     */
    public static int of(JsonNode document, String key) {
        JsonNode format = document == null ? null : document.get(key);
        if (format == null) {
            return 1;
        }
        if (!format.isIntegralNumber() || !format.canConvertToInt() || format.intValue() < 1) {
            throw new IllegalArgumentException("\"" + key + "\" is " + format
                    + ", not a format number (1 or more)");
        }
        return format.intValue();
    }

    /**
     * Why a document of {@code format} cannot be read by a build that reads formats up to
     * {@code reads}, one phrase to follow the file's name; null when it can.
     */
    public static String newer(int format, int reads) {
        return format <= reads ? null : "written by a newer SynAlign (format " + format
                + "; this build reads format " + reads + "): use that build or a newer one";
    }
}
