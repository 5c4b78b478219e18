package io.synalign.models;

import java.nio.charset.StandardCharsets;

/** Cheap facts about a serialised ONNX graph, read without an ONNX parser. */
final class OnnxGraphScan {

    /**
     * Operators whose int8 scale is taken from a whole activation tensor, so that in a padded
     * batch one row's output depends on the other rows.
     */
    private static final String[] DYNAMIC_QUANTISATION_OPS = {
        "DynamicQuantizeLinear", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM"};

    private OnnxGraphScan() {
    }

    /**
     * Whether the graph uses dynamic (per-call) activation quantisation. Node op types are
     * stored as plain strings in the ONNX protobuf, so a byte search finds them; a false
     * positive (a node merely <em>named</em> like the operator) only costs speed. O(bytes).
     */
    static boolean usesDynamicQuantization(byte[] onnx) {
        for (String op : DYNAMIC_QUANTISATION_OPS) {
            if (indexOf(onnx, op.getBytes(StandardCharsets.US_ASCII)) >= 0) {
                return true;
            }
        }
        return false;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        byte first = needle[0];
        int last = haystack.length - needle.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (haystack[i] != first) {
                continue;
            }
            for (int k = 1; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
