package io.synalign.report;

/** Test access to the report's number format, so that tests compare against the same text. */
public final class ReportPageAccess {

    private ReportPageAccess() {
    }

    public static String num(double v) {
        return Html.num(v);
    }
}
