package io.synalign.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CUDA C kernel sources, read from the class path ({@code io/synalign/kernels/cuda/*.cu},
 * copied there from {@code kernels-cuda/src/main/cuda} by the build), and a parser for their
 * {@code extern "C" __global__} entry points and parameter types.
 */
final class KernelSources {

    /** Class-path folder of the sources. */
    static final String RESOURCE_DIR = "io/synalign/kernels/cuda/";

    private static final Pattern ENTRY = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\s*\\([^)]*\\)\\s*)?"
                    + "(\\w+)\\s*\\(([^)]*)\\)");

    private KernelSources() {
    }

    /** The source files the backend compiles, one module each. */
    static List<String> files() {
        TreeSet<String> files = new TreeSet<>();
        for (CudaKernel k : CudaKernel.values()) {
            files.add(k.file());
        }
        return new ArrayList<>(files);
    }

    /** The text of source {@code file}. */
    static String read(String file) {
        String path = RESOURCE_DIR + file;
        try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + path
                        + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel source " + path, e);
        }
    }

    /** Entry point name to parameter kinds, in declaration order. */
    static Map<String, List<ArgKind>> entryPoints(String source) {
        String code = stripComments(source);
        Map<String, List<ArgKind>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(code);
        while (m.find()) {
            List<ArgKind> kinds = new ArrayList<>();
            String params = m.group(2).strip();
            if (!params.isEmpty() && !params.equals("void")) {
                for (String param : params.split(",")) {
                    // Drop the parameter name: the last identifier.
                    String p = param.strip();
                    String type = p.replaceAll("\\w+\\s*$", "");
                    kinds.add(ArgKind.ofCType(type.isBlank() ? p : type));
                }
            }
            out.put(m.group(1), kinds);
        }
        return out;
    }

    private static String stripComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }
}
