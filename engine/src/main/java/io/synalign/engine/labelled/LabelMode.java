package io.synalign.engine.labelled;

/** Whether labelled rows are aligned label by label or all together. */
public enum LabelMode {
    /**
     * One fit per label against that label's real rows; each label's weights are scaled to its
     * share of the real set, so label proportions follow the real data exactly.
     */
    PER_LABEL("per-label"),
    /** One fit over all rows, labels ignored; label proportions follow from the fit alone. */
    GLOBAL("global");

    private final String cliName;

    LabelMode(String cliName) {
        this.cliName = cliName;
    }

    /** The name used on the command line and in summaries. */
    public String cliName() {
        return cliName;
    }
}
