package io.synalign.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Argument-list edits shared by the CLI tests. */
final class CliArgs {

    private CliArgs() {
    }

    /**
     * {@code base} with each option set to its value: replaced where present, appended where
     * not; a null value removes a present option or appends a flag.
     */
    static String[] with(String[] base, String... optionValue) {
        List<String> args = new ArrayList<>(List.of(base));
        for (int i = 0; i < optionValue.length; i += 2) {
            int at = args.indexOf(optionValue[i]);
            if (at >= 0 && optionValue[i + 1] != null) {
                args.set(at + 1, optionValue[i + 1]);
            } else if (at >= 0) {
                args.remove(at + 1);
                args.remove(at);
            } else {
                args.add(optionValue[i]);
                if (optionValue[i + 1] != null) {
                    args.add(optionValue[i + 1]);
                }
            }
        }
        return args.toArray(String[]::new);
    }

    /** {@code base} followed by {@code more}. */
    static String[] plus(String[] base, String... more) {
        return Stream.concat(Arrays.stream(base), Arrays.stream(more)).toArray(String[]::new);
    }
}
