package io.synalign.cli;

import java.util.Locale;
import java.util.concurrent.Callable;

/** Runs test code under another default locale (every category) and restores the defaults. */
final class ForcedLocale {

    /** Saudi Arabic: its number formats use Arabic-Indic digits (٠١٢...). */
    static final Locale ARABIC = Locale.forLanguageTag("ar-SA");

    private ForcedLocale() {
    }

    static <T> T call(Locale locale, Callable<T> body) throws Exception {
        Locale all = Locale.getDefault();
        Locale format = Locale.getDefault(Locale.Category.FORMAT);
        Locale display = Locale.getDefault(Locale.Category.DISPLAY);
        try {
            Locale.setDefault(locale);
            return body.call();
        } finally {
            Locale.setDefault(all);
            Locale.setDefault(Locale.Category.FORMAT, format);
            Locale.setDefault(Locale.Category.DISPLAY, display);
        }
    }

    /** Whether {@code s} holds an Arabic-Indic or extended Arabic-Indic digit. */
    static boolean hasArabicDigits(String s) {
        return s.chars().anyMatch(c -> c >= 0x0660 && c <= 0x0669 || c >= 0x06F0 && c <= 0x06F9);
    }
}
