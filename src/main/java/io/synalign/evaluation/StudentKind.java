package io.synalign.evaluation;

import java.util.Locale;

/** The student models of the downstream evaluation. */
public enum StudentKind {
    /** Multinomial logistic regression: one softmax output layer on the embedding, no hidden layer. */
    LOGREG("logreg"),
    /** One ReLU hidden layer, then a softmax output layer. */
    MLP("mlp");

    private final String cliName;

    StudentKind(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in reports. */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses {@code logreg} or {@code mlp} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the text otherwise
     */
    public static StudentKind parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (StudentKind k : values()) {
            if (k.cliName.equals(t)) {
                return k;
            }
        }
        throw new IllegalArgumentException("classifier '" + text + "': expected logreg or mlp");
    }
}
