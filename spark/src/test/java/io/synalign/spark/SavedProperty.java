package io.synalign.spark;

import io.synalign.engine.alignment.MmdWeightLearner;

/**
 * A system property's value (or its absence) as a test found it, put back by {@link #restore}:
 * for tests that set a property the rest of the JVM's tests read, such as the executors'
 * feature budget.
 */
final class SavedProperty {

    private final String name;
    private final String before;

    private SavedProperty(String name) {
        this.name = name;
        this.before = System.getProperty(name);
    }

    /** {@code name}'s value now. */
    static SavedProperty of(String name) {
        return new SavedProperty(name);
    }

    /** {@link MmdWeightLearner#FEATURE_BUDGET_PROPERTY}'s value now. */
    static SavedProperty featureBudget() {
        return of(MmdWeightLearner.FEATURE_BUDGET_PROPERTY);
    }

    /** Sets the property back to its saved value, or clears it if it was not set. */
    void restore() {
        if (before == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, before);
        }
    }
}
