package io.synalign.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a path option names. Every {@code Path} option of every command carries one
 * ({@code PathRoleTest} holds that), and each command's registry of inputs and outputs is built
 * from these declarations ({@link OutputTargets#declared}) before any work, so an option added
 * later cannot escape the collision checks by being forgotten.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface PathRole {

    Kind value();

    /**
     * The files the command reads ({@link Kind#INPUT_DIRECTORY}) or writes
     * ({@link Kind#DIRECTORY}, {@link Kind#RUN_DIRECTORY}) directly inside the directory.
     */
    String[] files() default {};

    enum Kind {
        /** A file the command reads; no output may replace it. */
        INPUT,
        /** A directory the command reads {@link #files} from; none may be replaced. */
        INPUT_DIRECTORY,
        /** A file the command writes (through a temporary file and a rename). */
        OUTPUT,
        /** A directory the command writes into (a journal, a cache), created when missing. */
        DIRECTORY,
        /**
         * The run directory: created with its parents when missing (outputs may lie directly
         * in it), its {@link #files} written into it.
         */
        RUN_DIRECTORY
    }
}
