package io.synalign.io;

/**
 * A setting of the input readers that the user can change to get past an input problem. Library
 * messages name it by its Java name ({@link #javaName()}); a front end names it its own way (the
 * CLI by its flag) through {@link InputException#message(java.util.function.Function)}.
 */
public enum InputSetting {

    /** The field holding each record's text. */
    TEXT_FIELD("textField"),
    /** The field holding each record's label. */
    LABEL_FIELD("labelField"),
    /** The longest line (or CSV row) a reader accepts, in bytes. */
    MAX_LINE_SIZE("maxLineBytes");

    private final String javaName;

    InputSetting(String javaName) {
        this.javaName = javaName;
    }

    /** The parameter's name in the reader's Java API, e.g. {@code textField}. */
    public String javaName() {
        return javaName;
    }
}
